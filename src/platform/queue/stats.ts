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

/** A queue that reports its own depths (pg-boss's counts: PostgreSQL). */
export interface QueueDepths {
  depths(): Promise<QueueKindStats[]>;
}

/**
 * Reads the queue's depth per kind of job: the embedded queue's `jobs` table on SQLite (only
 * unfinished jobs are scanned); on PostgreSQL, pg-boss's own counts through its API (`getQueues`,
 * as its monitor last took them: up to its interval old).
 */
export async function queueStats(
  db: Db,
  dialect: Dialect,
  queue?: Partial<QueueDepths>,
): Promise<QueueKindStats[]> {
  const now = new Date();
  if (dialect === 'postgres') return (await queue?.depths?.().catch(() => [])) ?? [];
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
