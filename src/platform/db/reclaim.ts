import { sql } from 'kysely';
import pg from 'pg';
import type { AppContext } from '../context.ts';

/**
 * After an erasure has committed, best effort (a failure is logged, the erasure stands): the
 * space the person's rows held is cleaned out of the database's own files, so their bytes are not
 * left readable there (docs/privacy.md says what still holds them: backups, and on PostgreSQL the
 * WAL and freed space until it is reused).
 *
 * - SQLite runs with `secure_delete` (database.ts: what is deleted or overwritten is zeroed) and
 *   an FTS5 index with `secure-delete`; here the WAL, which still holds the pages as they were, is
 *   checkpointed into the database file and truncated to nothing.
 * - PostgreSQL keeps an updated or deleted row's old version in its table until VACUUM: here every
 *   table that can hold a person (those with a `workspace_id`) and the job queue's are vacuumed,
 *   one at a time, on a connection of its own (VACUUM cannot run in a transaction), skipping a
 *   table another VACUUM holds (autovacuum is cleaning it anyway).
 */
export async function reclaimErasedSpace(ctx: AppContext): Promise<void> {
  const started = Date.now();
  try {
    if (ctx.dialect === 'sqlite') {
      const { rows } = await sql<{
        busy: number;
        log: number;
        checkpointed: number;
      }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db);
      ctx.logger.info(
        { checkpoint: rows[0], ms: Date.now() - started },
        'erasure: WAL checkpointed and truncated',
      );
      return;
    }
    const { rows } = await sql<{
      name: string;
    }>`select quote_ident(c.table_schema) || '.' || quote_ident(c.table_name) as name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.column_name = 'workspace_id' and c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      order by 1`.execute(ctx.db);
    const tables = [...rows.map((r) => r.name), ...ctx.queue.storageTables];
    const client = new pg.Client({
      connectionString: ctx.config.databaseUrl,
      application_name: 'parley-erasure',
    });
    await client.connect();
    try {
      for (const table of tables) await client.query(`VACUUM (SKIP_LOCKED) ${table}`);
    } finally {
      await client.end();
    }
    ctx.logger.info({ tables: tables.length, ms: Date.now() - started }, 'erasure: tables vacuumed');
  } catch (err) {
    ctx.logger.warn({ err }, 'erasure: cleaning the freed space failed (best effort; the erasure stands)');
  }
}
