import { sql } from 'kysely';
import type { AppContext } from '../context.ts';

/**
 * Planner statistics. Parley's searches and lists are planned from them: on PostgreSQL without
 * any (a server with `autovacuum` off, a restored dump), a search that takes 5 ms takes seconds
 * (a nested loop over conversations and contacts). PostgreSQL's autovacuum keeps them; where it
 * never ran, Parley gathers them itself: at start for the tables that have none, and after a bulk
 * import for the tables it filled. On SQLite, `PRAGMA optimize` does the same (SQLite's advice).
 */

/** Tables of Parley's schema that have never been analyzed (PostgreSQL), or [] on SQLite. */
export async function tablesWithoutStatistics(ctx: AppContext): Promise<string[]> {
  if (ctx.dialect !== 'postgres') return [];
  const { rows } = await sql<{ relname: string }>`
    select relname from pg_stat_user_tables
    where schemaname = current_schema() and last_analyze is null and last_autoanalyze is null
    order by relname`.execute(ctx.db);
  return rows.map((r) => r.relname);
}

/** Gathers the planner's statistics of `tables` (every table of the schema when omitted). */
export async function refreshStatistics(ctx: AppContext, tables?: string[]): Promise<void> {
  if (ctx.dialect !== 'postgres') {
    await sql`pragma optimize`.execute(ctx.db);
    return;
  }
  if (!tables) {
    await sql`analyze`.execute(ctx.db);
    return;
  }
  for (const table of tables) await sql`analyze ${sql.table(table)}`.execute(ctx.db);
}

/**
 * At start: the tables that never had statistics get them, in the background (a server with
 * autovacuum off, or a database restored from a dump). Logged once with the tables analyzed.
 */
export async function analyzeWhereMissing(ctx: AppContext): Promise<string[]> {
  const missing = await tablesWithoutStatistics(ctx);
  if (!missing.length) return [];
  const started = Date.now();
  await refreshStatistics(ctx, missing);
  ctx.logger.info(
    { tables: missing.length, duration_ms: Date.now() - started },
    'planner statistics gathered for tables that had none (is autovacuum off?)',
  );
  return missing;
}
