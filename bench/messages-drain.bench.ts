/**
 * Queue capacity: `node bench/messages-drain.bench.ts [sqlite|postgres]`.
 * An `api`-only Parley accepts a backlog of messages (nothing works the queue), then a `worker`
 * process starts and the time until every message is `sent` gives how many messages per second
 * the queue carries from accepted to sent, unbounded by the rate they arrive at.
 *
 * The messages are templates (BENCH_CONTENT=text: free text). Besides the wall-clock rate, which a
 * busy machine bounds, it prints the worker's CPU time and that of PostgreSQL's backends per message
 * (PostgreSQL only), and with BENCH_STATEMENTS=1 the statements and commits per message by shape,
 * from PostgreSQL's own statement log (which costs time: compare rates only without it).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Client as PgClient } from 'pg';
import { openDatabase } from '../src/platform/db/database.ts';
import { createPgDatabase, PG_ADMIN_URL } from '../test/support/harness.ts';
import { backendCpu, loadAverage, printStatements, processCpuMs, statementLog } from './pg-cost.ts';
import { createBenchTemplate, messageBody, paced, raiseLimits, startServer, startWorker } from './support.ts';

if (!process.argv[2]) {
  for (const which of ['sqlite', 'postgres']) {
    spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), which], {
      stdio: 'inherit',
    });
  }
  process.exit(0);
}
const storage = process.argv[2] as 'sqlite' | 'postgres';
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
/** Sends per second offered while the backlog is built. */
const RATE = Number(process.env.BENCH_RATE ?? 2000);

const pg = storage === 'postgres' ? await createPgDatabase() : undefined;
const env: Record<string, string> = pg
  ? { DATABASE_URL: pg.url, PARLEY_SECRET_KEY: randomBytes(32).toString('base64') }
  : {};
const api = await startServer({ ...env, PARLEY_ROLE: 'api' });
if (!pg) raiseLimits(api.dataDir);
const handle = await openDatabase({ databaseUrl: pg?.url, sqlitePath: join(api.dataDir, 'parley.db') });
const db = handle.db;
if (pg) {
  await db
    .updateTable('workspaces')
    .set({
      limits: JSON.stringify({ requests_per_minute: null, requests_per_day: null, messages_per_hour: null }),
    })
    .execute();
}
await createBenchTemplate(api.url, api.testKey);
let n = 0;
const backlog = await paced({
  url: `${api.url}/v1/messages`,
  method: 'POST',
  headers: { authorization: `Bearer ${api.testKey}`, 'content-type': 'application/json' },
  rate: RATE,
  seconds: BACKLOG / RATE,
  body: () => messageBody(n++),
});
console.log(
  `[${storage}] backlog: ${backlog.ok} messages accepted by an api-only process (${backlog.rps} req/s offered, p50 ${backlog.p50} ms, p99 ${backlog.p99} ms, non-2xx ${backlog.non2xx})`,
);
// Planner statistics, as a database that has been running has them (a fresh table has none until
// autovacuum gets to it, which on a busy machine can be after the drain; without them PostgreSQL
// may keep a generic plan that reads a workspace's whole conversations index per batch).
// BENCH_ANALYZE=0: without.
if (process.env.BENCH_ANALYZE !== '0') await sql.raw('analyze').execute(db);
// On PostgreSQL the count runs on a connection of its own, named so its CPU is not counted.
const dbName = pg ? new URL(pg.url).pathname.slice(1) : '';
const counter = pg ? new PgClient({ connectionString: pg.url, application_name: 'bench' }) : undefined;
await counter?.connect();
const countSql = `select count(*) as n from messages where status in ('sent', 'delivered', 'read')`;
const countSent = async () =>
  counter
    ? Number((await counter.query<{ n: string }>(countSql)).rows[0]!.n)
    : Number(
        (
          await db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', 'in', ['sent', 'delivered', 'read'])
            .executeTakeFirstOrThrow()
        ).n,
      );
const log = pg && process.env.BENCH_STATEMENTS ? await statementLog(PG_ADMIN_URL, dbName) : undefined;
const backends = pg ? backendCpu(PG_ADMIN_URL, dbName) : undefined;
await backends?.start();
log?.mark();
const t0 = Date.now();
// BENCH_NODE_ARGS: node flags for the worker (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
const worker = await startWorker(
  { ...env, PARLEY_DATA_DIR: api.dataDir },
  (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
);
const workerReadyAt = Date.now();
const cpuAtReady = processCpuMs(worker.pid);
await backends?.sample();
const backendsAtReady = backends?.total() ?? 0;
let sent = 0;
let firstSentAt = 0;
while (Date.now() - t0 < 180_000) {
  sent = await countSent();
  if (sent > 0 && !firstSentAt) firstSentAt = Date.now();
  await backends?.sample();
  if (sent >= backlog.ok) break;
  await new Promise((r) => setTimeout(r, 50));
}
const endAt = Date.now();
const secs = (endAt - t0) / 1000;
const workerCpu = processCpuMs(worker.pid);
const content = process.env.BENCH_CONTENT === 'text' ? 'free text' : 'templates';
console.log(
  `[${storage}] drain (${content}): a worker process took ${sent}/${backlog.ok} from queued to sent in ${secs.toFixed(1)} s (start-up included): ${(sent / secs).toFixed(0)} messages/s; worker ready after ${((workerReadyAt - t0) / 1000).toFixed(1)} s, first sent after ${((firstSentAt - t0) / 1000).toFixed(1)} s, from then ${(sent / ((endAt - firstSentAt) / 1000)).toFixed(0)} messages/s; load average ${loadAverage()}`,
);
console.log(
  `[${storage}] drain CPU per message: worker ${(workerCpu / sent).toFixed(3)} ms (${(((workerCpu - cpuAtReady) / sent) * 1000).toFixed(0)} µs after start-up)${backends ? `, PostgreSQL backends ${(backends.total() / sent).toFixed(3)} ms (${(((backends.total() - backendsAtReady) / sent) * 1000).toFixed(0)} µs after start-up)` : ''}`,
);
if (log) printStatements(`[${storage}] drain statements`, log.read(), sent);
await backends?.close();
await counter?.end();
await worker.stop();
await api.stop();
await handle.close();
// BENCH_KEEP_DB=1: the PostgreSQL database stays (for EXPLAIN); its name is printed.
if (process.env.BENCH_KEEP_DB) console.log(`[${storage}] kept database ${dbName}`);
else await pg?.drop();
rmSync(api.dataDir, { recursive: true, force: true });
