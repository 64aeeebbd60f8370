/**
 * `npm run bench`: runs every benchmark in bench/ (or those named: `npm run bench -- core`), each
 * in its own process, one after another so they do not compete for the machine's cores.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const dir = new URL('.', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', new URL(file, dir).pathname],
    {
      stdio: 'inherit',
      cwd: new URL('..', dir).pathname,
    },
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
