/**
 * Reports at scale (issue 27): the overview over BENCH_CONVERSATIONS conversations (100,000) with
 * BENCH_MESSAGES_PER (10) messages each (1,000,000), on SQLite and PostgreSQL; the built-in
 * analysis of a finished call; and calls.csv over BENCH_CSV_ROWS calls (1,000,000) streamed by a
 * server in a child process, whose maxRSS is read when the download ends.
 *
 * Rows are cloned from a real conversation, its messages and a real sandbox call (made through the
 * API first), with new ids, contacts and times spread over 30 days (one in six handed off, with one of
 * four reasons), written in batches of 500.
 * Goals: overview p95 < 300 ms; built-in analysis of a finished call < 50 ms; CSV under 200 MB RSS.
 *
 * Knobs: BENCH_CONVERSATIONS, BENCH_MESSAGES_PER, BENCH_ROUNDS (5), BENCH_CSV_ROWS (0 skips it),
 * BENCH_CSV_NODE_FLAGS (more flags for the CSV server), BENCH_KEEP=1 (keep the seeded data),
 * PARLEY_TEST_PG_URL (a database is made and dropped).
 * Run: npm run bench -- reports               (both storages)
 *      node --disable-warning=ExperimentalWarning bench/reports.bench.ts [sqlite|postgres]
 * Exits 1 when a goal is missed.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { builtinAnalysis } from '../src/modules/analysis/builtin.ts';
import { recordMessageFacts } from '../src/modules/conversations/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { newId } from '../src/platform/ids.ts';
import { startParley } from '../src/server.ts';
import { makeBenchDatabase, ms, pct, startFlags } from './support.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100_000);
const MESSAGES_PER = Number(process.env.BENCH_MESSAGES_PER ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CSV_ROWS = Number(process.env.BENCH_CSV_ROWS ?? 1_000_000);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const DAYS = 30;
const BATCH = 500;

let missed = 0;
const goal = (ok: boolean, text: string) => {
  console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  if (!ok) missed++;
};

function configFor(dataDir: string, databaseUrl: string | undefined) {
  return loadConfig({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_TOKEN: ADMIN,
    PARLEY_SECRET_KEY: 'YmVuY2gtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=',
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_JOB_POLL_MS: '20',
    PARLEY_VOICE_SANDBOX_PACE: 'virtual',
    PORT: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
}

async function run(storage: 'sqlite' | 'postgres') {
  console.log(`\n--- ${storage} ---`);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-reports-'));
  const database = await makeBenchDatabase(storage);
  const parley = await startParley(configFor(dataDir, database.url), { listen: false, bootstrap: false });
  const db = parley.ctx.db;
  const api = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await parley.app.inject({
      method: method as never,
      url,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.headers['content-type']?.toString().startsWith('application/json')
      ? JSON.parse(res.body)
      : res.body;
  };
  const until = async <T>(fn: () => Promise<T | null>) => {
    for (let i = 0; i < 600; i++) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out');
  };
  try {
    const ws = await parley.app.inject({
      method: 'POST',
      url: '/v1/admin/workspaces',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Bench', plan: 'enterprise', default_country: 'IN' }),
    });
    const workspace = JSON.parse(ws.body);
    const key = (workspace.api_keys as Array<{ mode: string; key: string }>).find(
      (k) => k.mode === 'test',
    )!.key;
    const agent = await api('POST', '/v1/agents', key, {
      name: 'Bench desk',
      business: { timezone: 'Asia/Kolkata' },
      analysis: {
        summary: true,
        structured: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            email: { type: 'string' },
            service: { type: 'string', enum: ['haircut', 'colour', 'manicure'] },
            date: { type: 'string', description: 'the appointment date' },
          },
        },
        success_criteria: ['An appointment was booked'],
      },
    });

    // The templates: one conversation answered by the AI, one finished sandbox call.
    const first = await api('POST', '/v1/sandbox/inbound', key, {
      from: '+919800000001',
      text: 'What are your hours?',
    });
    const convId = first.conversation_id as string;
    await until(async () => {
      const m = await api('GET', `/v1/conversations/${convId}/messages`, key);
      return m.data.some((x: { direction: string }) => x.direction === 'outbound') ? true : null;
    });
    const call = await api('POST', '/v1/calls', key, {
      calls: [
        {
          agent_id: agent.id,
          to: '+919800000002',
          sandbox: {
            lines: [
              'Hi, my name is Asha Rao',
              'I would like a haircut on Saturday',
              'My email is asha@example.com',
              'Yes please book it',
              'Thanks, bye',
            ],
            hangup_after_lines: true,
          },
        },
      ],
    });
    const callId = call.results[0].call.id as string;
    await until(async () => ((await api('GET', `/v1/calls/${callId}`, key)).analysis ? true : null));

    // Built-in analysis of a finished call: the engine alone, and the whole re-analysis route.
    {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await api('POST', `/v1/calls/${callId}/analyze`, key);
        times.push(performance.now() - t);
      }
      const lines = Array.from({ length: 40 }, (_, i) => ({
        role: (i % 2 ? 'agent' : 'customer') as 'agent' | 'customer',
        text:
          i % 2
            ? 'Sure, which day would suit you, and may I have your email?'
            : `My name is Asha Rao, I want a haircut on Saturday, email asha${i}@example.com`,
        at: '2026-05-10T08:00:00.000Z',
      }));
      const engine: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        builtinAnalysis({
          timezone: 'Asia/Kolkata',
          settings: agent.analysis,
          lines,
        } as never);
        engine.push(performance.now() - t);
      }
      console.log(
        `built-in analysis: engine (40-line call) p50 ${ms(pct(engine, 50))} p95 ${ms(pct(engine, 95))}; POST /v1/calls/{id}/analyze p50 ${ms(pct(times, 50))} p95 ${ms(pct(times, 95))}`,
      );
      // The goal is the engine's (the analysis itself); the route adds reading the transcript,
      // writing the call, its conversation and the event, and is printed beside it.
      goal(pct(engine, 95) < 50, `built-in analysis of a finished call p95 ${ms(pct(engine, 95))} < 50 ms`);
    }

    // Seed: CONVERSATIONS conversations over DAYS days, MESSAGES_PER messages each.
    const convRow = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', convId)
      .executeTakeFirstOrThrow();
    const msgRows = await db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', convId)
      .execute();
    // PostgreSQL's generated search column is written by the database, never by an insert.
    for (const m of msgRows) delete (m as Record<string, unknown>).search_tsv;
    const inMsg = msgRows.find((m) => m.direction === 'inbound')!;
    const outMsg = msgRows.find((m) => m.direction === 'outbound')!;
    const end = Date.now();
    const start = end - DAYS * 86_400_000;
    const seedStart = performance.now();
    let convBatch: (typeof convRow)[] = [];
    const msgBatch: (typeof inMsg)[] = [];
    const flush = async (force = false) => {
      if (convBatch.length >= BATCH || (force && convBatch.length)) {
        await db.insertInto('conversations').values(convBatch).execute();
        convBatch = [];
      }
      while (msgBatch.length >= BATCH || (force && msgBatch.length)) {
        // Written as the app writes them: the rows, then their conversations' reporting facts.
        const rows = msgBatch.splice(0, BATCH);
        await db.insertInto('messages').values(rows).execute();
        await recordMessageFacts(db, rows);
      }
    };
    for (let i = 0; i < CONVERSATIONS; i++) {
      const at = start + Math.floor((i / CONVERSATIONS) * (end - start - 3_600_000));
      const id = newId('conv');
      const closed = i % 5 < 3;
      const iso = (t: number) => new Date(t).toISOString();
      convBatch.push({
        ...convRow,
        id,
        contact_id: `ct_bench${String(i).padStart(10, '0')}`,
        contact_address: `+9197${String(10_000_000 + i)}`,
        status: closed ? 'closed' : 'active',
        closed_at: closed ? iso(at + 600_000) : null,
        csat_score: i % 7 === 0 ? 1 + (i % 5) : null,
        // One in six handed off to people, with one of four reasons (the overview's reasons).
        ...(i % 6 === 0
          ? {
              ai_paused: 1,
              handoff_at: iso(at + 60_000),
              handoff_reason: ['asked for a person', 'complaint', 'refund', 'pricing'][(i / 6) % 4]!,
            }
          : {}),
        created_at: iso(at),
        updated_at: iso(at),
      });
      for (let k = 0; k < MESSAGES_PER; k++) {
        const t = at + k * 20_000 + (k % 2 ? 1500 + (i % 40) * 100 : 0);
        const tpl = k % 2 ? outMsg : inMsg;
        msgBatch.push({
          ...tpl,
          id: newId('msg'),
          conversation_id: id,
          provider_message_id: null,
          created_at: iso(t),
          updated_at: iso(t),
        });
      }
      await flush();
    }
    await flush(true);
    console.log(
      `seeded ${CONVERSATIONS} conversations and ${CONVERSATIONS * MESSAGES_PER} messages in ${Math.round((performance.now() - seedStart) / 1000)} s`,
    );
    // As autovacuum would have done on a database in service (the messages bench does the same):
    // without it the first reads after a bulk insert set every row's hint bits, which is writing.
    if (storage === 'postgres') await sql`VACUUM ANALYZE`.execute(db);

    const from = new Date(start).toISOString();
    const to = new Date(end).toISOString();
    for (const [label, path] of [
      ['overview, 30 days (all 100,000)', `/v1/reports/overview?from=${from}&to=${to}&interval=day`],
      [
        'overview, 1 day',
        `/v1/reports/overview?from=${new Date(end - 2 * 86_400_000).toISOString()}&to=${new Date(end - 86_400_000).toISOString()}&interval=hour`,
      ],
    ] as const) {
      const times: number[] = [];
      let total = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const t = performance.now();
        const o = await api('GET', path, key);
        times.push(performance.now() - t);
        total = o.totals.conversations;
      }
      console.log(
        `${label}: ${total} conversations, p50 ${ms(pct(times, 50))} p95 ${ms(pct(times, 95))} (${ROUNDS} rounds: ${times.map((x) => Math.round(x)).join(', ')} ms)`,
      );
      if (label.startsWith('overview, 30'))
        goal(
          pct(times, 95) < 300,
          `${storage} overview over ${total} conversations p95 ${ms(pct(times, 95))} < 300 ms`,
        );
    }

    if (storage === 'sqlite' && CSV_ROWS > 0) {
      const callRow = await db
        .selectFrom('calls')
        .selectAll()
        .where('id', '=', callId)
        .executeTakeFirstOrThrow();
      const csvSeed = performance.now();
      let batch: (typeof callRow)[] = [];
      for (let i = 0; i < CSV_ROWS; i++) {
        const at = new Date(start + Math.floor((i / CSV_ROWS) * (end - start - 3_600_000))).toISOString();
        batch.push({ ...callRow, id: newId('call'), provider_call_id: null, queued_at: at, created_at: at });
        if (batch.length === BATCH) {
          await db.insertInto('calls').values(batch).execute();
          batch = [];
        }
      }
      if (batch.length) await db.insertInto('calls').values(batch).execute();
      console.log(`seeded ${CSV_ROWS} calls in ${Math.round((performance.now() - csvSeed) / 1000)} s`);
      await parley.close();
      const { rows, bytes, seconds, maxRssMb, idleRssMb } = await csvInChild(dataDir, key, from, to);
      console.log(
        `calls.csv: ${rows} rows, ${Math.round(bytes / 1048576)} MB in ${seconds} s; server RSS ${idleRssMb} MB before, maxRSS ${maxRssMb} MB`,
      );
      goal(rows >= CSV_ROWS && maxRssMb < 200, `CSV of ${rows} rows: server maxRSS ${maxRssMb} MB < 200 MB`);
      return;
    }
  } finally {
    await parley.close().catch(() => {});
    if (process.env.BENCH_KEEP === '1') {
      // For trying queries on the seeded data by hand.
      console.log(`kept: data dir ${dataDir}${database.url ? `, database ${database.url}` : ''}`);
    } else {
      await database.drop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

/** Streams calls.csv from a server in a child process; the child answers its maxRSS at the end. */
async function csvInChild(dataDir: string, key: string, from: string, to: string) {
  const child = fork(new URL('./reports-csv-server.ts', import.meta.url).pathname, [], {
    // The flags of `npm start`.
    // BENCH_CSV_NODE_FLAGS adds some (e.g. --max-old-space-size=96: does the export fit a capped heap?).
    execArgv: [...startFlags, ...(process.env.BENCH_CSV_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_ADMIN: ADMIN },
  });
  const message = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const { url, rssKb } = await message<{ url: string; rssKb: number }>();
  const t = performance.now();
  const res = await fetch(`${url}/v1/reports/calls.csv?from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok || !res.body) throw new Error(`calls.csv: ${res.status}`);
  let bytes = 0;
  let rows = -1; // the header
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) rows++;
  }
  const seconds = Math.round((performance.now() - t) / 100) / 10;
  child.send('done');
  const { maxRssKb } = await message<{ maxRssKb: number }>();
  return { rows, bytes, seconds, maxRssMb: Math.round(maxRssKb / 1024), idleRssMb: Math.round(rssKb / 1024) };
}

const only = process.argv[2];
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (a shared machine)`,
);
for (const storage of ['sqlite', 'postgres'] as const) if (!only || only === storage) await run(storage);
process.exit(missed ? 1 : 0);
