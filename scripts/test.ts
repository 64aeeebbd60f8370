/**
 * `npm test`: every unit, integration and end-to-end test, with node's own test runner.
 * The integration suite runs on SQLite always and on PostgreSQL when it is reachable
 * (PARLEY_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres). Under CI
 * (CI=true) PostgreSQL is required. Arguments are passed to `node --test` (e.g. a file).
 *
 * What keeps it fast (issue 28):
 * - Storage-insensitive files run their suites once, on SQLite: the list, each with its reason,
 *   is test/support/storage-plan.ts; every other file runs on both storages (the default, so a
 *   new file loses nothing). PARLEY_TEST_STORAGES=both runs every file on both.
 * - One migrated template database per storage for the whole run (test/support/templates.ts):
 *   each test app starts from a copy instead of migrating an empty database.
 * - The slow suites are not part of `npm test`: the fault drill (drill/: real server processes
 *   killed with SIGKILL, the database and Redis cut, webhook receivers failing for hours of app
 *   time) and the files of SLOW below. `npm run test:slow` (this script with `--slow`) runs them,
 *   and CI (.ci/run) runs it after `npm test`. `npm run drill` runs drill/ alone.
 * `--list` prints each file with the storages it runs on, and the count of (file × storage) runs.
 * `--changed[=REF]` runs the tests of the modules a change touches (scripts/test-changed.ts).
 * The closing summary counts the layers apart (unit, module, http: scripts/test-shards.ts) before
 * node's own closing lines.
 * - The files run in DEFAULT_PROCESSES long-lived processes side by side, split by their recorded
 *   times, each loading the app once (scripts/test-shards.ts), instead of one process per file.
 *   PARLEY_TEST_ISOLATION=process runs each file in a process of its own (two at a time), as
 *   before; the slow run and drill/ always do.
 * - V8's compile cache (NODE_COMPILE_CACHE, in node_modules/.cache/parley-test) for every process.
 * PARLEY_TEST_TIMES=FILE also writes each file's and each storage's time to FILE (JSON);
 * `--record-times` writes each file's time to test/support/test-times.json (the split's input).
 * Both need the shared processes: in a process per file, node reports a `forEachStorage` suite
 * as declared in test/support/harness.ts, not in its test file.
 */
import { spawn } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ONCE_ON_SQLITE, plannedStorages } from '../test/support/storage-plan.ts';
import { makeTemplates, type Templates } from '../test/support/templates.ts';
import { changedFiles, testsForChange } from './test-changed.ts';
import { balance, recordedTimes, recordTimes, runShards, TIMES_FILE } from './test-shards.ts';

const root = join(import.meta.dirname, '..');

/** What `npm test` runs. */
const TEST_GLOBS = ['src/**/*.test.ts', 'test/**/*.test.ts', 'packages/*/test/**/*.test.ts'];
/** What `npm run test:slow` runs: the drill, and the files of SLOW. */
const DRILL_GLOBS = ['drill/**/*.test.ts'];
/**
 * Slow files outside drill/, each taking minutes of a loaded 2-core machine: `npm test` leaves
 * them to `npm run test:slow`, which CI runs after it (measured in issue 28, see BENCHMARKS.md).
 */
const SLOW: Readonly<Record<string, string>> = {
  'test/voice/call-crash.test.ts':
    'a drill: a server holding live calls killed with SIGKILL and restarted, on both storages (drill/call-crash.test.ts is its twin)',
  'packages/sdk/test/package.test.ts':
    'a release check: npm pack of the SDK and the CLI, both tarballs installed into a fresh project',
  'src/platform/zip64.test.ts':
    'ZIP64: a zip of 65,600 entries read back (yazl looks for the next entry from the first, O(n²): about 100 s)',
  'test/deploy/image.test.ts':
    'a release check: the OCI image built (minutes; the first run also makes its Debian base), started, and a message sent through it',
  'packages/sdk/test/schema.test.ts':
    'a generated-file check: openapi-typescript over the 4.8 MB openapi.json, compared with schema.d.ts',
};

