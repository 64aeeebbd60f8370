import { sql } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';

/** What the queue holds of one kind of job, for the metrics. */
export interface QueueKindStats {
  kind: string;
  /** Waiting to run now. */
  due: number;
  /** Delayed to a later time (retries, debounces, scheduled sends). */
  scheduled: number;
  active: number;
  /** How long the oldest due job has waited (0 when none waits). */
  oldestDueAgeSeconds: number;
}

/**
 * Reads the queue's depth per kind of job from storage: the embedded queue's `jobs` table on
 * SQLite, pg-boss's `job` table on PostgreSQL (only unfinished jobs are scanned).
 */
export async function queueStats(
  db: Db,
  dialect: Dialect,
  pgBossSchema = 'pgboss',
): Promise<QueueKindStats[]> {
  const now = new Date();
  if (dialect === 'postgres') {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(pgBossSchema)) return [];
    const rows = await sql<{
      kind: string;
      due: string;
      scheduled: string;
      active: string;
      oldest: string | null;
    }>`
      select name as kind,
        count(*) filter (where state in ('created', 'retry') and start_after <= now()) as due,
        count(*) filter (where state in ('created', 'retry') and start_after > now()) as scheduled,
        count(*) filter (where state = 'active') as active,
        extract(epoch from now() - min(start_after) filter (where state in ('created', 'retry') and start_after <= now())) as oldest
      from ${sql.table(`${pgBossSchema}.job`)}
      where state < 'completed'
      group by name`
      .execute(db)
      .catch(() => ({ rows: [] }));
    return rows.rows.map((r) => ({
      kind: r.kind,
      due: Number(r.due),
      scheduled: Number(r.scheduled),
      active: Number(r.active),
      oldestDueAgeSeconds: r.oldest === null ? 0 : Math.max(0, Number(r.oldest)),
    }));
  }
  const iso = now.toISOString();
  const rows = await sql<{
    kind: string;
    due: number;
    scheduled: number;
    active: number;
    oldest: string | null;
  }>`
    select queue as kind,
      sum(case when state = 'queued' and run_at <= ${iso} then 1 else 0 end) as due,
      sum(case when state = 'queued' and run_at > ${iso} then 1 else 0 end) as scheduled,
      sum(case when state = 'active' then 1 else 0 end) as active,
      min(case when state = 'queued' and run_at <= ${iso} then run_at end) as oldest
    from jobs
    where state in ('queued', 'active')
    group by queue`.execute(db);
  return rows.rows.map((r) => ({
    kind: r.kind,
    due: Number(r.due),
    scheduled: Number(r.scheduled),
    active: Number(r.active),
    oldestDueAgeSeconds: r.oldest === null ? 0 : Math.max(0, (now.getTime() - Date.parse(r.oldest)) / 1000),
  }));
}
