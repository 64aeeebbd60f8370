import { sql } from 'kysely';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeSql, tenant } from '../../platform/db/scope.ts';
import { contentTokens } from '../../platform/text.ts';
import './knowledge.tables.ts';

export type { Scope };

export interface SearchHit {
  chunk_id: string;
  doc_id: string;
  title: string;
  text: string;
  /** Higher is better: the text rank squashed into (0, 1). */
  score: number;
}

/** The FTS5 token that restricts a MATCH to one agent's chunks. */
export const scopeToken = (agentId: string) => `k${agentId.replace(/[^A-Za-z0-9]/g, '')}`;

/** Writes a chunk's row in the SQLite full-text table (PostgreSQL indexes a generated column). */
export async function indexChunk(
  db: Db | Trx,
  dialect: Dialect,
  c: { id: string; agent_id: string; title: string; text: string },
) {
  if (dialect !== 'sqlite') return;
  await sql`INSERT INTO knowledge_fts (scope, title, text, chunk_id) VALUES (${scopeToken(c.agent_id)}, ${c.title}, ${c.text}, ${c.id})`.execute(
    db,
  );
}

export async function unindexDocument(db: Db | Trx, dialect: Dialect, docId: string) {
  if (dialect !== 'sqlite') return;
  await sql`DELETE FROM knowledge_fts WHERE chunk_id IN (SELECT id FROM knowledge_chunks WHERE doc_id = ${docId})`.execute(
    db,
  );
}

/**
 * A word is left out of a search only when it matches more than this many passages (and more
 * than FREQUENT_SHARE of them): ranking a few hundred matches costs well under a millisecond,
 * while leaving out a word found in 20 of 200 passages ("virus", "spread" in a health FAQ) cost
 * the public retrieval fixture a fifth of its right first answers (issue 52). Below this many
 * passages no word can reach it, so nothing is counted.
 */
const MIN_LEFT_OUT_MATCHES = 500;
const SMALL_INDEX = MIN_LEFT_OUT_MATCHES;
/** A word in more than this share of an agent's passages says little and matches too much. */
const FREQUENT_SHARE = 0.1;
const COUNTS_TTL_MS = 5 * 60_000;

/**
 * Per agent: its passage count and how many passages hold each word searched so far. Counted
 * once per word and kept in memory, one set per app (the knowledge module's instance); this
 * process's writes drop them once they commit, and a TTL bounds how stale another process's
 * writes leave them (they only decide which words are too common to search).
 */
export class TermCounts {
  readonly #byAgent = new Map<string, { at: number; total: number; df: Map<string, number> }>();

  get(key: string) {
    return this.#byAgent.get(key);
  }

  set(key: string, counts: { at: number; total: number; df: Map<string, number> }) {
    this.#byAgent.set(key, counts);
  }