/**
 * How many processes `npm test` runs the files in (PARLEY_TEST_PROCESSES overrides): the files of
 * one process run one after another, so a few more processes than cores keep the cores busy
 * while tests wait on timers, sockets and the database.
 */
const DEFAULT_PROCESSES = 4;

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

// A name in the storage plan that is no longer a test file would hide nothing but mislead the reader.
const stale = Object.keys(ONCE_ON_SQLITE).filter((file) => !existsSync(join(root, file)));
if (stale.length) {
  console.error(`test/support/storage-plan.ts names files that do not exist: ${stale.join(', ')}`);
  process.exit(1);
}
if (pgOk)
  console.log(
    process.env.PARLEY_TEST_STORAGES === 'both'
      ? 'Storage plan: every file on both storages (PARLEY_TEST_STORAGES=both).'
      : `Storage plan: ${Object.keys(ONCE_ON_SQLITE).length} storage-insensitive files run once, on SQLite ` +
          '(test/support/storage-plan.ts); every other file on both storages.',
  );

const flags = new Set<string>(
  process.argv
    .slice(2)
    .filter(
      (a) =>
        a === '--slow' ||
        a === '--list' ||
        a === '--record-times' ||
        a === '--changed' ||
        a.startsWith('--changed='),
    ),
);
const slow = flags.has('--slow');
const changed = [...flags].find((f) => f === '--changed' || f.startsWith('--changed='));
const args = process.argv.slice(2).filter((a) => !flags.has(a));
const missing = Object.keys(SLOW).filter((file) => !existsSync(join(root, file)));
if (missing.length) {
  console.error(`scripts/test.ts SLOW names files that do not exist: ${missing.join(', ')}`);
  process.exit(1);
}
const files = (globs: string[]) => globs.flatMap((g) => globSync(g, { cwd: root })).sort();
const everyTest = () => files(TEST_GLOBS).filter((file) => !Object.hasOwn(SLOW, file));
const targets = changed
  ? [...changedTargets(changed.split('=')[1]), ...args]
  : args.length
    ? args
    : slow
      ? [...files(DRILL_GLOBS), ...Object.keys(SLOW)]
      : everyTest();
if (changed && !targets.some(isFileArg)) {
  console.log('npm test --changed: no test file covers the change.');
  process.exit(0);
}
if (!args.length && !changed) {
  // (file × storage) runs: a file using forEachStorage runs its suites once per planned storage;
  // any other file is one run (it picks its storages itself, e.g. a PostgreSQL-only contract).
  let runs = 0;
  let twice = 0;
  for (const file of targets) {
    const planned = readFileSync(join(root, file), 'utf8').includes('forEachStorage(');
    const storages = planned ? plannedStorages(file).filter((s) => pgOk || s === 'sqlite') : ['own'];
    runs += storages.length;
    if (storages.length === 2) twice++;
    if (flags.has('--list')) console.log(`${file}\t${storages.join(',')}`);
  }
  console.log(
    `${slow ? 'npm run test:slow' : 'npm test'}: ${targets.length} files, ${runs} (file × storage) runs ` +
      `(${twice} files on both storages)` +
      (slow ? '.' : `; drill/ and ${Object.keys(SLOW).length} slow files are left to npm run test:slow.`),
  );
  if (flags.has('--list')) process.exit(0);
}
let templates: Templates | undefined;
if (process.env.PARLEY_TEST_TEMPLATES !== '0') {
  try {
    templates = await makeTemplates(pgOk ? pgUrl : undefined);
  } catch (err) {
    console.log(`Template databases not made (${(err as Error).message}): each test app migrates its own.`);
  }
}

