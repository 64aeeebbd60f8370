/**
 * Retention under traffic (issue 51 item 2): the daily retention run deletes BENCH_MESSAGES
 * (1,000,000) old messages (1% with a kept attachment) of one workspace while the API server, in
 * its own process as `npm start` runs it, serves BENCH_RATE (500) requests/s of a conversation's
 * latest messages (what the inbox reads), paced open-loop (bench/support.ts).
 * The run is the worker's job (`runRetention`), here in this process on the same database, as a
 * `PARLEY_ROLE=worker` process would run it. Goal: the API's p99 < 50 ms while the run deletes,
 * and every old message gone (the recent ones stay).
 *
 * Knobs: BENCH_MESSAGES, BENCH_RATE, PARLEY_TEST_PG_URL.
 * Run: npm run bench -- retention   (both storages)
 *      node --disable-warning=ExperimentalWarning bench/retention.bench.ts [sqlite|postgres]
 * Exits 1 when a goal is missed.
 */
import { sql } from 'kysely';
import { runRetention } from '../src/modules/privacy/privacy.retention.ts';
import { loadConfig } from '../src/platform/config.ts';
import { newId } from '../src/platform/ids.ts';
import { startParley } from '../src/server.ts';
import { BulkSeeder } from './seed.ts';
import { makeBenchDatabase, type PacedResult, paced, raiseLimits, startServer } from './support.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const PER_CONVERSATION = 20;
const DAY = 86_400_000;
const SECRET = 'YmVuY2gtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=';

let missed = 0;
const goal = (ok: boolean, text: string) => {
  console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  if (!ok) missed++;
};

async function run(storage: 'sqlite' | 'postgres') {
  console.log(`\n--- ${storage} ---`);
  const database = await makeBenchDatabase(storage);
  const server = await startServer({
    PARLEY_ROLE: 'api',
    PARLEY_SECRET_KEY: SECRET,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });
  if (storage === 'sqlite') raiseLimits(server.dataDir);
  const worker = await startParley(
    loadConfig({
      PARLEY_DATA_DIR: server.dataDir,
      PARLEY_LOG_LEVEL: 'warn',
      PARLEY_ROLE: 'api',
      PARLEY_SECRET_KEY: SECRET,
      PORT: '0',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    }),
    { listen: false, bootstrap: false },
  );
  const db = worker.ctx.db;
  try {
    if (storage === 'postgres')
      await sql`update workspaces set limits = ${JSON.stringify({ requests_per_minute: 100_000_000, requests_per_day: null })}`.execute(
        db,
      );
    const headers = { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' };
    const first = await fetch(`${server.url}/v1/sandbox/inbound`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ from: '+919800000001', text: 'hello, a recent message' }),
    });
    const convId = ((await first.json()) as { conversation_id: string }).conversation_id;
    const convRow = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', convId)
      .executeTakeFirstOrThrow();
    const msgRow = await db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', convId)
      .executeTakeFirstOrThrow();
    delete (msgRow as Record<string, unknown>).search_tsv;

    // Old conversations full of messages 200 to 100 days old.
    const seedStart = performance.now();
    const seedCpu = process.cpuUsage();
    const start = Date.now() - 200 * DAY;
    const span = 100 * DAY;
    const seeder = new BulkSeeder(db, storage);
    await seeder.start();
    let written = 0;
    for (let i = 0; written < MESSAGES; i++) {
      const id = newId('conv');
      const at = start + Math.floor((written / MESSAGES) * span);
      await seeder.add('conversations', {
        ...convRow,
        id,
        contact_id: `ct_bench${String(i).padStart(10, '0')}`,
      });
      for (let k = 0; k < PER_CONVERSATION && written < MESSAGES; k++, written++) {
        const iso = new Date(at + k * 20_000).toISOString();
        const mid = newId('msg');
        await seeder.add('messages', {
          ...msgRow,
          id: mid,
          conversation_id: id,
          text: `old message ${written} about an order`,
          provider_message_id: null,
          created_at: iso,
          updated_at: iso,
        });
        if (written % 100 === 0)
          await seeder.add('message_attachments', {
            id: newId('att'),
            workspace_id: msgRow.workspace_id,
            livemode: msgRow.livemode,
            message_id: mid,
            position: 0,
            filename: 'a.txt',
            mime_type: 'text/plain',
            size: 2,
            content_id: null,
            content_base64: 'aGk=',
            created_at: iso,
          });
      }
    }
    await seeder.finish();
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.log(
      `seeded ${written} old messages in ${Math.round(seedSeconds)} s (${Math.round(written / seedSeconds)}/s, the search index built at the end; this process's CPU ${(process.cpuUsage(seedCpu).user / 1e6).toFixed(1)} s)`,
    );
    // The seeding's WAL (over 1 GB) would otherwise be checkpointed inside the measured seconds, as
    // in the messages benchmark: a running database's checkpoints are spread over its whole day.
    if (storage === 'postgres') {
      await sql`VACUUM ANALYZE`.execute(db);
      await sql`CHECKPOINT`.execute(db);
    }

    const put = await fetch(`${server.url}/v1/retention`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ messages_days: 30 }),
    });
    if (!put.ok) throw new Error(`PUT /v1/retention: ${put.status} ${await put.text()}`);

    // Warm up, then the load for as long as the run lasts: a conversation's latest messages, as
    // the inbox reads them.
    const load = (seconds: number) =>
      paced({
        url: `${server.url}/v1/conversations/${convId}/messages?per_page=20`,
        headers,
        rate: RATE,
        seconds,
      });
    const before = await load(5);
    console.log(
      `before the run: ${before.rps} req/s, p50 ${before.p50} ms, p99 ${before.p99} ms, max ${before.max} ms (the same load with nothing deleting)`,
    );
    const runStart = performance.now();
    let runEnd = 0;
    const running = runRetention(worker.ctx, 'bench', { id: 'bench' }).then(() => {
      runEnd = performance.now();
    });
    const windows: PacedResult[] = [];
    while (!runEnd) windows.push(await load(5));
    await running;
    const runSeconds = (runEnd - runStart) / 1000;
    for (const [i, w] of windows.entries())
      console.log(
        `window ${i + 1}: ${w.rps} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms, non-2xx ${w.non2xx}, errors ${w.errors}, send lag p99 ${w.sendLagP99} ms`,
      );
    const worst = Math.max(...windows.map((w) => w.p99));
    console.log(
      `deleted ${written} messages in ${runSeconds.toFixed(1)} s (${Math.round(written / runSeconds)}/s) under ${RATE} req/s`,
    );
    goal(worst < 50, `${storage}: API p99 while deleting (worst 5 s window) ${worst} ms < 50 ms`);
    goal(
      windows.every((w) => w.non2xx === 0 && w.errors === 0),
      `${storage}: every request answered 2xx`,
    );
    const left = await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    goal(Number(left.n) === 1, `${storage}: old messages gone, the recent one kept (${left.n} left)`);
  } finally {
    await worker.close();
    await server.stop();
    await database.drop();
  }
}

const which = process.argv[2];
for (const storage of ['sqlite', 'postgres'] as const) if (!which || which === storage) await run(storage);
process.exit(missed ? 1 : 0);
