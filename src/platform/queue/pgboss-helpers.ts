import { CompiledQuery } from 'kysely';
import type { Db as BossDb } from 'pg-boss';
import type { Db, Trx } from '../db/database.ts';
import type { EnqueueOptions, JobDefinition } from './queue.ts';
import { type ClaimedJob, runAtFor } from './worker-pool.ts';

/** The pg-boss queue's small helpers (pgboss-queue.ts): options, attempts, fences, executors. */

export const MAX_EXPIRE_SECONDS = 24 * 3600 - 1;

/** pg-boss's job states in which a job is still queued or running. */
export const LIVE_STATES = new Set(['created', 'retry', 'active']);
/** pg-boss 10.x's schema version: pg-boss 12 has no migration from it; Parley's own does it (pgboss-10-upgrade.ts). */
export const PG_BOSS_10_VERSION = 24;
/**
 * How every queue is created: `standard` (pg-boss's keyed policies also constrain jobs without a
 * key) and `partition: true`, a table of its own each (see pgboss-queue.ts).
 */
export const QUEUE_OPTIONS = { policy: 'standard', partition: true } as const;

/** What the fetch said of a claimed job that its settling needs, kept on the job under a symbol. */
export interface PgJobMeta {
  retryCount: number;
  retryLimit: number;
  priority: number;
  singletonKey: string | null;
}
export const META = Symbol('pg-boss job');

export function metaOf(job: ClaimedJob): PgJobMeta {
  const meta = (job as ClaimedJob & { [META]?: PgJobMeta })[META];
  if (!meta) throw new Error(`Job ${job.id} was not claimed from pg-boss`);
  return meta;
}

/** pg-boss's attempt fence: a settle applies only while the job is at the attempt it was fetched at. */
export function fenceOf(job: ClaimedJob): { id: string; retryCount: number } {
  return { id: job.id, retryCount: metaOf(job).retryCount };
}

/**
 * `err` without the `client` pg-pool hangs on the errors of its idle clients: logged, that is a
 * whole connection object (its parameters and type tables) on every line.
 */
export function withoutClient(err: unknown): unknown {
  if (!(err instanceof Error) || !('client' in err)) return err;
  const { client: _client, ...rest } = err as Error & { client: unknown };
  return Object.assign(new Error(err.message), { stack: err.stack }, rest);
}

/**
 * The attempt a fetched job is at: its retries so far, plus the attempts it had used before a
 * retry put it back with fewer left (`retryLimit` below `maxAttempts - 1`).
 */
export function attemptOf(def: JobDefinition<any>, j: { retryCount: number; retryLimit: number }): number {
  const before = Math.max(0, Math.floor(def.maxAttempts) - 1 - j.retryLimit);
  return before + j.retryCount + 1;
}

/** pg-boss's `db` option over a Kysely handle, so its statements run in the caller's transaction. */
export function executorOn(handle: Trx | Db): BossDb {
  return {
    executeSql: async (text, values) => {
      const result = await handle.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as any[] };
    },
  };
}

/** The per-job retry and expiry options, the same for `send` and `insert`. */
export function retryOptionsFor(job: JobDefinition<any>) {
  return {
    retryLimit: Math.max(0, Math.floor(job.maxAttempts) - 1),
    retryDelay: Math.max(0, Math.round(job.backoffMs(1) / 1000)),
    retryBackoff: false,
    expireInSeconds: Math.min(MAX_EXPIRE_SECONDS, Math.max(1, Math.ceil(job.timeoutMs / 1000))),
  };
}

/** When to look for a job: a delayed one a little after its time, as pg-boss counts its delay from the INSERT. */
export function wakeAt(now: Date, opts: EnqueueOptions): Date {
  const at = runAtFor(now, opts);
  return at.getTime() > now.getTime() ? new Date(at.getTime() + DELAY_WAKE_MARGIN_MS) : at;
}
const DELAY_WAKE_MARGIN_MS = 100;

/** pg-boss `startAfter`: a time (ISO, UTC) or a delay in seconds counted on the database clock. */
export function startAfterFor(opts: EnqueueOptions): Date | number | undefined {
  const delayMs = opts.delayMs !== undefined && opts.delayMs > 0 ? opts.delayMs : 0;
  if (opts.runAt) {
    const at = Math.max(opts.runAt.getTime(), Date.now() + delayMs);
    return new Date(at);
  }
  return delayMs > 0 ? delayMs / 1000 : undefined;
}
