/**
 * calls.csv of BENCH_CSV_ROWS (1,000,000) calls from the server as `npm start` runs it: the built
 * `dist/main.js` with its flags, in its own process, on SQLite or PostgreSQL (run `npm run build` first). Its RSS
 * is read from /proc when idle and its peak (VmHWM) when the download has ended. Goal: < 200 MB.
 *
 * One real sandbox call is made through the API, then cloned in SQL (a recursive CTE or
 * generate_series: seconds, not the minutes of batched inserts) with new ids and times over 30 days.
 * Knobs: BENCH_CSV_ROWS, BENCH_CSV_NODE_FLAGS (more flags for the server), BENCH_KEEP=1 (keep the
 * data and print BENCH_CSV_DATA=<dir>), BENCH_CSV_DATA (export kept data again, without seeding).
 * Run: node --disable-warning=ExperimentalWarning bench/reports-csv.bench.ts [sqlite|postgres]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { startFlags } from './support.ts';

const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 1_000_000);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const root = new URL('..', import.meta.url).pathname;
// BENCH_CSV_DATA: a data directory kept by an earlier run (BENCH_KEEP=1), exported again without seeding.
const kept = process.env.BENCH_CSV_DATA;
const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'parley-bench-csv-'));
const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
type Seeded = { key: string; start: number; end: number; databaseUrl?: string };
const keptRun = kept ? (JSON.parse(readFileSync(join(dataDir, 'bench.json'), 'utf8')) as Seeded) : undefined;
const storage = keptRun
  ? keptRun.databaseUrl
    ? 'postgres'
    : 'sqlite'
  : process.argv[2] === 'postgres'
    ? 'postgres'
    : 'sqlite';
async function pgAdmin(q: string, url = PG_ADMIN_URL) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(q);
  } finally {
    await c.end();
  }
}
async function makeDatabase(): Promise<string | undefined> {
  if (keptRun) return keptRun.databaseUrl;
  if (storage === 'sqlite') return undefined;
  const name = `parley_bench_csv_${process.pid}`;
  await pgAdmin(`CREATE DATABASE ${name}`);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
const databaseUrl = await makeDatabase();
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = probe.address() as { port: number };
    probe.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const status = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) /
  1024;

async function server(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [...startFlags, ...(process.env.BENCH_CSV_NODE_FLAGS ?? '').split(' ').filter(Boolean), 'dist/main.js'],
    {
      cwd: root,
      // Its output (with BENCH_CSV_NODE_FLAGS=--trace-gc, each collection) goes to a log file.
      stdio: [
        'ignore',
        openSync('/tmp/facts-csv-server.log', 'a'),
        openSync('/tmp/facts-csv-server.log', 'a'),
      ],
      env: {
        ...process.env,
        PARLEY_DATA_DIR: dataDir,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        PARLEY_ADMIN_TOKEN: ADMIN,
        PARLEY_SECRET_KEY: 'YmVuY2gtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=',
        PARLEY_LOG_LEVEL: 'warn',
        PARLEY_VOICE_SANDBOX_PACE: 'virtual',
        PORT: String(port),
        HOST: '127.0.0.1',
      },
    },
  );
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}
const stop = (c: ChildProcess) => new Promise((r) => c.once('exit', r).kill());

async function api(method: string, path: string, key: string, body?: unknown): Promise<any> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (a shared machine)`,
);
/** One workspace, one real sandbox call through the API, cloned ROWS times in SQL; the server is stopped for it. */
async function seed(): Promise<Seeded> {
  const ws = await api('POST', '/v1/admin/workspaces', ADMIN, { name: 'Bench', plan: 'enterprise' });
  const key = (ws.api_keys as Array<{ mode: string; key: string }>).find((k) => k.mode === 'test')!.key;
  const agent = await api('POST', '/v1/agents', key, { name: 'Bench desk' });
  const call = await api('POST', '/v1/calls', key, {
    calls: [
      {
        agent_id: agent.id,
        to: '+919800000002',
        sandbox: { lines: ['Hi', 'Bye'], hangup_after_lines: true },
      },
    ],
  });
  const callId = call.results[0].call.id as string;
  for (let i = 0; i < 600; i++) {
    if ((await api('GET', `/v1/calls/${callId}`, key)).ended_at) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop(child);

  const end = Date.now();
  const start = end - 30 * 86_400_000;
  const t0 = performance.now();
  if (databaseUrl) {
    const cols = (
      await pgAdmin(
        `select column_name from information_schema.columns where table_name = 'calls'`,
        databaseUrl,
      )
    ).rows.map((r) => r.column_name as string);
    const at = `to_char(to_timestamp(${start / 1000} + i * ${(end - start - 3_600_000) / 1000 / ROWS}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const expr: Record<string, string> = {
      id: `'call_bench' || lpad(i::text, 16, '0')`,
      provider_call_id: 'null',
      queued_at: at,
      created_at: at,
    };
    await pgAdmin(
      `insert into calls (${cols.join(', ')})
       select ${cols.map((c) => expr[c] ?? `c.${c}`).join(', ')}
       from generate_series(1, ${ROWS}) i, (select * from calls where id = '${callId}') c;
       analyze calls`,
      databaseUrl,
    );
  } else {
    const db = new DatabaseSync(join(dataDir, 'parley.db'));
    const cols = (
      db.prepare('select name from pragma_table_info(?)').all('calls') as Array<{ name: string }>
    ).map((c) => c.name);
    const expr: Record<string, string> = {
      id: `'call_bench' || printf('%016d', i)`,
      provider_call_id: 'null',
      queued_at: `strftime('%Y-%m-%dT%H:%M:%fZ', ${start / 1000} + i * ${(end - start - 3_600_000) / 1000 / ROWS}, 'unixepoch')`,
      created_at: `strftime('%Y-%m-%dT%H:%M:%fZ', ${start / 1000} + i * ${(end - start - 3_600_000) / 1000 / ROWS}, 'unixepoch')`,
    };
    db.prepare(
      `insert into calls (${cols.join(', ')})
       with recursive n(i) as (select 1 union all select i + 1 from n where i < ${ROWS})
       select ${cols.map((c) => expr[c] ?? `c.${c}`).join(', ')} from n, (select * from calls where id = ?) c`,
    ).run(callId);
    db.close();
  }
  console.log(`seeded ${ROWS} calls in ${Math.round((performance.now() - t0) / 1000)} s`);
  writeFileSync(join(dataDir, 'bench.json'), JSON.stringify({ key, start, end, databaseUrl }));
  return { key, start, end };
}

let child = await server();
try {
  const { key, start, end } = keptRun ?? (await seed());
  if (!kept) child = await server();
  const pid = child.pid as number;
  await new Promise((r) => setTimeout(r, 1000));
  const idle = status(pid, 'VmRSS');
  const startPeak = status(pid, 'VmHWM');
  const t = performance.now();
  const res = await fetch(
    `${base}/v1/reports/calls.csv?from=${new Date(start).toISOString()}&to=${new Date(end).toISOString()}`,
    { headers: { authorization: `Bearer ${key}` } },
  );
  if (!res.ok || !res.body) throw new Error(`calls.csv: ${res.status}`);
  let bytes = 0;
  let rows = -1; // the header
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) rows++;
  }
  const seconds = Math.round((performance.now() - t) / 100) / 10;
  const peak = status(pid, 'VmHWM');
  console.log(
    `calls.csv (${storage}): ${rows} rows, ${Math.round(bytes / 1048576)} MB in ${seconds} s (${Math.round(rows / seconds)} rows/s); dist/main.js RSS ${Math.round(idle)} MB idle (peak so far ${Math.round(startPeak)} MB), peak (VmHWM) ${Math.round(peak)} MB`,
  );
  console.log(
    `${rows >= ROWS && peak < 200 ? 'ok  ' : 'MISS'} CSV of ${rows} rows: peak RSS ${Math.round(peak)} MB < 200 MB`,
  );
  await stop(child);
} catch (err) {
  console.error(readFileSync(join(dataDir, 'server.log'), 'utf8').slice(-3000));
  throw err;
} finally {
  if (child.exitCode === null) child.kill();
  if (process.env.BENCH_KEEP) console.log(`data kept: BENCH_CSV_DATA=${dataDir}`);
  else if (!kept) {
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl)
      await pgAdmin(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
  }
}
