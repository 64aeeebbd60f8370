import { hostname } from 'node:os';
import { type ExpressionBuilder, sql } from 'kysely';
import { chunked } from '../chunked.ts';
import type { Db, Trx } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';
import type { ErasedJobs, JobErasure } from './erase.ts';
import type { EnqueueItem, EnqueueOptions, JobDefinition, JobQueue, QueueLogger } from './queue.ts';
import { eraseSqliteJobs } from './sqlite-erase.ts';
import {
  type ClaimedJob,
  errorText,
  type JobStore,
  PooledJobQueue,
  runAtFor,
  silentLogger,
  WorkerPool,
} from './worker-pool.ts';

// ---------------------------------------------------------------------------------------------
// The embedded SQLite queue.
// ---------------------------------------------------------------------------------------------

/** A claimed job's lock lasts its timeout plus this, so the worker's own timeout settles it first. */
const LOCK_GRACE_MS = 1000;
const DAY_MS = 86_400_000;
/** Rows per INSERT in `enqueueMany`. */
const ENQUEUE_CHUNK_ROWS = 500;
/** How often a working queue looks for active jobs whose process has died (and at start). */
const REAP_EVERY_MS = 5000;

/** Who claims a job here: this machine and process (`locked_by`). */
const thisOwner = () => `${hostname()}:${process.pid}`;

/**
 * Whether the process that claimed a job is known to be gone: it ran on this machine (a SQLite
 * file is one machine's) and no process has its id now. A process of another machine, an owner
 * written in another form, or a process id taken again by some other process counts as alive:
 * its jobs wait for their locks to expire, as before, and are never run twice at once.
 */
