// `prepack` / `postpack` of the SDK and the CLI: the repository resolves `@parley/sdk` and the
// CLI's `#main` to their TypeScript source through the `parley-source` condition (tests and the
// typecheck run without a build), but the tarball holds only dist/: a bundler that honours custom
// conditions would follow that condition to a file the tarball lacks. `strip` keeps package.json
// aside and writes it without the condition (npm reads the manifest again after prepack);
// `restore` puts it back after packing.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(process.cwd(), 'package.json');
const kept = join(process.cwd(), '.package.json.unpacked');
const CONDITION = 'parley-source';

/** The value without the condition; a conditions object left with only `default` becomes its target. */
function strip(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) if (key !== CONDITION) out[key] = strip(v);
  const keys = Object.keys(out);
  return keys.length === 1 && keys[0] === 'default' ? out.default : out;
}

if (process.argv[2] === 'strip') {
  const text = readFileSync(file, 'utf8');
  const manifest = JSON.parse(text);
  if (!existsSync(kept)) writeFileSync(kept, text);
  for (const field of ['exports', 'imports']) if (manifest[field]) manifest[field] = strip(manifest[field]);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (process.argv[2] === 'restore') {
  if (existsSync(kept)) renameSync(kept, file);
} else {
  console.error('usage: pack-manifest.mjs strip|restore');
  process.exit(2);
}
