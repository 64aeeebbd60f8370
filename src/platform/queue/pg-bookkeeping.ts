import type pg from 'pg';

/**
 * Parley's own bookkeeping beside pg-boss, so that nothing here reads pg-boss's tables (every
 * pg-boss upgrade would otherwise be a port): two small tables in a schema of their own, named
 * after pg-boss's (`pgboss` → `pgboss_parley`), so test databases with several pg-boss schemas
 * keep them apart.
 *
 * - `job_keys`: per kind of job and singleton key, the last job enqueued with that key. Whether
 *   that job is still queued or running is asked of pg-boss (`findJobs` by id); see `enqueue`.
 * - `job_leases`: the jobs a live process is running (pg-leases.ts), written with the session
 *   advisory lock that proves the process lives, and removed when the outcome is recorded.
 *
 * Created by the queue itself when it starts (as pg-boss installs its own schema), under an
 * advisory lock so processes starting together do not race.
 */
export function bookkeepingSchema(bossSchema: string): string {
  return `${bossSchema}_parley`;
}

export async function ensureBookkeeping(client: Pick<pg.Client, 'query'>, bossSchema: string): Promise<void> {
  const s = bookkeepingSchema(bossSchema);
  await client.query(`SELECT pg_advisory_lock(hashtextextended('parley.queue-bookkeeping:' || $1, 0))`, [s]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.job_keys (
         name text NOT NULL,
         key text NOT NULL,
         job_id uuid NOT NULL,
         PRIMARY KEY (name, key)
       )`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.job_leases (
         job_id uuid PRIMARY KEY,
         name text NOT NULL,
         taken_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await client.query(`CREATE INDEX IF NOT EXISTS job_leases_taken ON ${s}.job_leases (taken_at)`);
  } finally {
    await client.query(`SELECT pg_advisory_unlock(hashtextextended('parley.queue-bookkeeping:' || $1, 0))`, [
      s,
    ]);
  }
}