export function ownerIsGone(owner: string): boolean {
  const at = owner.lastIndexOf(':');
  const pid = Number(owner.slice(at + 1));
  if (at <= 0 || owner.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface SqliteJobQueueOptions {
  db: Db;
  /** How often idle workers look for due jobs. */
  pollMs: number;
  logger?: QueueLogger;
  now?: () => Date;
  /** How long `stop` waits for running handlers (default 5 s). */
  stopGraceMs?: number;
  /** Completed jobs are deleted after this long (default 1 day); failed ones after 7 times this. */
  retainCompletedMs?: number;
  /** How often old jobs are purged while working (default hourly). */
  purgeIntervalMs?: number;
  /** How often active jobs of dead processes are looked for while working (default 5 s). */
  reapEveryMs?: number;
}

type JobsEb = ExpressionBuilder<Database, 'jobs'>;

/**
 * The embedded, at-least-once job queue on the `jobs` table (SQLite).
 *
 * - `enqueue` inserts through the caller's Kysely handle, so the job commits or rolls back with it;
 *   `enqueueMany` likewise, with one multi-row INSERT per 500 jobs.
 * - Claiming is one `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING *` (atomic in SQLite,
 *   also across processes sharing the file); it takes due queued jobs and active jobs whose lock
 *   expired (their worker died). Each claim bumps `attempts`, which doubles as a fencing token: a
 *   worker only settles a job still active at the attempt it claimed.
 * - A claimed job is locked for `timeoutMs` + 1 s; the worker itself gives up on the handler at
 *   `timeoutMs` and counts that as a failed attempt. The lock names its process (`locked_by`,
 *   host and pid): a working queue looks every 5 s, and at start, for active jobs whose process is
 *   gone from this machine (killed, crashed) and ends their locks at once, so a restarted server
 *   runs its predecessor's jobs within seconds instead of at their expiry (minutes for long jobs).
 * - Completions are one UPDATE for many jobs: a batch handler's, and single jobs that finished in
 *   the same turn of the event loop.
 */
export class SqliteJobQueue extends PooledJobQueue implements JobQueue {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #logger: QueueLogger;
  protected readonly pool: WorkerPool;
  readonly #retainCompletedMs: number;
  readonly #purgeIntervalMs: number;
  readonly #reapEveryMs: number;
  readonly #owner = thisOwner();
  #purgeTimer: ReturnType<typeof setInterval> | null = null;
  #reapTimer: ReturnType<typeof setInterval> | null = null;

  constructor(opts: SqliteJobQueueOptions) {
    super();
    this.#db = opts.db;
    this.#now = opts.now ?? (() => new Date());
    this.#logger = opts.logger ?? silentLogger;
    this.#retainCompletedMs = opts.retainCompletedMs ?? DAY_MS;
    this.#purgeIntervalMs = opts.purgeIntervalMs ?? 3_600_000;
    this.#reapEveryMs = opts.reapEveryMs ?? REAP_EVERY_MS;
    const store: JobStore = {
      claim: (def, limit) => this.#claim(def, limit),
      complete: (_def, job) => this.#complete(job),
      completeMany: (_def, jobs) => this.#completeMany(jobs),
      completeIn: (_def, job, db) => this.#completeMany([job], db),
      retry: (_def, job, error, delayMs) =>
        this.#settle(job, {
          state: 'queued',
          run_at: new Date(this.#now().getTime() + delayMs).toISOString(),
          last_error: error,
        }),
      fail: (_def, job, error) => this.#settle(job, { state: 'failed', last_error: error }),
    };
    this.pool = new WorkerPool({
      store,
      pollMs: opts.pollMs,
      stopGraceMs: opts.stopGraceMs,
      logger: this.#logger,
    });
  }

  /** Nothing to prepare: the `jobs` table comes with the platform migrations. */
  async prepare(): Promise<void> {}

  /** Inserts the job's row; null when a live job holds its singleton key (JobQueue.enqueue). */
  async enqueue<P>(db: Trx | Db, job: JobDefinition<P>, payload: P, opts: EnqueueOptions = {}) {
    const data = job.payload.parse(payload);
    const now = this.#now();
    const runAt = runAtFor(now, opts);
    // In a transaction, the kick after its commit looks for the job (noteEnqueued); outside one,
    // the job is committed once written, and its lane looks once, then.
    if (db.isTransaction) this.pool.noteEnqueued(job.name, [runAt]);
    const id = newId('job');
    const row = await db
      .insertInto('jobs')
      .values({
        id,
        queue: job.name,
        payload: JSON.stringify(data ?? null),
        state: 'queued',
        run_at: runAt.toISOString(),
        attempts: 0,
        max_attempts: Math.max(1, job.maxAttempts),
        locked_until: null,
        last_error: null,
        singleton_key: opts.singletonKey ?? null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      // Only the partial unique index on (queue, singleton_key) for queued/active jobs can conflict.
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row && !db.isTransaction) this.pool.wake(job.name, [runAt.getTime()]);
    return row ? row.id : null;
  }

  async enqueueMany<P>(db: Trx | Db, job: JobDefinition<P>, items: EnqueueItem<P>[]): Promise<string[]> {
    if (items.length === 0) return [];
    const now = this.#now();
    const nowIso = now.toISOString();
    const runAts = items.map((item) => runAtFor(now, item.opts ?? {}));
    if (db.isTransaction) this.pool.noteEnqueued(job.name, runAts);
    // Every payload is checked before anything is written.
    const rows = items.map((item, i) => ({
      id: newId('job'),
      queue: job.name,
      payload: JSON.stringify(job.payload.parse(item.payload) ?? null),
      state: 'queued' as const,
      run_at: runAts[i]!.toISOString(),
      attempts: 0,
      max_attempts: Math.max(1, job.maxAttempts),
      locked_until: null,
      last_error: null,
      singleton_key: null,
      created_at: nowIso,
      updated_at: nowIso,
    }));
    const write = async (handle: Trx | Db) => {
      // 12 bound values a row: chunks stay far below SQLite's limit of 32766 variables.
      for (const part of chunked(rows, ENQUEUE_CHUNK_ROWS))
        await handle.insertInto('jobs').values(part).execute();
    };
    // Several chunks outside a caller's transaction still commit all together or not at all.
    if (rows.length > ENQUEUE_CHUNK_ROWS && !db.isTransaction) await db.transaction().execute(write);
    else await write(db);
    if (!db.isTransaction)
      this.pool.wake(
        job.name,
        runAts.map((r) => r.getTime()),
      );
    return rows.map((r) => r.id);
  }

  readonly storageTables = ['jobs'];

  /** An erasure's part: the jobs naming the person (sqlite-erase.ts). */
  erase(db: Db, match: JobErasure): Promise<ErasedJobs> {
    return eraseSqliteJobs(db, match);
  }

  /** Removes the jobs still queued (delayed or due, not yet claimed); running and finished ones stay. */
  async cancel(db: Trx | Db, job: Pick<JobDefinition<unknown>, 'name'>, ids: string[]): Promise<number> {
    let cancelled = 0;
    for (const part of chunked([...new Set(ids)], ENQUEUE_CHUNK_ROWS)) {
      const r = await db
        .deleteFrom('jobs')
        .where('queue', '=', job.name)
        .where('id', 'in', part)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      cancelled += Number(r.numDeletedRows);
    }
    return cancelled;
  }

  async start(): Promise<void> {
    if (this.pool.running) return;
    this.pool.start();
    this.#purge();
    this.#purgeTimer = setInterval(() => this.#purge(), this.#purgeIntervalMs);
    this.#purgeTimer.unref();
    const reap = () =>
      void this.reapDeadOwners().catch((err) =>
        this.#logger.warn({ err: errorText(err) }, 'looking for jobs of dead processes failed'),
      );
    reap();
    this.#reapTimer = setInterval(reap, this.#reapEveryMs);
    this.#reapTimer.unref();
  }

  /**
   * Ends the locks of active jobs whose process is gone from this machine (`ownerIsGone`): the
   * next claim takes them as it takes expired ones (the attempt they died in counts). Returns how
   * many were freed.
   */
  async reapDeadOwners(): Promise<number> {
    const owners = await this.#db
      .selectFrom('jobs')
      .select('locked_by')
      .distinct()
      .where('state', '=', 'active')
      .where('locked_by', 'is not', null)
      .execute();
    const gone = owners.map((o) => o.locked_by!).filter((o) => o !== this.#owner && ownerIsGone(o));
    if (gone.length === 0) return 0;
    const past = new Date(this.#now().getTime() - 1).toISOString();
    const r = await this.#db
      .updateTable('jobs')
      .set({ locked_until: past })
      .where('state', '=', 'active')
      .where('locked_by', 'in', gone)
      .where('locked_until', '>', past)
      .executeTakeFirst();
    const freed = Number(r.numUpdatedRows);
    if (freed) {
      this.#logger.warn({ jobs: freed, processes: gone }, 'jobs of a process that is gone are run again');
      this.pool.pollAll();
    }
    return freed;
  }

  async stop(): Promise<void> {
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
    this.#purgeTimer = null;
    if (this.#reapTimer) clearInterval(this.#reapTimer);
    this.#reapTimer = null;
    await this.pool.stop();
  }

  #due(name: string, nowIso: string) {
    return (eb: JobsEb) =>
      eb.and([
        eb('queue', '=', name),
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', nowIso)]),
          eb.and([eb('state', '=', 'active'), eb('locked_until', '<', nowIso)]),
        ]),
      ]);
  }

  async #claim(def: JobDefinition<any>, limit: number): Promise<ClaimedJob[]> {
    const now = this.#now();
    const nowIso = now.toISOString();
    const due = this.#due(def.name, nowIso);
    // Due ids first, read through the (state, queue, run_at) index with no sort; an idle poll
    // never takes the write lock. Expired active jobs (a worker died) are a second, rarer read.
    const queued = await this.#db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'queued')
      .where('queue', '=', def.name)
      .where('run_at', '<=', nowIso)
      .orderBy('run_at')
      .limit(limit)
      .execute();
    const expired =
      queued.length < limit
        ? await this.#db
            .selectFrom('jobs')
            .select('id')
            .where('state', '=', 'active')
            .where('queue', '=', def.name)
            .where('locked_until', '<', nowIso)
            .limit(limit - queued.length)
            .execute()
        : [];
    const ids = [...queued, ...expired].map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = await this.#db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'active',
        attempts: eb('attempts', '+', 1),
        locked_until: new Date(now.getTime() + def.timeoutMs + LOCK_GRACE_MS).toISOString(),
        locked_by: this.#owner,
        updated_at: nowIso,
      }))
      // Still due when updated: another process may have claimed some of them in between.
      .where('id', 'in', ids)
      .where(due)
      .returningAll()
      .execute();
    const claimed: ClaimedJob[] = [];
    for (const row of rows) {
      const job: ClaimedJob = {
        id: row.id,
        payload: null,
        attempt: row.attempts,
        maxAttempts: row.max_attempts,
      };
      if (row.attempts > row.max_attempts) {
        // Its worker was lost on the last attempt: that attempt counts, so the job has failed.
        await this.#settle(job, {
          state: 'failed',
          last_error: row.last_error ?? 'Lost: the worker stopped or died during the last attempt',
        });
        this.#logger.error({ job: def.name, jobId: row.id }, 'job lost on its last attempt; giving up');
        continue;
      }
      try {
        job.payload = JSON.parse(row.payload);
      } catch (err) {
        await this.#settle(job, { state: 'failed', last_error: `Unreadable payload: ${errorText(err)}` });
        continue;
      }
      claimed.push(job);
    }
    return claimed;
  }

  #completions: Array<{ job: ClaimedJob; done: (err?: unknown) => void }> = [];

  /**
   * Completions are written together, one statement for all that finished in the same turn of
   * the event loop: under load that is one commit for many jobs instead of one each.
   */
  #complete(job: ClaimedJob): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#completions.push({ job, done: (err) => (err ? reject(err) : resolve()) });
      if (this.#completions.length === 1) setImmediate(() => this.#flushCompletions());
    });
  }

  async #flushCompletions() {
    const batch = this.#completions;
    this.#completions = [];
    try {
      await this.#completeMany(batch.map((c) => c.job));
      for (const c of batch) c.done();
    } catch (err) {
      for (const c of batch) c.done(err);
    }
  }

  /**
   * Completes jobs with one UPDATE, each fenced on still being active at the attempt it was
   * claimed at. The (id, attempt) pairs go in as one JSON parameter: the statement text is the
   * same for any count (prepared once) and has no variable limit. Joined FROM json_each with
   * `+state` so SQLite looks each job up by primary key: without ANALYZE statistics it otherwise
   * walks the (state, queue, run_at) index over every active job.
   */
  async #completeMany(jobs: ClaimedJob[], db: Db | Trx = this.#db): Promise<void> {
    if (jobs.length === 0) return;
    const pairs = JSON.stringify(jobs.map((j) => [j.id, j.attempt]));
    await sql`UPDATE jobs SET state = 'completed', locked_until = NULL, updated_at = ${this.#now().toISOString()}
      FROM (SELECT value ->> 0 AS id, value ->> 1 AS attempt FROM json_each(${pairs})) AS done
      WHERE jobs.id = done.id AND jobs.attempts = done.attempt AND +jobs.state = 'active'`.execute(db);
  }

  async #settle(
    job: ClaimedJob,
    change: { state: 'queued' | 'completed' | 'failed'; run_at?: string; last_error?: string },
  ): Promise<void> {
    await this.#db
      .updateTable('jobs')
      .set({ ...change, locked_until: null, updated_at: this.#now().toISOString() })
      .where('id', '=', job.id)
      .where('state', '=', 'active')
      .where('attempts', '=', job.attempt)
      .execute();
  }

  #purge(): void {
    const now = this.#now().getTime();
    const completedBefore = new Date(now - this.#retainCompletedMs).toISOString();
    const failedBefore = new Date(now - 7 * this.#retainCompletedMs).toISOString();
    this.#db
      .deleteFrom('jobs')
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'completed'), eb('updated_at', '<', completedBefore)]),
          eb.and([eb('state', '=', 'failed'), eb('updated_at', '<', failedBefore)]),
        ]),
      )
      .execute()
      .catch((err) => this.#logger.warn({ err }, 'job purge failed'));
  }
}
