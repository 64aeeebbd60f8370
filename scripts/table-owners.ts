/**
 * Table ownership (docs/architecture.md, "Who owns a table"): each table belongs to the module
 * whose `*.tables.ts` declares it, and only that module's code queries it; other modules call the
 * owner's public functions. This script finds every query of another module's table in
 * `src/modules` (query-builder calls and raw SQL alike) and compares them with the recorded debt in
 * `scripts/table-owners.baseline.json`:
 *
 * - `npm run lint` (`--check`) fails on a module/table pair that is not in the baseline, or on a
 *   pair queried at more places than the baseline allows. The baseline may only shrink.
 * - `--write` records today's places as the baseline (run it after paying debt off, never to let
 *   new debt in: a reviewer sees the diff).
 * - With no flag it prints the pairs and their places.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const modulesDir = join(root, 'src/modules');
const baselineFile = join(root, 'scripts/table-owners.baseline.json');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const moduleOf = (file: string) => relative(modulesDir, file).split('/')[0]!;

/** Table → owning module, from each `interface Database { name: Table; }` in a `*.tables.ts`. */
function owners(files: string[]): Map<string, string> {
  const owner = new Map<string, string>();
  for (const file of files.filter((f) => f.endsWith('.tables.ts'))) {
    const block = /interface Database \{([^}]*)\}/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
    for (const m of block.matchAll(/^\s*(\w+)\s*:/gm)) owner.set(m[1]!, moduleOf(file));
  }
  return owner;
}

/**
 * The query helpers of `src/platform/db` that take a table name (the tenant builder's `findById`,
 * `getById`, `updateById`, ..., and functions such as `insertRows(db, table, rows)`), each with the
 * position of its table argument: every method or function whose parameter `table` has a type
 * parameter bounded by `TenantTable` or `keyof Database`. Read from the source, so a helper added
 * later is counted without editing this list.
 */
function tableHelpers(): Map<string, number> {
  const helpers = new Map<string, number>();
  const dbDir = join(root, 'src/platform/db');
  const signature =
    /(?:^|\bfunction\s+|^\s+)(\w+)<T extends (?:TenantTable|keyof Database)\b[^>]*>\(([^)]*)\)/gm;
  for (const file of filesUnder(dbDir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(signature)) {
      const params = m[2]!.split(',').map((p) => p.trim());
      const at = params.findIndex((p) => /^table\s*:\s*T\b/.test(p));
      if (at >= 0) helpers.set(m[1]!, at);
    }
  }
  if (!helpers.has('findById'))
    throw new Error(`No table-taking helpers found in ${dbDir}: has scope.ts changed?`);
  return helpers;
}

