import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import type { Module } from '../../src/modules/module.ts';
import { type Config, loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/context.ts';
import { type Parley, startParley } from '../../src/server.ts';
import { plannedStorages, repoPath } from './storage-plan.ts';
import { PG_TEMPLATE_ENV, SQLITE_TEMPLATE_ENV, templateFits } from './templates.ts';

export type Storage = 'sqlite' | 'postgres';

/** Where the test PostgreSQL server is; databases are created and dropped on it per test app. */
export const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

let pgReachable: Promise<boolean> | undefined;

/** Is PostgreSQL there? Under CI it must be: CI runs the suite on both storages. */
export function postgresAvailable(): Promise<boolean> {
  // scripts/test.ts checked once before starting the test processes: its answer stands. A check
  // made here while a shared test process is importing its files (seconds of a blocked event
  // loop on a busy machine) can miss its 2 s connect timeout and skip PostgreSQL tests silently.
  if (process.env.PARLEY_TEST_PG === '1') return Promise.resolve(true);
  if (process.env.PARLEY_TEST_PG === '0') return Promise.resolve(false);
  pgReachable ??= (async () => {
    if (process.env.PARLEY_TEST_SKIP_PG === '1') return false;
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      if (process.env.CI === 'true')
        throw new Error(
          `PostgreSQL is required under CI but unreachable at ${PG_ADMIN_URL}: ${(err as Error).message}`,
        );
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

/** A new empty database, or a copy of `template` (a migrated database no one is connected to). */
export async function createPgDatabase(
  template?: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Workspace {
  id: string;
  live: string;
  test: string;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw payload (string or Buffer) sent as is; set `content-type` in headers. */
  payload?: string | Buffer;
}

export interface CallResult {
  status: number;
  body: any;
  headers: LightMyRequestResponse['headers'];
  text: string;
}

export interface TestApp {
  storage: Storage;
  parley: Parley;
  ctx: Parley['ctx'];
  config: Config;
  /** Calls the API in process (`app.inject`). */
  call(method: string, url: string, opts?: CallOptions): Promise<CallResult>;
  /** A new workspace with its live and test keys. */
  workspace(opts?: { plan?: string; default_country?: string; name?: string }): Promise<Workspace>;
  close(): Promise<void>;
}

/** A test app's own storage: a data directory and, on PostgreSQL, a database of its own. */
export interface TestStorage {
  storage: Storage;
  dataDir: string;
  /** DATABASE_URL, on PostgreSQL. */
  databaseUrl?: string;
  /** Drops the database and removes the data directory. */
  drop(): Promise<void>;
}

/**
 * A fresh SQLite file or PostgreSQL database for one test app: a copy of the run's migrated
 * template when scripts/test.ts made one and the app's modules fit it (templates.ts), else empty.
 * startTestApp and the module harness (modules.ts) both start from it.
 */
export async function openTestStorage(storage: Storage, modules?: Module[]): Promise<TestStorage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  // scripts/test.ts migrates a template per storage once per run; each app starts from a copy.
  const fits = templateFits(modules);
  const pgDb =
    storage === 'postgres'
      ? await createPgDatabase((fits && process.env[PG_TEMPLATE_ENV]) || undefined)
      : undefined;
  const sqliteTemplate = process.env[SQLITE_TEMPLATE_ENV];
  if (storage === 'sqlite' && fits && sqliteTemplate)
    copyFileSync(sqliteTemplate, join(dataDir, 'parley.db'));
  return {
    storage,
    dataDir,
    databaseUrl: pgDb?.url,
    async drop() {
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The configuration of a test app on `at` (`env` adds to or overrides it). */
export function testConfig(at: TestStorage, env: Record<string, string> = {}): Config {
  const config = loadConfig({
    PARLEY_DATA_DIR: at.dataDir,
    PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_LOG_LEVEL: 'silent',
    // Each kind of job (some forty) polls this often when idle; on SQLite that is two queries a
    // kind a poll. Enqueues, delays and retries wake their kind without a poll, so the poll only
    // catches what no wake-up covers (a job written by hand, a clock a test moved): 100 ms, not
    // 20 ms, which spent a fifth of a SQLite test app's CPU polling.
    PARLEY_JOB_POLL_MS: '100',
    PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
    PORT: '0',
    ...(at.databaseUrl ? { DATABASE_URL: at.databaseUrl } : {}),
    ...env,
  });
  // Up to four test processes (scripts/test-shards.ts) each with a PostgreSQL app at full pools
  // (20 + pg-boss's 10) went over the server's 100 connections ("sorry, too many clients
  // already"): a test app keeps 12 + 5.
  config.testing = { validateResponses: true, pgPools: { db: 12, queue: 5 } };
  return config;
}

/**
 * Starts Parley on a fresh SQLite file or a fresh PostgreSQL database, with responses checked
 * against their documented schemas. Each test app is its own world.
 */
export async function startTestApp(
  storage: Storage,
  opts: {
    env?: Record<string, string>;
    modules?: Module[];
    testing?: Config['testing'];
    /** Where the app's log lines go (with PARLEY_LOG_LEVEL in `env`); default: nowhere. */
    logTo?: { write(line: string): void };
  } = {},
): Promise<TestApp> {
  const storageOf = await openTestStorage(storage, opts.modules);
  const config = testConfig(storageOf, opts.env);
  config.testing = { ...config.testing, ...opts.testing };
  const parley = await startParley(config, {
    listen: false,
    modules: opts.modules,
    bootstrap: false,
    ...(opts.logTo ? { logger: createLogger(config, opts.logTo) } : {}),
  });

  const call = async (method: string, url: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    let payload: string | Buffer | undefined = o.payload;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await parley.app.inject({ method: method as never, url, headers, payload });
    let body: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body.length)
      body = JSON.parse(res.body);
    return { status: res.statusCode, body, headers: res.headers, text: res.body };
  };

  return {
    storage,
    parley,
    ctx: parley.ctx,
    config,
    call,
    async workspace(w = {}) {
      const res = await call('POST', '/v1/admin/workspaces', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: {
          name: w.name ?? 'Test workspace',
          plan: w.plan ?? 'enterprise',
          ...(w.default_country ? { default_country: w.default_country } : {}),
        },
      });
      if (res.status !== 201) throw new Error(`workspace creation failed: ${res.status} ${res.text}`);
      const keys = res.body.api_keys as Array<{ mode: string; key: string }>;
      return {
        id: res.body.workspace.id,
        live: keys.find((k) => k.mode === 'live')!.key,
        test: keys.find((k) => k.mode === 'test')!.key,
      };
    },
    async close() {
      await parley.close();
      await storageOf.drop();
    },
  };
}

/**
 * Declares a suite once per storage: SQLite always, PostgreSQL when reachable (required under CI),
 * unless the calling file is one of the storage-insensitive files of support/storage-plan.ts,
 * whose suites run once, on SQLite. When PostgreSQL is skipped, a skipped test says so plainly.
 */
export function forEachStorage(name: string, body: (storage: Storage) => void) {
  const available = postgresAvailableSync();
  const caller = callerFile();
  const planned = caller ? plannedStorages(repoPath(caller, REPO_ROOT)) : (['sqlite', 'postgres'] as const);
  for (const storage of planned) {
    if (storage === 'postgres' && !available) {
      describe(`${name} [postgres]`, () => {
        it('PostgreSQL skipped: not reachable at PARLEY_TEST_PG_URL', {
          skip: 'PostgreSQL not reachable',
        }, () => {});
      });
      continue;
    }
    const suite = `${name} [${storage}]`;
    if (caller) suiteFiles().set(suite, caller);
    describe(suite, () => body(storage));
  }
}

/**
 * The file that declared each storage's suite, by suite name. node:test places a suite where
 * `describe` was called (here); the file-times reporter reads this to count the time under the
 * test file when files share a process (scripts/test-shards.ts).
 */
export function suiteFiles(): Map<string, string> {
  const key = Symbol.for('parley.test.suite-files');
  const g = globalThis as { [key]?: Map<string, string> };
  g[key] ??= new Map();
  return g[key];
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The file that called forEachStorage: the first frame of the stack outside this file. */
function callerFile(): string | undefined {
  const here = import.meta.url;
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const url = /(file:\/\/[^\s()]+?):\d+:\d+\)?\s*$/.exec(line)?.[1];
    if (url && url !== here) return url;
  }
  return undefined;
}

/**
 * Suites are declared synchronously, so PostgreSQL's presence is decided before the tests load:
 * scripts/test.ts checks once and passes PARLEY_TEST_PG=1|0 to every test file.
 */
function postgresAvailableSync(): boolean {
  if (process.env.PARLEY_TEST_PG === '1') return true;
  if (process.env.PARLEY_TEST_PG === '0') return false;
  // Run directly (node --test file): assume the default local server is there.
  return process.env.PARLEY_TEST_SKIP_PG !== '1';
}

/**
 * Limits count in windows aligned to the wall clock (a minute, an hour). A test that fills one in
 * a burst first waits, when the current window ends within `needMs`, for the next to begin, so
 * the burst is not split over two windows.
 */
export async function awayFromWindowEdge(windowMs: number, needMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 5));
}

/** The least time `eventually` waits, whatever a test asks: see below. */
export const PATIENCE_MS = 60_000;

/** A promise and the function that settles it, for a test that holds one step until another is done. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Polls until `check` returns a truthy value or the time runs out. It waits at least 60 s, even
 * where a test names a shorter time, so a loaded machine (four test processes on two cores) cannot
 * trip a wait: a condition that is met returns at the next poll, and only a real failure waits the
 * whole time. (Nothing uses `eventually` to show that something does not happen.)
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = PATIENCE_MS,
  stepMs = 25,
): Promise<T> {
  timeoutMs = Math.max(timeoutMs, PATIENCE_MS);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * A conversation's jobs of queue `name` by state, read from the queue's own storage (pg-boss's
 * table on PostgreSQL, Parley's on SQLite): `pending` counts those not finished yet.
 */
export async function conversationJobs(t: TestApp, name: string, conversationId: string) {
  const { rows } =
    t.storage === 'postgres'
      ? await sql<{ state: string; key: string | null }>`select state::text as state, singleton_key as key
          from pgboss.job where name = ${name} and data->>'conversationId' = ${conversationId}`.execute(
          t.ctx.db,
        )
      : await sql<{ state: string; key: string | null }>`select state, singleton_key as key from jobs
          where queue = ${name} and payload ->> 'conversationId' = ${conversationId}`.execute(t.ctx.db);
  const pending = rows.filter((r) => ['queued', 'created', 'retry', 'active'].includes(r.state)).length;
  return { pending, all: rows.map((r) => r.state), keys: rows.map((r) => r.key) };
}

/**
 * Opens the WhatsApp 24-hour window with `from` as test mode does it, as live: the customer
 * writes first (`POST /v1/sandbox/inbound`). Returns the conversation id.
 */
export async function openWindow(t: TestApp, key: string, from: string, text = 'Hi'): Promise<string> {
  const res = await t.call('POST', '/v1/sandbox/inbound', { key, body: { from, text } });
  if (res.status !== 200) throw new Error(`sandbox inbound failed: ${res.status} ${res.text}`);
  return res.body.conversation_id as string;
}

/**
 * An agent's `voice` with the sandbox engines: a live-mode web call otherwise uses the builtin
 * engines and is refused (422) on a machine without espeak-ng and pocketsphinx. For tests that
 * place live calls for what they are, not for how they sound.
 */
export const SANDBOX_VOICE = { stt: { provider: 'sandbox' }, tts: { provider: 'sandbox' } } as const;
