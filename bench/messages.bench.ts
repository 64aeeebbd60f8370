/**
 * Messaging benchmark: `node bench/messages.bench.ts [sqlite|postgres]`.
 * Starts Parley on a port with the sandbox channel, seeds 100,000 conversations (each with its
 * contact and one message) with planner statistics, and reports:
 * 1. POST /v1/messages at a fixed 1,000 requests/s (latency percentiles; CPU per message of the
 *    server, PostgreSQL's backends and this load generator),
 * 2. how fast the queue carries those messages from accepted to `sent`,
 * 3. GET /v1/conversations latency with the 100,000 conversations stored.
 * BENCH_CONVERSATIONS=0: parts 1 and 2 only, on the new, empty database.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannonUntyped from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.ts';
import { createPgDatabase, PG_ADMIN_URL } from '../test/support/harness.ts';
import { backendCpu, loadAverage, printStatements, processCpuMs, statementLog } from './pg-cost.ts';
import {
  beside,
  createBenchTemplate,
  insertCommitFloor,
  messageBody,
  paced,
  queryFloor,
  startServer,
  startWorker,
} from './support.ts';

interface AcResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}
const autocannon = autocannonUntyped as unknown as (opts: Record<string, unknown>) => Promise<AcResult>;

if (!process.argv[2]) {
  // `npm run bench`: both storages (PostgreSQL in one process and split by role), each run in a fresh process.
  for (const which of ['sqlite', 'postgres', 'postgres-split']) {
    spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), which], {
      stdio: 'inherit',
    });
  }
  process.exit(0);
}
// `postgres-split`: the scaled shape, an `api` process and a `worker` process sharing
// PostgreSQL and Redis (REDIS_URL, default the local one).
const mode = process.argv[2] as 'sqlite' | 'sqlite-split' | 'postgres' | 'postgres-split';
const split = mode.endsWith('-split');
const storage = split ? `${mode.replace('-split', '')}, api + worker processes` : mode;
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100_000);
const LIST_RATE = Number(process.env.BENCH_LIST_RATE ?? 200);

// The server runs in its own process, so the load generator does not share its event loop.
const pg = mode.startsWith('sqlite') ? undefined : await createPgDatabase();
// BENCH_STATEMENTS=1 (PostgreSQL): the statements of the POST part (per message sent) and of each
// flat-out list run (per request) by shape, from
// PostgreSQL's log (set before the server connects; logging costs time, so compare CPU without it).
const stmtLog =
  pg && process.env.BENCH_STATEMENTS
    ? await statementLog(PG_ADMIN_URL, new URL(pg.url).pathname.slice(1))
    : undefined;
const pgEnv: Record<string, string> = pg
  ? {
      DATABASE_URL: pg.url,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      ...(split ? { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : {}),
    }
  : {};
// BENCH_NODE_ARGS: node flags for the server and the worker (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
const extraNodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const server = await startServer(split ? { ...pgEnv, PARLEY_ROLE: 'api' } : pgEnv, extraNodeArgs);
const worker = split
  ? await startWorker({ ...pgEnv, PARLEY_DATA_DIR: server.dataDir }, extraNodeArgs)
  : undefined;
const base = server.url;
const key = server.testKey;
const handle = await openDatabase({ databaseUrl: pg?.url, sqlitePath: join(server.dataDir, 'parley.db') });
const db = handle.db;
const wsId = (await db.selectFrom('workspaces').select('id').executeTakeFirstOrThrow()).id;
// The benchmark measures the pipeline, not the plan: lift the request and message limits.
await db
  .updateTable('workspaces')
  .set({
    limits: JSON.stringify({ requests_per_minute: null, requests_per_day: null, messages_per_hour: null }),
  })
  .where('id', '=', wsId)
  .execute();

const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
await createBenchTemplate(base, key);
const fmt = (r: AcResult) =>
  `${r.requests.total} requests, ${r.requests.average.toFixed(0)} req/s, latency p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms, non-2xx ${r.non2xx}, errors ${r.errors}`;

// BENCH_PARTS=list: only the list (no POST part); BENCH_CONVERSATIONS=0: only the POST part, on
// a new, empty database. Otherwise the POST part runs on the seeded database, with the planner
// statistics a running database has (see the seeding below); BENCH_POST_FRESH=1 runs it first,
// on the empty database, as before.
const postFresh = CONVERSATIONS === 0 || Boolean(process.env.BENCH_POST_FRESH);
const postWanted = process.env.BENCH_PARTS !== 'list';
if (postWanted && postFresh) await postPart();
// The sandbox channel the seeded conversations use is made by the first send.
else await fetch(`${base}/v1/messages`, { method: 'POST', headers, body: messageBody(0) });
async function postPart() {
  let n = 0;
  // Warm up the connection pool, statement cache and JIT.
  await autocannon({
    url: `${base}/v1/messages`,
    method: 'POST',
    headers,
    body: messageBody(0),
    amount: 500,
    connections: 10,
  });
  // Then the measured rate itself for BENCH_WARMUP_SECONDS (default 2; 0: none), not counted: the
  // goal is the latency at a steady rate, and a step from idle to 1,000/s stalls the first 0.2 s
  // once (one or two ~50 ms stalls, about 1% of a 10 s run's requests: its p99).
  const postAtRate = (seconds: number) =>
    paced({
      url: `${base}/v1/messages`,
      method: 'POST',
      headers,
      rate: RATE,
      seconds,
      body: () => messageBody(n++),
    });
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
  if (warmupSeconds > 0) await postAtRate(warmupSeconds);

  const countMessages = async (statuses: Array<'queued' | 'sent' | 'delivered' | 'read'>) =>
    Number(
      (
        await db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', wsId)
          .where('status', 'in', statuses)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const countSent = () => countMessages(['sent', 'delivered', 'read']);
  // The warm-up's messages are on their way first, so the CPU and the sends counted below are the run's.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if ((await countMessages(['queued'])) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const sentBefore = await countSent();
  // The server's own CPU time (user + system, from /proc), per accepted message: what a busy machine does not distort.
  const cpuBefore = processCpuMs(server.child.pid);
  const workerCpuBefore = processCpuMs(worker?.pid);
  const generatorBefore = processCpuMs(process.pid);
  // PostgreSQL's side: its backends of this database, sampled each second (new ones count from zero).
  const backends = pg ? backendCpu(PG_ADMIN_URL, new URL(pg.url).pathname.slice(1)) : undefined;
  await backends?.start();
  const sampling = backends ? setInterval(() => void backends.sample().catch(() => {}), 1000) : undefined;
  stmtLog?.mark();
  const acceptStart = Date.now();
  // A steady 1,000 requests/s (open loop: see `paced`), latency counted from when each was due.
  const send = await postAtRate(SECONDS);
  console.log(
    `[${storage}] POST /v1/messages at a steady ${RATE}/s: ${send.sent} requests in ${(send.sent / send.rps).toFixed(1)} s (${send.rps} req/s), latency p50 ${send.p50} ms, p90 ${send.p90} ms, p99 ${send.p99} ms, max ${send.max} ms, non-2xx ${send.non2xx}, errors ${send.errors}`,
  );
  const accepted = send.ok;
  // The limit beside it: a bare INSERT of a message-sized row and its COMMIT through the same
  // driver at the same rate, in this run on this machine (after the sends below have drained).
  const floorWanted = process.env.BENCH_FLOOR !== '0';
  const deadline = Date.now() + 120_000;
  let sent = 0;
  while (Date.now() < deadline) {
    sent = (await countSent()) - sentBefore;
    if (sent >= accepted) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const secs = (Date.now() - acceptStart) / 1000;
  const cpu = processCpuMs(server.child.pid) - cpuBefore;
  clearInterval(sampling);
  await backends?.sample();
  const perMessage = (ms: number) => (ms / Math.max(1, sent)).toFixed(2);
  const workerCpu = worker ? processCpuMs(worker.pid) - workerCpuBefore : 0;
  console.log(
    `[${storage}] server CPU (user+system) per accepted message, request to sent: ${perMessage(cpu)} ms (${(cpu / 1000).toFixed(1)} s for ${sent})${worker ? `, worker ${perMessage(workerCpu)} ms` : ''}${backends ? `, PostgreSQL backends ${perMessage(backends.total())} ms` : ''}, load generator ${perMessage(processCpuMs(process.pid) - generatorBefore)} ms; load average ${loadAverage()}`,
  );
  await backends?.close();
  if (stmtLog)
    printStatements(`[${storage}] POST /v1/messages statements, request to sent`, stmtLog.read(), sent, 25);
  console.log(
    `[${storage}] queue: ${sent}/${accepted} accepted messages reached sent ${secs.toFixed(1)} s after the first request: ${(sent / secs).toFixed(0)} messages/s end to end`,
  );
  if (floorWanted) {
    const floor = await insertCommitFloor(db, RATE, SECONDS);
    console.log(
      `[${storage}] POST /v1/messages p50 ${beside(send.p50, floor.p50)}, p99 ${beside(send.p99, floor.p99)}: the limit is a bare INSERT + COMMIT at ${RATE}/s through the same driver (${floor.errors} errors)`,
    );
  }
}

/** The rows `GET path` returns, read bare (the page of conversations with each one's contact), for the limit beside the route. */
function bareList(path: string) {
  const params = new URL(path, 'http://x').searchParams;
  const perPage = Number(params.get('per_page') ?? 20);
  const page = Number(params.get('page') ?? 1);
  const status = params.get('status');
  return () => {
    // The scope the API reads (workspace and mode): without the mode, no index gives this order and
    // every query sorted the 100,000 rows (the limit printed 18-21 s beside a 1.8 ms request).
    let q = db
      .selectFrom('conversations')
      .selectAll()
      .where('workspace_id', '=', wsId)
      .where('livemode', '=', 0);
    if (status) q = q.where('status', '=', status as never);
    const rows = q
      .orderBy('last_message_at', 'desc')
      .orderBy('id', 'desc')
      .limit(perPage)
      .offset((page - 1) * perPage);
    return db
      .selectFrom(rows.as('c'))
      .leftJoin('contacts as ct', 'ct.id', 'c.contact_id')
      .selectAll('c')
      .select(['ct.phone as contact_phone', 'ct.name as contact_name'])
      .orderBy('c.last_message_at', 'desc')
      .orderBy('c.id', 'desc')
      .execute();
  };
}

