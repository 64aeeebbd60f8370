/**
 * File size (docs/architecture.md, "Small files"): no file in `src/` over 600 lines, generated data
 * (`*.data.ts`) aside. The files that were over it when the rule came are recorded, with their size
 * then, in `scripts/file-size.baseline.json`: `npm run lint` (`--check`) fails when a file not in it
 * passes 600 lines, or when a recorded one grows. Splitting one pays its debt off (`--write` records
 * the smaller list). With no flag it lists the files over the limit.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const MAX_LINES = 600;
const root = new URL('..', import.meta.url).pathname;
const baselineFile = join(root, 'scripts/file-size.baseline.json');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith('.data.ts')) out.push(path);
  }
  return out;
}

const sizes = new Map<string, number>();
for (const file of sourceFiles(join(root, 'src'))) {
  const lines = readFileSync(file, 'utf8').split('\n').length - 1;
  if (lines > MAX_LINES) sizes.set(relative(root, file), lines);
}
const sorted = [...sizes].sort(([, a], [, b]) => b - a);
const mode = process.argv[2];
if (mode === '--write') {
  writeFileSync(baselineFile, `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`);
  console.log(`Recorded ${sizes.size} files over ${MAX_LINES} lines.`);
} else if (mode === '--check') {
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, number>;
  const problems = sorted
    .filter(([file, lines]) => lines > (baseline[file] ?? MAX_LINES))
    .map(([file, lines]) =>
      baseline[file]
        ? `${file}: ${lines} lines, grew past the ${baseline[file]} it had (split it by concern instead)`
        : `${file}: ${lines} lines, over ${MAX_LINES} (split it by concern)`,
    );
  if (problems.length > 0) {
    console.error(`Files too long (see docs/architecture.md, "Small files"):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`File size: ${sizes.size} files still over ${MAX_LINES} lines, none new, none grown.`);
} else {
  for (const [file, lines] of sorted) console.log(`${String(lines).padStart(5)} ${file}`);
}
