/**
 * `npm test`: every unit, integration and end-to-end test, with node's own test runner.
 * The integration suite runs on SQLite always and on PostgreSQL when it is reachable
 * (PARLEY_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres). Under CI
 * (CI=true) PostgreSQL is required. Arguments are passed to `node --test` (e.g. a file).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';

const pgUrl = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
let pgOk = false;
if (process.env.PARLEY_TEST_SKIP_PG !== '1') {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    pgOk = true;
  } catch (err) {
    if (process.env.CI === 'true') {
      console.error(
        `PostgreSQL is required under CI but is not reachable at ${pgUrl}: ${(err as Error).message}`,
      );
      process.exit(1);
    }
  } finally {
    await client.end().catch(() => {});
  }
}
console.log(
  pgOk
    ? `Storage: SQLite and PostgreSQL (${pgUrl.replace(/\/\/[^@]*@/, '//')}).`
    : `Storage: SQLite only. PostgreSQL was SKIPPED: not reachable at ${pgUrl} (set PARLEY_TEST_PG_URL).`,
);

const args = process.argv.slice(2);
const targets = args.length
  ? args
  : ['src/**/*.test.ts', 'test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'drill/**/*.test.ts'];
const child = spawn(
  process.execPath,
  [
    '--disable-warning=ExperimentalWarning',
    // @parley/sdk and @parley/cli resolve to their TypeScript sources, not their built dist/.
    '--conditions=parley-source',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=120000',
    '--test-reporter=spec',
    ...targets,
  ],
  { stdio: 'inherit', env: { ...process.env, PARLEY_TEST_PG: pgOk ? '1' : '0', NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => {
  if (!pgOk) console.log('Note: the PostgreSQL half of the integration suite was skipped.');
  process.exit(code ?? (signal ? 1 : 0));
});
