/**
 * Where PostgreSQL's time goes per accepted message: `node bench/pg-profile.ts`.
 *
 * Counts what the server sends to PostgreSQL, read from PostgreSQL's own statement log
 * (`log_min_duration_statement = 0`, set on the benchmark's database only), so the figures are
 * counts of round trips and statements, not timings of a busy machine:
 * 1. idle: statements a second with nothing to do (the pollers),
 * 2. N sequential `POST /v1/messages` (templates, then free text with BENCH_TEXT=1), each
 *    drained to `sent` before the next phase: statements and transactions per accepted message,
 *    split into the request's own and the send's,
 * 3. the statements by shape, most frequent first, with their server-side time.
 * The server log must be readable (Debian: /var/log/postgresql/postgresql-<v>-main.log).
 *
 * At volume (`BENCH_RATE=1000 BENCH_SECONDS=5 node bench/pg-profile.ts`): the sends arrive at a
 * steady rate (as bench/messages.bench.ts sends them), so the batched writers hold many per
 * transaction; per accepted message it prints the server's CPU, the PostgreSQL backends' CPU
 * (those of this database, from /proc), the commits and rows written (pg_stat_database), and with
 * BENCH_PG_LOG=1 the statements by shape (the log itself costs PostgreSQL CPU: leave it off when
 * comparing CPU). BENCH_ROLE=api: an api-only server, so only the request side (request →
 * committed `queued`) is measured; otherwise one process that also sends them.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createPgDatabase, PG_ADMIN_URL } from '../test/support/harness.ts';
import { createBenchTemplate, messageBody, paced, startServer } from './support.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROLE = process.env.BENCH_ROLE;
const LOG = RATE === 0 || process.env.BENCH_PG_LOG === '1';
const logDir = '/var/log/postgresql';
const logFile = join(
  logDir,
  readdirSync(logDir)
    .filter((f) => /^postgresql-.*\.log$/.test(f))
    .sort()
    .at(-1) ?? '',
);

const db = await createPgDatabase();
const dbName = new URL(db.url).pathname.slice(1);
const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
await admin.connect();
if (LOG) await admin.query(`ALTER DATABASE ${dbName} SET log_min_duration_statement = 0`);

const server = await startServer(
  {
    DATABASE_URL: db.url,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    ...(ROLE ? { PARLEY_ROLE: ROLE } : {}),
  },
  (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
);
const client = new pg.Client({ connectionString: db.url });
await client.connect();
const clientPid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
await client.query(
  `UPDATE workspaces SET limits = '{"requests_per_minute":null,"requests_per_day":null,"messages_per_hour":null}'`,
);
await createBenchTemplate(server.url, server.testKey);

const offset = () => statSync(logFile).size;
interface Stmt {
  kind: string;
  ms: number;
  text: string;
}
/** The statements logged for this database since `from`. */
function statements(from: number): Stmt[] {
  const text = readFileSync(logFile).subarray(from).toString('utf8');
  const out: Stmt[] = [];
  const head = new RegExp(
    `@${dbName} LOG:\\s+duration: ([\\d.]+) ms\\s+(statement|parse|bind|execute)[^:]*:\\s*([\\s\\S]*)`,
  );
  // One log entry per line that starts with a timestamp; a statement may span several lines.
  for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
    const m = head.exec(entry);
    if (m) out.push({ ms: Number(m[1]), kind: m[2], text: m[3].trim() });
  }
  return out;
}
const sentCount = async () =>
  Number(
    (await client.query(`SELECT count(*) AS n FROM messages WHERE status IN ('sent','delivered','read')`))
      .rows[0].n,
  );

const shape = (t: string) =>
  t
    .replace(/\$\d+/g, '?')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 140);
/** The statements by shape, most frequent first: runs per message, server ms per message. */
function printShapes(all: Stmt[], n: number) {
  const byShape = new Map<string, { n: number; ms: number; planMs: number }>();
  for (const s of all) {
    const k = shape(s.text);
    const e = byShape.get(k) ?? { n: 0, ms: 0, planMs: 0 };
    if (s.kind === 'statement' || s.kind === 'execute') {
      e.n++;
      e.ms += s.ms;
    } else e.planMs += s.ms;
    byShape.set(k, e);
  }
  console.log(
    'statements by shape (runs per message; server ms per message: run, parse+bind; the statement):',
  );
  for (const [k, e] of [...byShape].sort((a, b) => b[1].n - a[1].n).slice(0, 40))
    console.log(
      `  ${(e.n / n).toFixed(3).padStart(7)}  ${(e.ms / n).toFixed(3).padStart(7)} ms ${(e.planMs / n).toFixed(3).padStart(7)} ms  ${k}`,
    );
}
async function finish() {
  await server.stop();
  await client.end();
  await admin.end();
  await db.drop();
  process.exit(0);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** CPU (user + system) of a process so far, ms, from /proc; 0 when it is gone. */
const procCpuMs = (pid: number | undefined) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
};
/** This database's backends (not this script's own connection) and their CPU so far. */
async function backendCpu(): Promise<Map<number, number>> {
  const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [
    dbName,
    clientPid,
  ]);
  return new Map(rows.map((r: { pid: number }) => [r.pid, procCpuMs(r.pid)]));
}
/** pg_stat_database's counters for this database (a backend reports them within ~10 s of going idle). */
async function dbCounters() {
  const { rows } = await admin.query(
    'SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched FROM pg_stat_database WHERE datname = $1',
    [dbName],
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)])) as Record<
    string,
    number
  >;
}
const STATS_FLUSH_MS = 11_000;

