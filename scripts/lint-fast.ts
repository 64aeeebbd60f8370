/**
 * `npm run lint:fast`: the checks of `npm run lint` that an edit can break, side by side, for the
 * edit loop (a few seconds on a 2-core machine): biome on the files changed since main (`--all`: every file), the module boundaries and the module graph
 * (one cruise by dependency-cruiser, with its cache), table ownership, bus only across modules and the file-size ceiling. It leaves out the
 * OpenAPI lint (redocly, spectral, a generated client compiled: most of a minute), which only a
 * change of routes or schemas can break: `npm run lint` runs everything, as CI does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const node = (script: string, ...args: string[]) => [
  process.execPath,
  '--disable-warning=ExperimentalWarning',
  new URL(script, import.meta.url).pathname,
  ...args,
];

const rootDir = new URL('..', import.meta.url).pathname;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: rootDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter(Boolean);

/**
 * The files biome looks at: those changed since the branch left main (PARLEY_LINT_BASE names
 * another base), committed or not, and new ones; every file with `--all`, or when there is no
 * such base. Biome's rules read one file at a time, so a file nobody changed cannot have broken.
 */
function biomeTargets(): string[] {
  if (process.argv.includes('--all')) return ['.'];
  try {
    const base = git('merge-base', 'HEAD', process.env.PARLEY_LINT_BASE ?? 'main')[0]!;
    const changed = new Set([
      ...git('diff', '--name-only', base),
      ...git('ls-files', '--others', '--exclude-standard'),
    ]);
    const files = [...changed].filter(
      (f) => /\.(ts|tsx|js|mjs|cjs|json|jsonc|css)$/.test(f) && existsSync(f),
    );
    return files.length ? files : [];
  } catch {
    return ['.'];
  }
}

const biomeFiles = biomeTargets();
const checks: Array<[name: string, command: string[]]> = [
  ...(biomeFiles.length
    ? ([
        [
          biomeFiles[0] === '.'
            ? 'biome'
            : `biome (${biomeFiles.length} changed files; --all for every file)`,
          [bin('biome'), 'check', '--files-ignore-unknown=true', '--no-errors-on-unmatched', ...biomeFiles],
        ],
      ] as Array<[string, string[]]>)
    : []),
  // One cruise of src (cached) for both: the boundary rules and the drawn graph.
  ['module boundaries and graph', node('module-graph.ts', '--check', '--rules')],
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
