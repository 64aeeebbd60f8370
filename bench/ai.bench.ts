/**
 * The built-in engine and knowledge search with 10,000 indexed passages: search p50/p95 and
 * reply p50/p95, on SQLite (FTS5) and, when reachable, PostgreSQL (tsvector + GIN). Targets:
 * search p95 < 10 ms, built-in reply p50 < 20 ms. Also prints the evaluation-set score.
 * Run: node_modules/.bin/node --disable-warning=ExperimentalWarning bench/ai.bench.ts [sqlite|postgres]
 */
import pg from 'pg';
import { builtinReply } from '../src/modules/ai/builtin.ts';
import type { AgentTools } from '../src/modules/ai/engine.ts';
import { textChunks } from '../src/modules/knowledge/chunking.ts';
import { knowledgeMigrations } from '../src/modules/knowledge/knowledge.migrations.ts';
import { writeChunks } from '../src/modules/knowledge/knowledge.service.ts';
import { TermCounts, textSearch } from '../src/modules/knowledge/search.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';
import { formatReport, loadEvalSet, runEval } from '../test/support/ai-eval.ts';
import { salonAgent, scope } from '../test/support/ai-world.ts';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 10_000);
const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// A deterministic vocabulary so every run indexes the same text.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const topics = [
  'haircut',
  'facial',
  'manicure',
  'pedicure',
  'keratin',
  'colour',
  'bridal',
  'makeup',
  'massage',
  'waxing',
  'threading',
  'spa',
  'parking',
  'payment',
  'refund',
  'membership',
  'gift',
  'students',
  'hygiene',
  'products',
];
const common =
  'price cost minutes session book appointment weekend weekday offer discount package premium classic gold herbal organic express deluxe trial home service free available team stylist senior junior consult skin hair nail care treatment result lasts weeks months daily routine guide tips aftercare wash dry style trim shape colourist'.split(
    ' ',
  );