// 100,000 conversations, each with its contact and one delivered message, inserted directly in
// batches (BENCH_CONVERSATIONS=0: none, and no list).
const contactsBatch = 500;
const existing = Number(
  (
    await db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', wsId)
      .executeTakeFirstOrThrow()
  ).n,
);
const channel = await db
  .selectFrom('channels')
  .select('id')
  .where('workspace_id', '=', wsId)
  .executeTakeFirstOrThrow();
const t0 = Date.now();
for (let i = existing; i < CONVERSATIONS; i += contactsBatch) {
  const contacts = [];
  const convs = [];
  for (let j = i; j < Math.min(CONVERSATIONS, i + contactsBatch); j++) {
    const at = new Date(Date.UTC(2026, 0, 1) + j * 1000).toISOString();
    const ct = `ct_B${String(j).padStart(25, '0')}`;
    const phone = `+1650${String(j).padStart(7, '0')}`;
    contacts.push({
      id: ct,
      workspace_id: wsId,
      livemode: 0,
      phone,
      name: `Customer ${j}`,
      email: null,
      attributes: '{}',
      tags: '[]',
      dnd: 0,
      opted_out: 0,
      created_at: at,
      updated_at: at,
    });
    convs.push({
      id: `conv_B${String(j).padStart(25, '0')}`,
      workspace_id: wsId,
      livemode: 0,
      channel: 'whatsapp',
      channel_id: channel.id,
      contact_id: ct,
      contact_address: phone,
      agent_id: null,
      status: j % 5 === 0 ? 'closed' : 'active',
      ai_handled: 1,
      ai_paused: 0,
      handoff_reason: null,
      assignee_type: null,
      assignee_id: null,
      tags: j % 10 === 0 ? '["vip"]' : '[]',
      last_message: `Message number ${j}`,
      last_message_at: at,
      last_inbound_at: at,
      window_expires_at: null,
      snoozed_until: null,
      closed_at: null,
      dynamic_variables: '{}',
      identifier: null,
      priority: 'normal',
      sla_breached: '[]',
      handoff_reassignments: 0,
      created_at: at,
      updated_at: at,
    } as const);
  }
  await db.insertInto('contacts').values(contacts).execute();
  await db.insertInto('conversations').values(convs).execute();
  // Each seeded conversation's last message, delivered: a running database's messages table.
  await db
    .insertInto('messages')
    .values(
      convs.map((c) => ({
        id: `msg_B${c.id.slice(6)}`,
        workspace_id: wsId,
        livemode: 0,
        conversation_id: c.id,
        channel_id: channel.id,
        direction: 'outbound' as const,
        sender_type: 'api_key' as const,
        sender_id: null,
        type: 'text',
        text: c.last_message,
        template: null,
        media: null,
        interactive: null,
        to_address: c.contact_address,
        from_address: '+15550000000',
        status: 'delivered' as const,
        error_code: null,
        error_message: null,
        provider_message_id: `wamid.B${c.id.slice(6)}`,
        reply_to_provider_id: null,
        created_at: c.created_at,
        updated_at: c.created_at,
        queued_at: c.created_at,
        sent_at: c.created_at,
        delivered_at: c.created_at,
        read_at: null,
        failed_at: null,
        send_started_at: c.created_at,
      })),
    )
    .execute();
}
// Planner statistics and the visibility map, as a database that has been running has them (on
// PostgreSQL, autovacuum would otherwise be working through the 100,000 fresh rows while the
// list is measured).
await sql.raw(pg ? 'vacuum analyze' : 'analyze').execute(db);
// And the seeding's WAL (~500 MB) written out: otherwise PostgreSQL's checkpoint for it (at the
// default max_wal_size) starts within the measured seconds in some runs and not in others.
if (pg) await sql.raw('checkpoint').execute(db);
console.log(
  `[${storage}] seeded ${CONVERSATIONS} conversations in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
if (postWanted && !postFresh) await postPart();
// BENCH_LIST_PATHS: the list requests measured (comma-separated), default all three.
const listPaths = (
  process.env.BENCH_LIST_PATHS ??
  '/v1/conversations,/v1/conversations?status=active,/v1/conversations?page=50&per_page=100'
).split(',');
for (const path of CONVERSATIONS === 0 ? [] : listPaths) {
  await autocannon({ url: `${base}${path}`, headers, amount: 200, connections: 4 });
  // Latency at a steady 200 requests/s (an inbox's worth of agents), then the most it serves.
  const steady = await paced({ url: `${base}${path}`, headers, rate: LIST_RATE, seconds: 5 });
  console.log(
    `[${storage}] GET ${path} at a steady ${LIST_RATE}/s: latency p50 ${steady.p50} ms, p90 ${steady.p90} ms, p99 ${steady.p99} ms, max ${steady.max} ms, non-2xx ${steady.non2xx}`,
  );
  if (process.env.BENCH_FLOOR !== '0') {
    const floor = await queryFloor(LIST_RATE, 5, bareList(path));
    console.log(
      `[${storage}] GET ${path} p50 ${beside(steady.p50, floor.p50)}, p99 ${beside(steady.p99, floor.p99)}: the limit is the same rows read bare through the same driver at ${LIST_RATE}/s`,
    );
  }
  const backends = pg ? backendCpu(PG_ADMIN_URL, new URL(pg.url).pathname.slice(1)) : undefined;
  await backends?.start();
  const cpuBefore = processCpuMs(server.child.pid);
  const generatorBefore = processCpuMs(process.pid);
  stmtLog?.mark();
  const list = await autocannon({ url: `${base}${path}`, headers, connections: 4, duration: 5 });
  const generatorMs = processCpuMs(process.pid) - generatorBefore;
  await backends?.sample();
  if (stmtLog)
    printStatements(
      `[${storage}] GET ${path} statements (per request)`,
      stmtLog.read(),
      list.requests.total,
      10,
    );
  const perRequest = (ms: number) => `${((ms / Math.max(1, list.requests.total)) * 1000).toFixed(0)} µs`;
  console.log(`[${storage}] GET ${path} as fast as 4 connections go: ${fmt(list)}`);
  console.log(
    `[${storage}]   CPU per request: server ${perRequest(processCpuMs(server.child.pid) - cpuBefore)}${backends ? `, PostgreSQL backends ${perRequest(backends.total())}` : ''}, load generator (this process) ${perRequest(generatorMs)}; load average ${loadAverage()}`,
  );
  await backends?.close();
}

await worker?.stop();
await server.stop();
await handle.close();
// BENCH_KEEP_DB=1: the PostgreSQL database stays (for EXPLAIN); its name is printed.
if (pg && process.env.BENCH_KEEP_DB)
  console.log(`[${storage}] kept database ${new URL(pg.url).pathname.slice(1)}`);
else await pg?.drop();
rmSync(server.dataDir, { recursive: true, force: true });
