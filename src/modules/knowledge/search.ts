import { sql } from 'kysely';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { contentTokens } from './text.ts';
import './knowledge.tables.ts';

export interface Scope {
  workspaceId: string;
  livemode: boolean;
}

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
  forgetTermCounts(c.agent_id);
  if (dialect !== 'sqlite') return;
  await sql`INSERT INTO knowledge_fts (scope, title, text, chunk_id) VALUES (${scopeToken(c.agent_id)}, ${c.title}, ${c.text}, ${c.id})`.execute(
    db,
  );
}

export async function unindexDocument(db: Db | Trx, dialect: Dialect, docId: string) {
  // The document's agent is not known here; a removal only makes counts too high, which the TTL heals.
  termCounts.clear();
  if (dialect !== 'sqlite') return;
  await sql`DELETE FROM knowledge_fts WHERE chunk_id IN (SELECT id FROM knowledge_chunks WHERE doc_id = ${docId})`.execute(
    db,
  );
}

/** Below this many passages every query word is searched: ranking them all is cheap. */
const SMALL_INDEX = 200;
/** A word in more than this share of an agent's passages says little and matches too much. */
const FREQUENT_SHARE = 0.1;
const COUNTS_TTL_MS = 5 * 60_000;

/**
 * Per agent: its passage count and how many passages hold each word searched so far. Counted
 * once per word and kept in memory; this process's writes drop them, and a TTL bounds how stale
 * another process's writes leave them (they only decide which words are too common to search).
 */
const termCounts = new Map<string, { at: number; total: number; df: Map<string, number> }>();

function forgetTermCounts(agentId: string) {
  for (const key of termCounts.keys()) if (key.endsWith(`:${agentId}`)) termCounts.delete(key);
}

async function agentCounts(db: Db | Trx, scope: Scope, agentId: string, now: number) {
  const key = `${scope.workspaceId}:${scope.livemode ? 1 : 0}:${agentId}`;
  let entry = termCounts.get(key);
  if (!entry || now - entry.at > COUNTS_TTL_MS) {
    const row = await db
      .selectFrom('knowledge_chunks')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('workspace_id', '=', scope.workspaceId)
      .where('livemode', '=', scope.livemode ? 1 : 0)
      .where('agent_id', '=', agentId)
      .executeTakeFirstOrThrow();
    entry = { at: now, total: Number(row.n), df: new Map() };
    termCounts.set(key, entry);
  }
  return entry;
}

/**
 * The words worth searching: all of them in a small index; in a large one, words found in more
 * than FREQUENT_SHARE of the passages ("price", "service") are dropped, keeping at least the
 * rarest, so a query ranks a few hundred candidates instead of half the index.
 */
async function selectiveWords(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  words: string[],
): Promise<string[]> {
  const counts = await agentCounts(db, scope, agentId, Date.now());
  if (counts.total < SMALL_INDEX) return words;
  const livemode = scope.livemode ? 1 : 0;
  for (const w of words) {
    if (counts.df.has(w)) continue;
    const r =
      dialect === 'sqlite'
        ? await sql<{
            n: number;
          }>`SELECT count(*) AS n FROM knowledge_fts WHERE knowledge_fts MATCH ${`scope : ${scopeToken(agentId)} AND ${ftsWord(w)}`}`.execute(
            db,
          )
        : await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM knowledge_chunks WHERE workspace_id = ${scope.workspaceId} AND livemode = ${livemode} AND agent_id = ${agentId} AND tsv @@ plainto_tsquery('english', ${w})`.execute(
            db,
          );
    counts.df.set(w, Number(r.rows[0]?.n ?? 0));
  }
  const df = (w: string) => counts.df.get(w) ?? 0;
  const kept = words.filter((w) => df(w) > 0 && df(w) <= counts.total * FREQUENT_SHARE);
  if (kept.length) return kept;
  const found = words.filter((w) => df(w) > 0).sort((a, b) => df(a) - df(b));
  return found.length ? [found[0]] : [];
}

const ftsWord = (w: string) => `"${w.replace(/"/g, '')}"`;

/**
 * Full-text search over one agent's chunks: any of the query's telling words (see
 * selectiveWords), ranked by bm25 (SQLite) or ts_rank_cd (PostgreSQL) on the matches only.
 * Returns at most `topK` hits, best first.
 */
export async function textSearch(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  query: string,
  topK: number,
): Promise<SearchHit[]> {
  const tokens = contentTokens(query)
    .map((w) => (dialect === 'sqlite' ? w : w.replace(/[^\p{L}\p{N}]/gu, '')))
    .filter(Boolean)
    .slice(0, 32);
  if (tokens.length === 0) return [];
  const words = await selectiveWords(db, dialect, scope, agentId, tokens);
  if (words.length === 0) return [];
  const livemode = scope.livemode ? 1 : 0;
  if (dialect === 'sqlite') {
    const match = `scope : ${scopeToken(agentId)} AND (${words.map(ftsWord).join(' OR ')})`;
    const rows = await sql<{ chunk_id: string; doc_id: string; title: string; text: string; rank: number }>`
      SELECT c.id AS chunk_id, c.doc_id, c.title, c.text, f.rank AS rank
      FROM (SELECT chunk_id, bm25(knowledge_fts, 0.0, 2.0, 1.0) AS rank FROM knowledge_fts WHERE knowledge_fts MATCH ${match} ORDER BY rank LIMIT ${topK}) f
      JOIN knowledge_chunks c ON c.id = f.chunk_id
      WHERE c.workspace_id = ${scope.workspaceId} AND c.livemode = ${livemode} AND c.agent_id = ${agentId}
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
  // The matches come from the GIN index first (the fence keeps the planner from walking the
  // agent's whole btree range and testing every tsvector), then only they are scoped and ranked.
  const rows = await sql<{ chunk_id: string; doc_id: string; title: string; text: string; rank: number }>`
    WITH q AS (SELECT to_tsquery('english', ${tsquery}) AS q),
    m AS MATERIALIZED (SELECT c.id FROM knowledge_chunks c, q WHERE c.tsv @@ q.q)
    SELECT c.id AS chunk_id, c.doc_id, c.title, c.text, ts_rank_cd(c.tsv, q.q) AS rank
    FROM m JOIN knowledge_chunks c ON c.id = m.id, q
    WHERE c.workspace_id = ${scope.workspaceId} AND c.livemode = ${livemode} AND c.agent_id = ${agentId}
    ORDER BY rank DESC, c.id LIMIT ${topK}`.execute(db);
  return rows.rows.map((r) => ({
    chunk_id: r.chunk_id,
    doc_id: r.doc_id,
    title: r.title,
    text: r.text,
    score: squash(Number(r.rank) * 10),
  }));
}

const squash = (x: number) => Math.round((Math.max(0, x) / (1 + Math.max(0, x))) * 10_000) / 10_000;