// Real knowledge bases have a long tail of rare words: 8,000 made-up ones, drawn Zipf-like.
const syllables = [
  'ka',
  'ri',
  'to',
  'men',
  'sa',
  'lu',
  'por',
  'vi',
  'den',
  'sha',
  'mo',
  'tel',
  'qui',
  'ra',
  'no',
  'bes',
];
const rare = Array.from(
  { length: 8000 },
  (_, i) =>
    syllables[i % 16] +
    syllables[Math.floor(i / 16) % 16] +
    syllables[Math.floor(i / 256) % 16] +
    (i >= 4096 ? 'x' : ''),
);
function paragraph(topic: string) {
  const n = 60 + Math.floor(rand() * 60);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    out.push(
      i % 15 === 0
        ? topic
        : r < 0.08
          ? common[Math.floor(rand() * common.length)]
          : rare[Math.floor(rare.length * rand() ** 2)],
    );
  }
  return `${out.join(' ')}.`;
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(storage: 'sqlite' | 'postgres') {
  let dbName: string | undefined;
  let url: string | undefined;
  if (storage === 'postgres') {
    dbName = `parley_bench_ai_${Date.now()}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    try {
      await admin.connect();
    } catch {
      console.log('postgres: not reachable, skipped');
      return;
    }
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${dbName}`;
    url = u.toString();
  }
  const handle = await openDatabase({ databaseUrl: url, sqlitePath: ':memory:' });
  try {
    await migrateToLatest(handle.db, handle.dialect, knowledgeMigrations);
    const agent = salonAgent();
    const started = performance.now();
    let total = 0;
    // The salon of the evaluation set: its documents lead the index, its customers' messages are replied to.
    const fixture = loadEvalSet().find((f) => f.business === 'salon')!;
    for (let d = 0; total < CHUNKS; d++) {
      const topic = topics[d % topics.length];
      const content =
        d < Object.keys(fixture.documents).length
          ? Object.values(fixture.documents)[d].content
          : Array.from({ length: 10 }, (_, i) => `## ${topic} ${i}\n${paragraph(topic)}`).join('\n\n');
      const chunks = textChunks(`${topic} guide ${d}`, content).slice(0, CHUNKS - total);
      const now = new Date().toISOString();
      const doc = {
        id: newId('kb'),
        workspace_id: scope.workspaceId,
        livemode: 0,
        agent_id: agent.id,
        title: `${topic} guide ${d}`,
        doc_type: 'markdown',
        content,
        faqs: null,
        source_url: null,
        filename: null,
        chunk_count: chunks.length,
        char_count: content.length,
        created_at: now,
        updated_at: now,
      };
      await handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('knowledge_documents').values(doc).execute();
        await writeChunks(trx, handle.dialect, doc, chunks);
      });
      total += chunks.length;
    }
    if (handle.dialect === 'postgres')
      await handle.db.executeQuery({
        sql: 'ANALYZE knowledge_chunks',
        parameters: [],
        query: { kind: 'RawNode' },
      } as never);
    console.log(
      `${storage}: indexed ${total} passages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const queries = [
      'how much is a haircut',
      'keratin treatment price',
      'bridal makeup package',
      'is parking free',
      'refund policy',
      'gift card',
      'student discount weekday',
      'gel nail extensions cost',
      'home service',
      'hygiene sterilised tools',
    ];
    const termCounts = new TermCounts();
    for (let i = 0; i < 20; i++)
      await textSearch(
        handle.db,
        handle.dialect,
        scope,
        agent.id,
        queries[i % queries.length],
        5,
        termCounts,
      );
    const searchMs: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await textSearch(
        handle.db,
        handle.dialect,
        scope,
        agent.id,
        queries[i % queries.length],
        5,
        termCounts,
      );
      searchMs.push(performance.now() - t0);
    }
    // The first search after a knowledge write counts the agent's passages and each query word
    // again (cached per agent until the next write): what a query pays for words not seen before.
    const coldMs: number[] = [];
    for (let i = 0; i < 100; i++) {
      termCounts.forget(agent.id);
      const t0 = performance.now();
      await textSearch(
        handle.db,
        handle.dialect,
        scope,
        agent.id,
        queries[i % queries.length],
        5,
        termCounts,
      );
      coldMs.push(performance.now() - t0);
    }
    const tools: AgentTools = {
      searchKnowledge: (q, k) => textSearch(handle.db, handle.dialect, scope, agent.id, q, k, termCounts),
      captureLead: async () => ({ id: null }),
      customTools: async () => [],
      runTool: async () => {
        throw new Error('no workspace tools here');
      },
      checkAvailability: async () => [],
      book: async ({ startAt }) => ({ id: null, start_at: startAt, end_at: startAt }),
      cancelBooking: async () => null,
      findBooking: async () => null,
      rescheduleBooking: async (id, startAt) => ({ id, start_at: startAt, end_at: startAt }),
      handoff: async () => undefined,
    };
    const replyMs: number[] = [];
    const now = new Date(fixture.now);
    for (let i = 0; i < 300; i++) {
      const message = fixture.cases[i % fixture.cases.length].message;
      const t0 = performance.now();
      await builtinReply(
        { agent, messages: [message], history: [], variables: {}, now, defaultCountry: 'IN' },
        tools,
      );
      replyMs.push(performance.now() - t0);
    }
    const s50 = percentile(searchMs, 50);
    const s95 = percentile(searchMs, 95);
    const r50 = percentile(replyMs, 50);
    const r95 = percentile(replyMs, 95);
    console.log(
      `${storage}: knowledge search p50 ${s50.toFixed(2)} ms, p95 ${s95.toFixed(2)} ms (target p95 < 10 ms) ${s95 < 10 ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `${storage}: knowledge search, word counts not cached (first after a write) p50 ${percentile(coldMs, 50).toFixed(2)} ms, p95 ${percentile(coldMs, 95).toFixed(2)} ms`,
    );
    console.log(
      `${storage}: built-in reply p50 ${r50.toFixed(2)} ms, p95 ${r95.toFixed(2)} ms (target p50 < 20 ms) ${r50 < 20 ? 'OK' : 'MISSED'}`,
    );
    return s95 < 10 && r50 < 20;
  } finally {
    await handle.close();
    if (dbName) {
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

const wanted = process.argv[2];
let ok = true;
for (const storage of ['sqlite', 'postgres'] as const) {
  if (wanted && wanted !== storage) continue;
  if ((await run(storage)) === false) ok = false;
}
const report = await runEval();
console.log(`evaluation set, built-in reply p50 ${report.p50Ms.toFixed(2)} ms\n${formatReport(report)}`);
process.exit(ok ? 0 : 1);