if (RATE > 0) {
  const api = ROLE === 'api';
  const headers = { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' };
  let n = 0;
  const run = (rate: number, seconds: number) =>
    paced({
      url: `${server.url}/v1/messages`,
      method: 'POST',
      headers,
      rate,
      seconds,
      body: () => messageBody(n++),
    });
  let polls = 0;
  const untilSent = async (target: number) => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      polls++;
      if ((await sentCount()) >= target) return;
      await sleep(500);
    }
  };
  // Warm-up: the pool, the prepared statements, the JIT; then the first 5,000 contacts exist
  // only from the measured run on (it sends to 5,000 numbers in turn).
  await run(Math.min(RATE, 500), 1);
  if (!api) await untilSent(await messageCount());
  n = 0;
  await sleep(STATS_FLUSH_MS);
  const c0 = await dbCounters();
  const pg0 = await backendCpu();
  const cpu0 = procCpuMs(server.child.pid);
  const sent0 = await sentCount();
  const logFrom = LOG ? offset() : 0;
  polls = 0;
  const t0 = Date.now();
  const r = await run(RATE, SECONDS);
  if (!api) await untilSent(sent0 + r.ok);
  const wall = (Date.now() - t0) / 1000;
  const cpu1 = procCpuMs(server.child.pid);
  const pg1 = await backendCpu();
  const logged = LOG ? statements(logFrom) : [];
  await sleep(STATS_FLUSH_MS);
  const c1 = await dbCounters();
  let pgMs = 0;
  for (const [pid, ms] of pg1) pgMs += ms - (pg0.get(pid) ?? 0);
  const gone = [...pg0.keys()].filter((pid) => !pg1.has(pid)).length;
  const per = (x: number) => (x / r.ok).toFixed(2);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const what = `${api ? 'accepted (api-only: request → committed)' : 'accepted and sent (one process)'}`;
  console.log(
    `${r.ok} messages (${process.env.BENCH_CONTENT === 'text' ? 'free text' : 'template'}) at ${RATE}/s offered, ${r.rps} req/s taken: p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms, max ${r.max} ms, non-2xx ${r.non2xx}, errors ${r.errors}; ${wall.toFixed(1)} s to ${api ? 'the last answer' : 'the last sent'}; load average ${load}`,
  );
  console.log(
    `per message ${what}: server CPU ${per(cpu1 - cpu0)} ms, PostgreSQL backends' CPU ${per(pgMs)} ms (${pg1.size} backends${gone ? `, ${gone} gone` : ''}), commits ${per(c1.xact_commit - c0.xact_commit - polls)} (rollbacks ${per(c1.xact_rollback - c0.xact_rollback)}), rows inserted ${per(c1.tup_inserted - c0.tup_inserted)}, updated ${per(c1.tup_updated - c0.tup_updated)}, deleted ${per(c1.tup_deleted - c0.tup_deleted)}`,
  );
  if (LOG) {
    const runs = logged.filter((s) => s.kind === 'statement' || s.kind === 'execute');
    const begins = runs.filter((s) => /^begin/i.test(s.text)).length;
    console.log(
      `statements ${per(runs.length)} and transactions (begin) ${per(begins)} per message; server time ${per(logged.reduce((a, s) => a + s.ms, 0))} ms per message`,
    );
    printShapes(logged, r.ok);
  }
  await finish();
}
/** The messages stored (the warm-up's target). */
async function messageCount() {
  return Number((await client.query('SELECT count(*) AS n FROM messages')).rows[0].n);
}

// 1. Idle.
await new Promise((r) => setTimeout(r, 2000));
let from = offset();
await new Promise((r) => setTimeout(r, 5000));
const idle = statements(from).filter((s) => s.kind !== 'parse' && s.kind !== 'bind');
console.log(
  `idle: ${(idle.length / 5).toFixed(1)} statements/s (${idle
    .map((s) => s.text.slice(0, 50))
    .slice(0, 3)
    .join(' | ')})`,
);

// 2. Sequential sends.
const before = await sentCount();
from = offset();
const headers = { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' };
let requestMs = 0;
for (let i = 0; i < N; i++) {
  const t = performance.now();
  const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers, body: messageBody(i + 1) });
  requestMs += performance.now() - t;
  if (res.status !== 202 && res.status !== 201)
    throw new Error(`send ${i}: ${res.status} ${await res.text()}`);
}
const deadline = Date.now() + 60_000;
while ((await sentCount()) < before + N && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 100));
const all = statements(from);
const runs = all.filter((s) => s.kind === 'statement' || s.kind === 'execute');
const begins = runs.filter((s) => /^begin/i.test(s.text)).length;
const serverMs = all.reduce((a, s) => a + s.ms, 0);
const planMs = all
  .filter((s) => s.kind !== 'statement' && s.kind !== 'execute')
  .reduce((a, s) => a + s.ms, 0);
console.log(
  `${N} messages (${process.env.BENCH_TEXT ? 'free text' : 'template'}), sequential: ${(runs.length / N).toFixed(1)} statements and ${(begins / N).toFixed(2)} transactions per message; server time ${(serverMs / N).toFixed(2)} ms per message (parse+bind ${(planMs / N).toFixed(2)} ms); request p-mean ${(requestMs / N).toFixed(1)} ms`,
);
printShapes(all, N);
await finish();