/** The places (file:line) where each module queries a table another module owns. */
export function foreignQueries(): Map<string, string[]> {
  const files = filesUnder(modulesDir);
  const owner = owners(files);
  const names = [...owner.keys()].sort((a, b) => b.length - a.length).join('|');
  const kysely =
    'selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|innerJoin|leftJoin|rightJoin|fullJoin';
  const builders = [
    new RegExp(String.raw`\b(?:${kysely}|getBy|table)\(\s*['"\x60](${names})\b`, 'g'),
    ...[...tableHelpers()].map(
      ([name, at]) =>
        new RegExp(String.raw`\b${name}\(\s*(?:[^,()'"\x60]+,\s*){${at}}['"\x60](${names})\b`, 'g'),
    ),
  ];
  const raw = new RegExp(String.raw`\b(?:from|join|update|into)\s+"?(${names})"?\b(?!\s*[:(])`, 'gi');
  // A migration also touches a table when it puts a trigger or an index on it (`... on messages`,
  // the schema builder's `.on('messages')`).
  const schemaOn = [
    new RegExp(String.raw`\bon\s+"?(${names})"?\b(?!\s*[:(.])`, 'gi'),
    new RegExp(String.raw`\.on\(\s*['"\x60](${names})['"\x60]\s*\)`, 'g'),
  ];
  const places = new Map<string, string[]>();
  for (const file of files) {
    if (file.endsWith('.tables.ts')) continue;
    const migration = file.endsWith('.migrations.ts');
    const mod = moduleOf(file);
    // Comment lines are blanked (kept as lines, so places keep their line numbers).
    const source = readFileSync(file, 'utf8').split('\n');
    const lines = source.map((line) => (/^\s*(\/\/|\*|\/\*\*)/.test(line) ? '' : line));
    const hits: Array<[line: number, table: string]> = [];
    // A builder or helper call may put its table on a later line than the call's name.
    const text = lines.join('\n');
    for (const re of migration ? [...builders, ...schemaOn] : builders)
      for (const m of text.matchAll(re)) hits.push([text.slice(0, m.index).split('\n').length - 1, m[1]!]);
    // A migration that loops over table names (`for (const t of ['leads', 'bookings'])`) and puts a
    // trigger on or reads `${t}` touches each of them.
    if (migration)
      for (const loop of text.matchAll(/for \(const (\w+) of \[([^\]]*)\]\)/g)) {
        const tables = [...loop[2]!.matchAll(/['"](\w+)['"]/g)].map((t) => t[1]!).filter((t) => owner.has(t));
        const use = new RegExp(String.raw`\b(?:on|from|join|update|into)\s+\$\{${loop[1]}\}`, 'gi');
        for (const m of text.slice(loop.index).matchAll(use))
          for (const table of tables)
            hits.push([text.slice(0, loop.index + m.index).split('\n').length - 1, table]);
      }
    lines.forEach((line, i) => {
      for (const m of line.matchAll(raw))
        if (/sql`|executeSql|CompiledQuery|`/.test(source.slice(Math.max(0, i - 6), i + 1).join('\n')))
          hits.push([i, m[1]!]);
    });
    const seen = new Set<string>();
    for (const [i, table] of hits.sort(([a], [b]) => a - b)) {
      if (owner.get(table) === mod || seen.has(`${i}:${table}`)) continue;
      seen.add(`${i}:${table}`);
      const key = `${mod} -> ${table} (${owner.get(table)})`;
      if (!places.has(key)) places.set(key, []);
      places.get(key)!.push(`${relative(root, file)}:${i + 1}`);
    }
  }
  return new Map([...places.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

const found = foreignQueries();
const counts = Object.fromEntries([...found].map(([pair, at]) => [pair, at.length]));
const mode = process.argv[2];
if (mode === '--write') {
  writeFileSync(baselineFile, `${JSON.stringify(counts, null, 2)}\n`);
  console.log(
    `Recorded ${found.size} module/table pairs at ${Object.values(counts).reduce((a, b) => a + b, 0)} places.`,
  );
} else if (mode === '--check') {
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, number>;
  const problems: string[] = [];
  for (const [pair, at] of found) {
    const allowed = baseline[pair] ?? 0;
    if (at.length > allowed)
      problems.push(
        `${pair}: queried at ${at.length} places, ${allowed} allowed. Call the owner's public functions instead:\n    ${at.join('\n    ')}`,
      );
  }
  if (problems.length > 0) {
    console.error(
      `A module queries another module's table (see docs/architecture.md, "Who owns a table"):\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  const paid = Object.keys(baseline).filter((pair) => (found.get(pair)?.length ?? 0) < baseline[pair]!);
  if (paid.length > 0)
    console.log(
      `Table ownership: debt paid off for ${paid.join('; ')}: run \`node scripts/table-owners.ts --write\`.`,
    );
  console.log(
    `Table ownership: ${found.size} module/table pairs still owed (at ${Object.values(counts).reduce((a, b) => a + b, 0)} places); none new.`,
  );
} else {
  for (const [pair, at] of found) console.log(`${pair}\n    ${at.join('\n    ')}`);
  console.log(`${found.size} pairs, ${Object.values(counts).reduce((a, b) => a + b, 0)} places.`);
}