const record = flags.has('--record-times');
const times =
  process.env.PARLEY_TEST_TIMES ?? (record ? join(tmpdir(), `parley-times-${process.pid}.json`) : undefined);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...templates?.env,
  PARLEY_TEST_PG: pgOk ? '1' : '0',
  NODE_ENV: 'test',
  // V8's compile cache, kept between runs, takes about 0.9 s off each process that loads the app
  // from TypeScript (and off the server and CLI processes the tests spawn).
  NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(root, 'node_modules', '.cache', 'parley-test'),
};
const nodeArgs = [
  '--disable-warning=ExperimentalWarning',
  // @parley/sdk and @parley/cli resolve to their TypeScript sources, not their built dist/.
  '--conditions=parley-source',
  '--test',
  // A test's own budget: long enough that no load on a 2-core machine can trip it (a busy run is
  // slow, not wrong), short enough that a hung test still ends the run well within CI's time.
  '--test-timeout=600000',
  // A file whose tests are over ends even if something it started is still running (a timer or
  // a socket a failed test left behind): such a leak must fail its test, not hang the whole run.
  '--test-force-exit',
];
// Shared processes are the default (issue 28, BENCHMARKS.md): each process loads the app once
// instead of once per file. The one file that failed there (calls-media: a web-transport unit
// test left a transport in the process-wide audio pacer, whose timer a later file's mocked
// setTimeout then swallowed) is fixed. PARLEY_TEST_ISOLATION=process keeps a process per file;
// the drill and the slow files always do (they kill and restart processes of their own).
const perFile =
  slow || process.env.PARLEY_TEST_ISOLATION === 'process' || targets.some((f) => f.startsWith('drill/'));
const code = perFile ? await runPerFile() : await runGrouped();
await templates?.drop().catch((err) => console.error(`template cleanup: ${(err as Error).message}`));
if (record && times && existsSync(times)) {
  recordTimes(times);
  console.log(`Recorded each file's time in ${TIMES_FILE}.`);
}
if (!pgOk) console.log('Note: the PostgreSQL half of the integration suite was skipped.');
process.exit(code);

/** The files in a few processes side by side, each loading the app once (scripts/test-shards.ts). */
async function runGrouped(): Promise<number> {
  const files = targets
    .filter(isFileArg)
    .flatMap((t) => (/[*?{[]/.test(t) ? globSync(t, { cwd: root }).sort() : [t]));
  const passArgs = targets.filter((t) => !isFileArg(t));
  const wanted = Number(process.env.PARLEY_TEST_PROCESSES ?? DEFAULT_PROCESSES);
  const groups = balance(
    files,
    recordedTimes(),
    Number.isInteger(wanted) && wanted > 0 ? wanted : DEFAULT_PROCESSES,
  );
  console.log(
    `${files.length} test files in ${groups.length} processes (balanced by test/support/test-times.json).`,
  );
  // Ctrl-C reaches the test processes too (same process group); the templates are dropped after.
  process.on('SIGINT', () => {});
  return runShards({ groups, nodeArgs, passArgs, env, timesOut: times });
}

/** Each file in its own process, two at a time (node --test's default isolation). */
async function runPerFile(): Promise<number> {
  const reporters = times
    ? [
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=./test/support/file-times-reporter.ts',
        `--test-reporter-destination=${times}`,
      ]
    : ['--test-reporter=spec'];
  const child = spawn(process.execPath, [...nodeArgs, '--test-concurrency=2', ...reporters, ...targets], {
    stdio: 'inherit',
    env,
  });
  // Ctrl-C reaches the runner too (same process group); the templates are dropped when it exits.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
}

/** `--changed`: the test files of the modules the change touches (scripts/test-changed.ts), each with why. */
function changedTargets(ref: string | undefined): string[] {
  const { picked, modules, unmapped } = testsForChange(root, changedFiles(root, ref), everyTest());
  console.log(
    `npm test --changed${ref ? `=${ref}` : ''}: modules ${modules.join(', ') || '(none)'}; ` +
      `${picked.size} test files.`,
  );
  for (const [file, why] of picked) console.log(`  ${file}\t(${why})`);
  if (unmapped.length)
    console.log(`  Not mapped to a module (the full npm test covers them): ${unmapped.join(' ')}`);
  return [...picked.keys()];
}

/** A test file or a glob of them (anything else on the command line goes to node --test as is). */
function isFileArg(arg: string): boolean {
  return !arg.startsWith('-') && (/\.(ts|js|mjs|cjs)$/.test(arg) || /[*?{[]/.test(arg));
}
