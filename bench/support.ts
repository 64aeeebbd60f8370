import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import pg from 'pg';

/**
 * The server exactly as `npm start` runs it (built once, then `node <flags> dist/main.js`, flags
 * read from package.json), in its own process so the load generator does not share its CPU.
 */
const startScript = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts
  .start as string;
const nodeArgs = startScript.split('&& node ')[1].trim().split(/\s+/);
/** `npm start`'s Node flags, without its script (for benchmarks that start `dist/main.js` their own way). */
export const startFlags = nodeArgs.slice(0, -1);
let built = false;

export async function startServer(
  env: Record<string, string> = {},
  /** Node flags put after `npm start`'s, before its script (e.g. `--import` of a probe, `--cpu-prof`). */
  extraNodeArgs: string[] = [],
): Promise<{
  url: string;
  child: ChildProcess;
  liveKey: string;
  testKey: string;
  dataDir: string;
  rssMb: () => number;
  /** What the server has printed so far. */
  output: () => string;
  stop: () => Promise<void>;
}> {
  if (!built) {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/build.ts'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('build failed');
    built = true;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  // The extra flags after `npm start`'s own and before the script: a V8 flag given again (e.g.
  // `--max-semi-space-size`) overrides the start script's.
  const child = spawn(process.execPath, [...nodeArgs.slice(0, -1), ...extraNodeArgs, ...nodeArgs.slice(-1)], {
    env: {
      ...process.env,
      // Any free port: the server says which it took.
      PORT: '0',
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'warn',
      // The load generator is one address with up to 256 sockets: at the default bound of 256
      // per client, a socket opened as another closes is refused (the drain's backlog lost 0.5-1.6%).
      PARLEY_MAX_CONNECTIONS_PER_CLIENT: '4096',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // Both lines: the keys and the port can come in different chunks.
      if (/test key:\s+\S+/.test(out) && /listening on http:\/\/[^:]+:\d+/.test(out)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const liveKey = /live key:\s+(\S+)/.exec(out)?.[1] ?? '';
  const testKey = /test key:\s+(\S+)/.exec(out)?.[1] ?? '';
  const port = /listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1];
  if (!port) throw new Error(`the server did not say its port: ${out}`);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    liveKey,
    testKey,
    dataDir,
    rssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      } catch {
        return Number.NaN;
      }
    },
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A `PARLEY_ROLE=worker` process beside a server (same flags as `npm start`). */
export async function startWorker(
  env: Record<string, string>,
  /** Node flags put after `npm start`'s, as for the server (e.g. `--cpu-prof`, `--max-semi-space-size=16`). */
  extraNodeArgs: string[] = [],
): Promise<{ pid: number | undefined; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs.slice(0, -1), ...extraNodeArgs, ...nodeArgs.slice(-1)], {
    env: { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...env, PARLEY_ROLE: 'worker' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
  });
  return {
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ duration: 10, connections: 10, ...opts });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const fmt = (r: LoadResult) =>
  `${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`;

/**
 * Lifts the request limits in the embedded database (benchmarks measure work, not 429s). Call it
 * before the first request: authenticated keys are cached for a while.
 */
export function raiseLimits(dataDir: string) {
  const db = new DatabaseSync(join(dataDir, 'parley.db'));
  db.exec('PRAGMA busy_timeout = 5000');
  const unlimited = {
    requests_per_minute: 100_000_000,
    requests_per_day: null,
    messages_per_hour: null,
    knowledge_writes_per_day: null,
  };
  db.prepare('update workspaces set limits = ?').run(JSON.stringify(unlimited));
  db.close();
}

export interface PacedResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator itself sent requests (p99, ms): large means the load generator, not the server, fell behind. */
  sendLagP99: number;
}

/**
 * An open-loop load at a steady rate: request i is due at start + i/rate and is sent then,
 * whatever the earlier ones are doing (up to `maxInFlight` sockets), and its latency counts from
 * when it was due, so a stalled server is not hidden by requests that were never sent
 * ("coordinated omission"). autocannon's `overallRate` is not this: each connection sends its
 * share of a second back to back as fast as the server answers, then waits for the next second,
 * so it measures bursts of up to `connections` requests at once.
 */
export async function paced(opts: {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  rate: number;
  seconds: number;
  body?: () => string;
  maxInFlight?: number;
}): Promise<PacedResult> {
  const { request, Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxInFlight ?? 256 });
  const total = Math.round(opts.rate * opts.seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  let sent = 0;
  let done = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const finish = (due: number, status: number | null) => {
      latencies.push(performance.now() - due);
      if (status === null) errors++;
      else if (status >= 200 && status < 300) ok++;
      else non2xx++;
      if (++done === total) resolve();
    };
    const fire = (due: number) => {
      lags.push(performance.now() - due);
      const body = opts.body?.();
      const req = request(opts.url, { method: opts.method ?? 'GET', headers: opts.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => finish(due, res.statusCode ?? 0));
      });
      req.on('error', () => finish(due, null));
      req.end(body);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * opts.rate) + 1);
      while (sent < due) fire(start + (sent++ * 1000) / opts.rate);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! * 10) / 10;
  return {
    sent: total,
    ok,
    non2xx,
    errors,
    rps: Math.round(total / ((performance.now() - start) / 1000)),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: Math.round(sorted[sorted.length - 1]! * 10) / 10,
    sendLagP99: Math.round(lags.sort((a, b) => a - b)[Math.floor(lags.length * 0.99)]! * 10) / 10,
  };
}