  /** Drops an agent's counts; writers call it once their transaction commits. */
  forget(agentId: string) {
    for (const key of this.#byAgent.keys()) if (key.endsWith(`:${agentId}`)) this.#byAgent.delete(key);
  }
}

/**
 * The agent's passage count (when `withTotal`) and how many of its passages hold each word (none
 * on SQLite when the count is below SMALL_INDEX: they would go unused). On PostgreSQL one
 * statement answers for every word instead of a round trip per word; each count is still its own
 * subquery, planned with its word as a constant.
 */
async function countTerms(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  words: string[],
  withTotal: boolean,
): Promise<{ total: number | null; df: number[] }> {
  if (dialect === 'sqlite') {
    let total: number | null = null;
    if (withTotal) {
      const row = await tenant(db, scope)
        .selectFrom('knowledge_chunks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agent_id', '=', agentId)
        .executeTakeFirstOrThrow();
      total = Number(row.n);
      if (total < SMALL_INDEX) return { total, df: [] };
    }
    const df: number[] = [];
    for (const w of words) {
      const r = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM knowledge_fts WHERE knowledge_fts MATCH ${`scope : ${scopeToken(agentId)} AND ${ftsWord(w)}`}`.execute(
        db,
      );
      df.push(Number(r.rows[0]?.n ?? 0));
    }
    return { total, df };
  }
  const inScope = sql`${scopeSql(scope)} AND agent_id = ${agentId}`;
  const counts = [
    withTotal ? sql`(SELECT count(*) FROM knowledge_chunks WHERE ${inScope})` : sql`NULL::bigint`,
    ...words.map(
      (w) =>
        sql`(SELECT count(*) FROM knowledge_chunks WHERE ${inScope} AND tsv @@ plainto_tsquery('english', ${w}))`,
    ),
  ];
  const r = await sql<{ n: Array<number | null> }>`SELECT ARRAY[${sql.join(counts)}]::int[] AS n`.execute(db);
  const n = r.rows[0]?.n ?? [];
  return { total: n[0] ?? null, df: words.map((_, i) => Number(n[i + 1] ?? 0)) };
}

/**
 * The words worth searching: all of them in a small index; in a large one, words found in more
 * than FREQUENT_SHARE of the passages and in more than MIN_LEFT_OUT_MATCHES ("price", "service"
 * in 10,000 passages) are dropped, keeping at least the rarest, so a query ranks a few hundred
 * candidates instead of half the index.
 */
async function selectiveWords(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  words: string[],
  termCounts: TermCounts,
): Promise<string[]> {
  const key = `${scope.workspaceId}:${scope.livemode ? 1 : 0}:${agentId}`;
  const now = Date.now();
  let counts = termCounts.get(key);
  if (counts && now - counts.at > COUNTS_TTL_MS) counts = undefined;
  if (counts && counts.total < SMALL_INDEX) return words;
  const missing = words.filter((w) => !counts?.df.has(w));
  if (!counts || missing.length) {
    const got = await countTerms(db, dialect, scope, agentId, missing, !counts);
    if (!counts) {
      counts = { at: now, total: got.total ?? 0, df: new Map() };
      termCounts.set(key, counts);
      if (counts.total < SMALL_INDEX) return words;
    }
    for (const [i, w] of missing.entries()) counts.df.set(w, got.df[i]);
  }
  const df = (w: string) => counts.df.get(w) ?? 0;
  const limit = Math.max(counts.total * FREQUENT_SHARE, MIN_LEFT_OUT_MATCHES);
  const kept = words.filter((w) => df(w) > 0 && df(w) <= limit);
  if (kept.length) return kept;
  const found = words.filter((w) => df(w) > 0).sort((a, b) => df(a) - df(b));
  return found.length ? [found[0]] : [];
}

const ftsWord = (w: string) => `"${w.replace(/"/g, '')}"`;

/**
 * Full-text search over one agent's chunks: any of the query's telling words (see
 * selectiveWords), ranked by bm25 (SQLite) or by ts_rank with length normalisation (PostgreSQL)
 * on the matches only. Returns at most `topK` hits, best first.
 */
export async function textSearch(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  query: string,
  topK: number,
  termCounts: TermCounts,
): Promise<SearchHit[]> {
  const tokens = contentTokens(query)
    .map((w) => (dialect === 'sqlite' ? w : w.replace(/[^\p{L}\p{N}]/gu, '')))
    .filter(Boolean)
    .slice(0, 32);
  if (tokens.length === 0) return [];
  const words = await selectiveWords(db, dialect, scope, agentId, tokens, termCounts);
  if (words.length === 0) return [];
  if (dialect === 'sqlite') {
    const match = `scope : ${scopeToken(agentId)} AND (${words.map(ftsWord).join(' OR ')})`;
    const rows = await sql<{ chunk_id: string; doc_id: string; title: string; text: string; rank: number }>`
      SELECT c.id AS chunk_id, c.doc_id, c.title, c.text, f.rank AS rank
      FROM (SELECT chunk_id, bm25(knowledge_fts, 0.0, 2.0, 1.0) AS rank FROM knowledge_fts WHERE knowledge_fts MATCH ${match} ORDER BY rank LIMIT ${topK}) f
      JOIN knowledge_chunks c ON c.id = f.chunk_id
      WHERE ${scopeSql(scope, 'c')} AND c.agent_id = ${agentId}
      ORDER BY f.rank`.execute(db);
    return rows.rows.map((r) => ({
      chunk_id: r.chunk_id,
      doc_id: r.doc_id,
      title: r.title,
      text: r.text,
      score: squash(-r.rank),
    }));
  }
  const tsquery = words.join(' | ');
  // The matches come from the GIN index first: the tsquery sits in a MATERIALIZED CTE and the
  // scope in a CASE, so the planner can neither walk the agent's whole btree range testing every
  // tsvector nor (seeing how many rows a common word matches) scan the whole table. Each match is
  // read once and ranked once. The rank is ts_rank divided by 1 + log(the passage's length)
  // (normalisation 1): unnormalised, a long passage that says a query word many times outranks
  // the short one that answers it, and ts_rank_cd without normalisation (this search's rank
  // before issue 52) found the right FAQ first half as often as SQLite's bm25 on the public
  // retrieval fixture (`npm run eval -- --retrieval`, BENCHMARKS.md).
  const rows = await sql<{ chunk_id: string; doc_id: string; title: string; text: string; rank: number }>`
    WITH q AS MATERIALIZED (SELECT to_tsquery('english', ${tsquery}) AS q),
    m AS MATERIALIZED (
      SELECT c.id, CASE WHEN ${scopeSql(scope, 'c')} AND c.agent_id = ${agentId} THEN ts_rank(c.tsv, q.q, 1) END AS r
      FROM knowledge_chunks c, q WHERE c.tsv @@ q.q),
    best AS (SELECT id, r FROM m WHERE r IS NOT NULL ORDER BY r DESC, id LIMIT ${topK})
    SELECT c.id AS chunk_id, c.doc_id, c.title, c.text, best.r AS rank
    FROM best JOIN knowledge_chunks c ON c.id = best.id
    ORDER BY best.r DESC, c.id`.execute(db);
  return rows.rows.map((r) => ({
    chunk_id: r.chunk_id,
    doc_id: r.doc_id,
    title: r.title,
    text: r.text,
    score: squash(Number(r.rank) * 10),
  }));
}

const squash = (x: number) => Math.round((Math.max(0, x) / (1 + Math.max(0, x))) * 10_000) / 10_000;
