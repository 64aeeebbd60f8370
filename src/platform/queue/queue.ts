import type { z } from 'zod';
import type { Db, Trx } from '../db/database.ts';
import type { ErasedJobs, JobErasure } from './erase.ts';

/**
 * A kind of background job: its payload schema, retries and timeout, declared once in the
 * module that owns it (see each module's `*.jobs.ts`).
 */
export interface JobDefinition<P = unknown> {
  /** Queue name, `module.action` (e.g. `messages.send`). */
  name: string;
  payload: z.ZodType<P>;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before attempt `attempt + 1`, given the attempt that just failed (1-based). */
  backoffMs: (attempt: number) => number;
  /** A job still running after this long is considered lost and runs again. */
  timeoutMs: number;
  /** How many of these jobs one process runs at once (for a batch handler: batches at once). */
  concurrency: number;
  /** Jobs a batch handler (`registerBatch`) receives at most per call; 1 for plain handlers. */
  batchSize: number;
  /**
   * Batch handlers: after a commit's kick, or when a delayed job falls due, wait up to this long
   * before claiming, so the jobs that arrive meanwhile are worked together (fewer, larger
   * transactions under load, at the cost of this much latency). 0: claim at once.
   */
  gatherMs: number;
}

export function defineJob<P>(def: {
  name: string;
  payload: z.ZodType<P>;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  timeoutMs?: number;
  concurrency?: number;
  batchSize?: number;
  gatherMs?: number;
}): JobDefinition<P> {
  return {
    maxAttempts: 5,
    backoffMs: exponentialBackoff(1000, 10 * 60_000),
    timeoutMs: 60_000,
    concurrency: 4,
    batchSize: 1,
    gatherMs: 0,
    ...def,
  };
}

/** base * 2^(attempt-1), capped, with ±20% jitter so retries of many jobs spread out. */
export function exponentialBackoff(baseMs: number, capMs: number) {
  return (attempt: number) => {
    const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(raw * (0.8 + Math.random() * 0.4));
  };
}

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Run no earlier than this time. */
  runAt?: Date;
  /** While a job with this key is queued or running in the same queue, enqueueing another is a no-op. */
  singletonKey?: string;
  /**
   * With `singletonKey`: a wake-up that is repeated anyway (a poll). When a job with the key is
   * already queued or running, it returns at once, without waiting for other transactions
   * enqueueing the key; so a job finishing meanwhile may not see this caller's writes, and the
   * next repeat is what wakes it.
   */
  unlessLive?: boolean;
}

export interface JobContext {
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Marks this job completed inside the handler's own transaction (single-job handlers), so the
   * job stops being "running" the moment the handler's writes commit: a job enqueued with the
   * same singleton key right after that commit is not swallowed by this one. The worker still
   * records the outcome after the handler returns (a no-op once completed).
   * It also serializes with enqueues of this job's singleton key until `db` commits: a customer
   * write whose enqueue this running job swallowed is visible to the handler's reads after this
   * call (SQLite transactions are serialized anyway), so the handler can look for it and follow up.
   */
  completeWith?: (db: Trx) => Promise<void>;
}

export type JobHandler<P> = (payload: P, job: JobContext) => Promise<void>;

/** One job of a batch given to a batch handler. */
export interface BatchItem<P> {
  payload: P;
  job: JobContext;
}

/**
 * Works up to `batchSize` jobs of one kind in one call (one transaction for many jobs). It returns
 * one outcome per item, in order: `null`/`undefined` when that job is done, an `Error` when that
 * job's attempt failed (retried with the job's backoff, failed after `maxAttempts`). Returning
 * nothing means every job is done; throwing (or timing out) counts as a failed attempt of each.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing (every job done) is `async () => {}`.
export type BatchJobHandler<P> = (items: BatchItem<P>[]) => Promise<Array<Error | null | undefined> | void>;

/** One job for `enqueueMany`. */
export interface EnqueueItem<P> {
  payload: P;
  opts?: Omit<EnqueueOptions, 'singletonKey'>;
}

/**
 * Durable, at-least-once job queue. Two implementations pass one contract suite
 * (test/platform/queue.contract.test.ts): the embedded SQLite queue and pg-boss on PostgreSQL.
 */
export interface JobQueue {
  /**
   * Records a job in the caller's transaction (or directly on `db`), so the job exists if and
   * only if the caller's write commits. Returns the job id, or null when a singleton already exists.
   */
  enqueue<P>(db: Trx | Db, job: JobDefinition<P>, payload: P, opts?: EnqueueOptions): Promise<string | null>;
  /**
   * Optional. Readies the storage (pg-boss installs or migrates its schema) without working any
   * job; the app calls it at boot in every role, so enqueueing from an `api`-only process works.
   * `enqueue` and `start` call it themselves when it has not run; it is idempotent.
   */
  prepare?(): Promise<void>;
  /**
   * Records several jobs of one kind with one statement, in the caller's transaction (or directly
   * on `db`); no singleton keys. Returns their ids in order.
   */
  enqueueMany<P>(db: Trx | Db, job: JobDefinition<P>, items: EnqueueItem<P>[]): Promise<string[]>;
  /**
   * Cancels jobs of one kind by id, in the caller's transaction (or directly on `db`), so the
   * cancel commits with the write that made the jobs moot: a queued or delayed job never runs. A
   * job already running finishes its run (on PostgreSQL its outcome is no longer recorded, so it is
   * not retried either); finished, cancelled or unknown ids are ignored. Returns how many jobs
   * were cancelled (SQLite: queued ones removed; PostgreSQL: pg-boss's `cancel`).
   */
  cancel(db: Trx | Db, job: Pick<JobDefinition<unknown>, 'name'>, ids: string[]): Promise<number>;
  /**
   * An erasure's part (docs/privacy.md): every queue's jobs naming the person go (erase.ts):
   * finished ones (their payloads are kept a while after they ran) and pending ones about them; a
   * pending job for several people loses their ids and stays. A job running at that moment is left
   * to finish. Runs on `db` in short statements, outside any caller's transaction.
   */
  erase(db: Db, match: JobErasure): Promise<ErasedJobs>;
  /** The tables the queue's jobs are stored in (schema-qualified where needed), cleaned after an erasure. */
  readonly storageTables: string[];
  /** Declares the handler for a kind of job. Call before `start`. */
  register<P>(job: JobDefinition<P>, handler: JobHandler<P>): void;
  /**
   * Declares a batch handler for a kind of job: it receives up to `job.batchSize` due jobs at a
   * time, and up to `job.concurrency` batches run at once. Their completions are recorded together.
   */
  registerBatch<P>(job: JobDefinition<P>, handler: BatchJobHandler<P>): void;
  /** Starts working registered jobs in this process. */
  start(): Promise<void>;
  /** Stops taking jobs and waits (bounded) for running ones. */
  stop(): Promise<void>;
  /**
   * Hints that jobs may be due now (after a local commit), so idle workers look at once: at the
   * kinds of jobs this process enqueued in the last second (others wait for their poll).
   */
  kick(): void;
}

/** What the queues log through (a pino logger fits). */
export interface QueueLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}
