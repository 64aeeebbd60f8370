import { type Kysely, sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

/**
 * Documents and their chunks, plus a full-text index that differs by storage: an FTS5 table
 * ranked with bm25() on SQLite, a stored tsvector with a GIN index ranked with ts_rank_cd() on
 * PostgreSQL.
 */
export const knowledgeMigrations: Record<string, ParleyMigration> = {
  '0520_knowledge': {
    async up(db: Kysely<any>, dialect) {
      await db.schema
        .createTable('knowledge_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('doc_type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('faqs', 'text')
        .addColumn('source_url', 'text')
        .addColumn('filename', 'text')
        .addColumn('chunk_count', 'integer', (c) => c.notNull())
        .addColumn('char_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('knowledge_documents_agent')
        .on('knowledge_documents')
        .columns(['workspace_id', 'livemode', 'agent_id', 'id'])
        .execute();
      await db.schema
        .createTable('knowledge_chunks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('doc_id', 'text', (c) =>
          c.notNull().references('knowledge_documents.id').onDelete('cascade'),
        )
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('embedding', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('knowledge_chunks_doc')
        .on('knowledge_chunks')
        .columns(['doc_id', 'position'])
        .execute();
      await db.schema
        .createIndex('knowledge_chunks_agent')
        .on('knowledge_chunks')
        .columns(['workspace_id', 'livemode', 'agent_id'])
        .execute();
      if (dialect === 'sqlite') {
        // `scope` holds one token per agent so MATCH itself restricts the search to one agent.
        await sql`CREATE VIRTUAL TABLE knowledge_fts USING fts5(scope, title, text, chunk_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(
          db,
        );
      } else {
        await sql`ALTER TABLE knowledge_chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')) STORED`.execute(
          db,
        );
        await sql`CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv)`.execute(db);
      }
    },
  },
  '0521_knowledge_gin_direct': {
    // PostgreSQL: new passages go straight into the GIN index instead of its pending list. Every
    // search scans the whole pending list (up to 4 MB, flushed only by VACUUM, autoanalyze or
    // overflow): ~1.5 ms of a 4 ms search at 10,000 passages. Inserting a passage costs ~0.2 ms
    // more instead; knowledge is written far less often than it is searched.
    async up(db: Kysely<any>, dialect) {
      if (dialect === 'sqlite') return;
      await sql`ALTER INDEX knowledge_chunks_tsv SET (fastupdate = off)`.execute(db);
      await sql`SELECT gin_clean_pending_list('knowledge_chunks_tsv'::regclass)`.execute(db);
    },
  },
};
