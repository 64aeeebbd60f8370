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
 * Full-text search over one agent's chunks: any of the query's content words, ranked by bm25
 * (SQLite) or ts_rank_cd (PostgreSQL). Returns at most `topK` hits, best first.
 */
export async function textSearch(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  agentId: string,
  query: string,
  topK: number,
): Promise<SearchHit[]> {
  const words = contentTokens(query).slice(0, 32);
  if (words.length === 0) return [];
  const livemode = scope.livemode ? 1 : 0;
  if (dialect === 'sqlite') {
    const match = `scope : ${scopeToken(agentId)} AND (${words.map((w) => `"${w.replace(/"/g, '')}"`).join(' OR ')})`;
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
  const tsquery = words
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean)
    .join(' | ');
  const rows = await sql<{ chunk_id: string; doc_id: string; title: string; text: string; rank: number }>`
    SELECT id AS chunk_id, doc_id, title, text, ts_rank_cd(tsv, q) AS rank
    FROM knowledge_chunks, to_tsquery('english', ${tsquery}) q
    WHERE workspace_id = ${scope.workspaceId} AND livemode = ${livemode} AND agent_id = ${agentId} AND tsv @@ q
    ORDER BY rank DESC, id LIMIT ${topK}`.execute(db);
  return rows.rows.map((r) => ({
    chunk_id: r.chunk_id,
    doc_id: r.doc_id,
    title: r.title,
    text: r.text,
    score: squash(Number(r.rank) * 10),
  }));
}

const squash = (x: number) => Math.round((Math.max(0, x) / (1 + Math.max(0, x))) * 10_000) / 10_000;
