/**
 * The retrieval evaluation: public FAQ passages from health agencies' pages and paraphrased
 * questions (test/fixtures/retrieval/, source and licence in its README), indexed as one FAQ
 * document per agency in one agent's knowledge, searched with the knowledge module's own search
 * on SQLite or PostgreSQL. Prints and returns P@1 (the top hit is a right passage) and recall@3
 * (a right passage among the first three) per storage. Used by `npm run eval -- --retrieval` and
 * by test/knowledge-retrieval.test.ts.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { type FaqPair, faqChunks } from '../../src/modules/knowledge/chunking.ts';
import { knowledgeMigrations } from '../../src/modules/knowledge/knowledge.migrations.ts';
import { writeChunks } from '../../src/modules/knowledge/knowledge.service.ts';
import { TermCounts, textSearch } from '../../src/modules/knowledge/search.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { newId } from '../../src/platform/ids.ts';

export type RetrievalStorage = 'sqlite' | 'postgres';

export interface RetrievalPassage {
  id: string;
  source: string;
  link: string;
  question: string;
  answer: string;
}

export interface RetrievalFixture {
  passages: RetrievalPassage[];
  queries: Array<{ query: string; relevant: string[] }>;
}

export interface RetrievalScore {
  storage: RetrievalStorage;
  passages: number;
  queries: number;
  /** Share of the queries whose first hit is a right passage. */
  p1: number;
  /** Share of the queries with a right passage among the first three hits. */
  recall3: number;
  /** Mean search time per query, ms. */
  meanMs: number;
  misses: Array<{ query: string; expected: string; got: string | null }>;
}

export const RETRIEVAL_FIXTURE = new URL('../fixtures/retrieval/covid-faq.json', import.meta.url);

export function loadRetrievalFixture(): RetrievalFixture {
  return JSON.parse(readFileSync(RETRIEVAL_FIXTURE, 'utf8')) as RetrievalFixture;
}

const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scope = { workspaceId: 'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D', livemode: false };

/** A knowledge-only database on the storage: SQLite in memory or a new PostgreSQL database. */
async function openKnowledgeDb(
  storage: RetrievalStorage,
): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  let url: string | undefined;
  let drop = async () => {};
  if (storage === 'postgres') {
    const name = `parley_retrieval_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const handle = await openDatabase({ databaseUrl: url, sqlitePath: ':memory:' });
  await migrateToLatest(handle.db, handle.dialect, knowledgeMigrations);
  return { handle, drop };
}

/**
 * Indexes the first `limit` passages (all by default) and runs every query whose right passages
 * are among them.
 */
export async function runRetrievalEval(
  storage: RetrievalStorage,
  opts: { limit?: number; fixture?: RetrievalFixture } = {},
): Promise<RetrievalScore> {
  const fixture = opts.fixture ?? loadRetrievalFixture();
  const passages = fixture.passages.slice(0, opts.limit ?? fixture.passages.length);
  const byId = new Map(passages.map((p) => [p.id, p]));
  const queries = fixture.queries.filter((q) => q.relevant.every((id) => byId.has(id)));
  const { handle, drop } = await openKnowledgeDb(storage);
  try {
    const agentId = newId('agt');
    const bySource = new Map<string, FaqPair[]>();
    for (const p of passages) {
      const pairs = bySource.get(p.source) ?? [];
      pairs.push({ question: p.question, answer: p.answer });
      bySource.set(p.source, pairs);
    }
    for (const [source, pairs] of bySource) {
      const now = new Date().toISOString();
      const content = pairs.map((p) => `Q: ${p.question}\nA: ${p.answer}`).join('\n\n');
      const doc = {
        id: newId('kb'),
        workspace_id: scope.workspaceId,
        livemode: 0,
        agent_id: agentId,
        title: source,
        doc_type: 'faq',
        content,
        faqs: JSON.stringify(pairs),
        source_url: null,
        filename: null,
        chunk_count: pairs.length,
        char_count: content.length,
        created_at: now,
        updated_at: now,
      };
      await handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('knowledge_documents').values(doc).execute();
        await writeChunks(trx, handle.dialect, doc, faqChunks(pairs));
      });
    }
    const termCounts = new TermCounts();
    let top1 = 0;
    let top3 = 0;
    let ms = 0;
    const misses: RetrievalScore['misses'] = [];
    for (const q of queries) {
      const right = new Set(q.relevant.map((id) => byId.get(id)!.question));
      const started = performance.now();
      const hits = await textSearch(handle.db, handle.dialect, scope, agentId, q.query, 3, termCounts);
      ms += performance.now() - started;
      if (hits[0] && right.has(hits[0].title)) top1++;
      else misses.push({ query: q.query, expected: [...right][0], got: hits[0]?.title ?? null });
      if (hits.slice(0, 3).some((h) => right.has(h.title))) top3++;
    }
    const n = Math.max(1, queries.length);
    return {
      storage,
      passages: passages.length,
      queries: queries.length,
      p1: top1 / n,
      recall3: top3 / n,
      meanMs: ms / n,
      misses,
    };
  } finally {
    await handle.close();
    await drop();
  }
}

export const formatScore = (s: RetrievalScore) =>
  `${s.storage.padEnd(8)} ${String(s.passages).padStart(4)} passages ${String(s.queries).padStart(4)} queries  P@1 ${s.p1.toFixed(3)}  recall@3 ${s.recall3.toFixed(3)}  ${s.meanMs.toFixed(2)} ms/query`;
