/**
 * `npm run openapi:lint`: the committed openapi.json passes Redocly's recommended rules and
 * Spectral's `spectral:oas` ruleset with no error (warnings are printed, not fatal), and a client
 * generated from it by orval (the fetch client and the zod schemas) compiles with `tsc --strict`.
 * The client is generated in a temporary directory under node_modules/.cache (so its `zod`
 * import resolves) and removed afterwards. Nothing here reaches the network.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const env = {
  ...process.env,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  SCARF_ANALYTICS: 'false',
};

function run(title: string, cmd: string, args: string[], cwd = root): void {
  const started = Date.now();
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  if (res.status !== 0) {
    console.error(`✖ ${title} failed:\n${out}`);
    process.exit(1);
  }
  const last = out.split('\n').filter(Boolean).slice(-1)[0] ?? '';
  console.log(`✔ ${title} (${Math.round((Date.now() - started) / 1000)} s)${last ? `: ${last}` : ''}`);
}

const doc = join(root, 'openapi.json');
run('redocly lint (recommended)', bin('redocly'), ['lint', doc, '--format=summary']);
run('spectral lint (spectral:oas)', bin('spectral'), ['lint', doc, '-r', join(root, '.spectral.yaml'), '-q']);

const cache = join(root, 'node_modules/.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'orval-check-'));
try {
  const config = {
    fetchClient: {
      input: { target: doc },
      output: { target: join(dir, 'client.ts'), client: 'fetch', mode: 'single' },
    },
    zodSchemas: {
      input: { target: doc },
      output: { target: join(dir, 'zod.ts'), client: 'zod', mode: 'single' },
    },
  };
  writeFileSync(join(dir, 'orval.config.mjs'), `export default ${JSON.stringify(config)};\n`);
  run(
    'orval generate (fetch client, zod schemas)',
    bin('orval'),
    ['--config', join(dir, 'orval.config.mjs')],
    dir,
  );
  run('tsc --strict on the generated client', bin('tsc'), [
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    '--target',
    'es2022',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--lib',
    'es2022,dom,dom.iterable',
    join(dir, 'client.ts'),
    join(dir, 'zod.ts'),
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
