/**
 * `npm run lint:fast`: the checks of `npm run lint` that an edit can break, side by side, for the
 * edit loop (a few seconds on a 2-core machine): biome, the module boundaries (dependency-cruiser,
 * with its cache), the module graph, table ownership, bus only across modules and the file-size ceiling. It leaves out the
 * OpenAPI lint (redocly, spectral, a generated client compiled: most of a minute), which only a
 * change of routes or schemas can break: `npm run lint` runs everything, as CI does.
 */
import { spawn } from 'node:child_process';

const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const node = (script: string, ...args: string[]) => [
  process.execPath,
  '--disable-warning=ExperimentalWarning',
  new URL(script, import.meta.url).pathname,
  ...args,
];

const checks: Array<[name: string, command: string[]]> = [
  ['biome', [bin('biome'), 'check', '.']],
  [
    'module boundaries',
    [bin('depcruise'), 'src', '--config', '.dependency-cruiser.cjs', '--cache', '--output-type', 'err'],
  ],
  ['module graph', node('module-graph.ts', '--check')],
  ['table ownership', node('table-owners.ts', '--check')],
  ['bus only across modules', node('bus-only.ts', '--check')],
  ['file size', node('file-size.ts', '--check')],
];

const started = performance.now();
const results = await Promise.all(
  checks.map(
    ([name, [command, ...args]]) =>
      new Promise<{ name: string; code: number; output: string; ms: number }>((resolve) => {
        const t0 = performance.now();
        const child = spawn(command!, args, { cwd: new URL('..', import.meta.url).pathname });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (code) => resolve({ name, code: code ?? 1, output, ms: performance.now() - t0 }));
      }),
  ),
);
let failed = 0;
for (const r of results) {
  const mark = r.code === 0 ? 'ok  ' : 'FAIL';
  console.log(`${mark} ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
  if (r.code !== 0) {
    failed++;
    console.log(r.output.trimEnd().replace(/^/gm, '     '));
  }
}
console.log(
  `lint:fast: ${results.length - failed} of ${results.length} checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s (the OpenAPI lint is in \`npm run lint\`)`,
);
process.exit(failed ? 1 : 0);
