import type { DatabaseHandle } from '../db/database.ts';
import type { JobQueue, QueueLogger } from './queue.ts';
import { SqliteJobQueue } from './sqlite-queue.ts';

export type { JobQueue } from './queue.ts';

/**
 * The job queue for this storage: the embedded queue on SQLite's `jobs` table, or pg-boss (in
 * its own `pgboss` schema, with its own small pool) on PostgreSQL.
 */
export async function createJobQueue(
  handle: DatabaseHandle,
  opts: {
    pollMs: number;
    databaseUrl?: string;
    logger?: QueueLogger;
    pgBossSchema?: string;
    /** Connections in pg-boss's own pool (PostgreSQL only). */
    poolSize?: number;
    /** How often pg-boss counts queue depths for the metrics (PostgreSQL only; default 30 s). */
    monitorIntervalSeconds?: number;
  },
): Promise<JobQueue> {
  if (handle.dialect === 'postgres') {
    if (!opts.databaseUrl)
      throw new Error('createJobQueue: databaseUrl is required on PostgreSQL (pg-boss connects itself)');
    // Loaded only on PostgreSQL, so the embedded shape does not carry pg-boss in memory.
    const { PgBossJobQueue } = await import('./pgboss-queue.ts');
    return new PgBossJobQueue({
      connectionString: opts.databaseUrl,
      schema: opts.pgBossSchema,
      pollMs: opts.pollMs,
      logger: opts.logger,
      poolSize: opts.poolSize,
      monitorIntervalSeconds: opts.monitorIntervalSeconds,
    });
  }
  return new SqliteJobQueue({ db: handle.db, pollMs: opts.pollMs, logger: opts.logger });
}