/**
 * BENCH_CONTENT=text: the messages are free text, as the benchmarks before the 24-hour window
 * sent them in test mode (`createBenchTemplate` then turns the window's check off on the sandbox
 * channel), for comparing with trees of that time.
 */
const BENCH_TEXT = process.env.BENCH_CONTENT === 'text';

/**
 * The benchmarks' message: a template to one of 5,000 numbers, the nth in turn (business-initiated:
 * test mode enforces WhatsApp's 24-hour window, so free text to a number that never wrote is a 422).
 * Create the template first with `createBenchTemplate`.
 */
export const messageBody = (n: number) =>
  JSON.stringify({
    to: `+9198${String(10_000_000 + (n % 5_000)).slice(-8)}`,
    ...(BENCH_TEXT
      ? { type: 'text', text: 'Aapki appointment kal 3 baje confirm ho gayi hai.' }
      : { type: 'template', template: { name: 'appointment_confirmed', language: 'hi' } }),
  });

/** The template `messageBody` sends (test mode approves it at once). */
export async function createBenchTemplate(url: string, key: string): Promise<void> {
  const res = await fetch(`${url}/v1/templates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'appointment_confirmed',
      language: 'hi',
      category: 'utility',
      body: 'Aapki appointment kal 3 baje confirm ho gayi hai.',
    }),
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`bench template: ${res.status} ${await res.text()}`);
  if (!BENCH_TEXT) return;
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  // Test mode makes its sandbox channel on the first send.
  const first = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      to: '+919800000000',
      type: 'template',
      template: { name: 'appointment_confirmed', language: 'hi' },
    }),
  });
  if (first.status !== 202 && first.status !== 201) throw new Error(`bench first send: ${first.status}`);
  const channels = (await (await fetch(`${url}/v1/channels`, { headers: auth })).json()) as {
    data: Array<{ id: string; settings: Record<string, unknown> }>;
  };
  for (const ch of channels.data) {
    const patched = await fetch(`${url}/v1/channels/${ch.id}`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ settings: { ...ch.settings, enforce_24h_window: false } }),
    });
    if (patched.status !== 200) throw new Error(`bench channel: ${patched.status} ${await patched.text()}`);
  }
}

/** The p-th percentile of `xs` (nearest rank). */
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
export const ms = (n: number) => `${Math.round(n * 10) / 10} ms`;

/**
 * A database for a benchmark run: SQLite needs none (the data directory holds it); PostgreSQL gets
 * a new one on PARLEY_TEST_PG_URL's server, dropped by `drop()`.
 */
export async function makeBenchDatabase(storage: 'sqlite' | 'postgres') {
  if (storage === 'sqlite') return { url: undefined, drop: async () => {} };
  const adminUrl = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `parley_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// ---------------------------------------------------------------------------------------------
// Limits measured in the same run on the same machine (issue 52, item 13): each figure is printed
// beside the floor this machine gives the same work without Parley, and their ratio, so a figure
// can be judged on any machine (a slower machine raises both; the ratio is Parley's own share).
// ---------------------------------------------------------------------------------------------

export interface OpsResult {
  done: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * `op` run open-loop at a steady `rate` for `seconds` (operation i due at start + i/rate, sent
 * then whatever the earlier ones are doing, up to `maxInFlight`), latency counted from when each
 * was due: `paced`'s method, for work done in this process (a bare query, a bare insert).
 */
export async function pacedOps(opts: {
  rate: number;
  seconds: number;
  op: (i: number) => Promise<unknown>;
  maxInFlight?: number;
}): Promise<OpsResult> {
  const total = Math.round(opts.rate * opts.seconds);
  const maxInFlight = opts.maxInFlight ?? 256;
  const latencies: number[] = [];
  let sent = 0;
  let done = 0;
  let errors = 0;
  let inFlight = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const fire = (i: number, due: number) => {
      inFlight++;
      opts
        .op(i)
        .catch(() => {
          errors++;
        })
        .finally(() => {
          inFlight--;
          latencies.push(performance.now() - due);
          if (++done === total) resolve();
        });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * opts.rate) + 1);
      while (sent < due && inFlight < maxInFlight) {
        fire(sent, start + (sent * 1000) / opts.rate);
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    done,
    errors,
    p50: round(pct(latencies, 50)),
    p90: round(pct(latencies, 90)),
    p99: round(pct(latencies, 99)),
    max: round(Math.max(...latencies)),
  };
}

/** `figure` beside `limit` (the same work's floor, measured in this run) and their ratio. */
export function beside(figure: number, limit: number, unit = 'ms'): string {
  const ratio = limit > 0 ? (figure / limit).toFixed(1) : '∞';
  return `${figure} ${unit} (limit on this machine, same run: ${limit} ${unit}; ${ratio}× it)`;
}

/** What the floors below run their statements on: a Kysely handle (`openDatabase`'s, the driver Parley uses). */
type FloorDb = import('kysely').Kysely<any>;

/**
 * The floor of an accepted message: a bare `INSERT` of a message-sized row and its `COMMIT`
 * through the same driver (`pg` behind Kysely on PostgreSQL, `node:sqlite` on SQLite), at the
 * same rate, into a table of its own (a real one: a temporary table would skip the WAL flush
 * that every commit of Parley's waits for). Dropped afterwards.
 */
export async function insertCommitFloor(db: FloorDb, rate: number, seconds: number): Promise<OpsResult> {
  const { sql } = await import('kysely');
  await sql`drop table if exists bench_floor`.execute(db);
  await sql`create table bench_floor (id text primary key, workspace_id text not null, body text not null, created_at text not null)`.execute(
    db,
  );
  const body = 'x'.repeat(600); // about a stored message row's size (its columns and JSON)
  const prefix = randomBytes(4).toString('hex');
  try {
    return await pacedOps({
      rate,
      seconds,
      op: (i) =>
        db
          .transaction()
          .execute((trx) =>
            sql`insert into bench_floor (id, workspace_id, body, created_at) values (${`${prefix}_${i}`}, ${'ws'}, ${body}, ${new Date().toISOString()})`.execute(
              trx,
            ),
          ),
    });
  } finally {
    await sql`drop table if exists bench_floor`.execute(db);
  }
}

/** The floor of a read: `query` (the same rows a route returns, bare) at the same rate through the same driver. */
export function queryFloor(rate: number, seconds: number, query: () => Promise<unknown>): Promise<OpsResult> {
  return pacedOps({ rate, seconds, op: () => query() });
}
