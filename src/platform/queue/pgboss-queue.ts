import { randomUUID } from 'node:crypto';
import { CompiledQuery, type QueryResult, sql } from 'kysely';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { Db, Trx } from '../db/database.ts';
import { PgJobLeases } from './pg-leases.ts';
import { PartitionStatistics } from './pg-statistics.ts';
import { PgJobWakeups } from './pg-wakeups.ts';
import type { EnqueueItem, EnqueueOptions, JobDefinition, JobQueue, QueueLogger } from './queue.ts';
import { type ClaimedJob, type JobStore, PooledJobQueue, runAtFor, WorkerPool } from './worker-pool.ts';

export interface PgBossJobQueueOptions {
  connectionString: string;
  /** PostgreSQL schema pg-boss installs its tables in (default `pgboss`). */
  schema?: string;
  /** How often idle workers look for due jobs. */
  pollMs: number;
  logger?: QueueLogger;
  /** How long `stop` waits for running handlers (default 5 s). */
  stopGraceMs?: number;
  /**
   * How often pg-boss maintenance runs (default 60 s; shared across processes): it fails or
   * retries jobs active past their expiry (a worker died), and archives old jobs.
   */
  maintenanceIntervalSeconds?: number;
  /** Connections in pg-boss's own pool (default 10). */
  poolSize?: number;
  /** How often a worker looks for jobs whose process died (default 2 s; see PgJobLeases). */
  reapEveryMs?: number;
}

const MAX_EXPIRE_SECONDS = 24 * 3600 - 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * How often idle workers poll while LISTEN/NOTIFY wake-ups arrive (`pollMs` when it is longer):
 * the poll then only finds what a lost wake-up or pg-boss's own maintenance made due.
 */
const POLL_WITH_WAKEUPS_MS = 2000;

/**
 * The job queue on PostgreSQL, stored by pg-boss 10.
 *
 * - `enqueue` inserts through pg-boss's `send` with its `db` option pointed at the caller's
 *   Kysely handle, so the job is written in the caller's transaction; `enqueueMany` likewise
 *   through pg-boss's `insert` (one INSERT ... SELECT FROM json_to_recordset($1) for all jobs).
 * - Workers use the same loop as the SQLite queue (`WorkerPool`) over pg-boss's public
 *   `fetch` (`FOR UPDATE SKIP LOCKED`), `complete` and `fail`, so `pollMs`, `concurrency`,
 *   `kick()` and handler timeouts behave as on SQLite. pg-boss's own `work()` is not used: it
 *   polls no faster than every 500 ms, runs a fetched batch as a unit and has no way to retry a
 *   job after a delay computed per attempt.
 * - Attempts: pg-boss's `retry_count` is 0 on the first run and is bumped by each later fetch,
 *   so `attempt = retryCount + 1`; `retryLimit = maxAttempts - 1`.
 * - Retries use the job's own `backoffMs(attempt)`, to the millisecond, through pg-boss's API only
 *   (its `fail` retries after whole seconds of `retry_delay`): in one transaction the attempt is
 *   `cancel`led (fenced: nothing happens unless it is still unfinished at this attempt), read
 *   back with `getJobById`, `deleteJob`ped and `insert`ed again with the same id, payload and
 *   singleton key, `startAfter = now() + backoff` (database clock) and the attempts it has left as
 *   its `retryLimit`. The attempt number is then `maxAttempts - retryLimit + retryCount`, which is
 *   `retryCount + 1` for a job never put back this way, so pg-boss's own expiry (a job whose
 *   worker died, retried by maintenance once active past `expireInSeconds = ceil(timeoutMs /
 *   1000)`, after `retryDelay = round(backoffMs(1) / 1000)` seconds) and the lease reaper count
 *   attempts the same way, and fail the job after its last one.
 * - Nothing here writes pg-boss's tables but pg-boss's API. Three reads of its job table have no
 *   API in pg-boss 10 and stay plain SELECTs: the singleton look in `enqueue` (a live job with a
 *   key), the lease reaper's look for active jobs (pg-leases.ts) and the metrics' queue depths
 *   (stats.ts).
 * - Singleton keys: pg-boss 10 only de-duplicates keys under queue policies that also apply to
 *   jobs without a key (`short`/`singleton`/`stately` treat a missing key as ''), so queues are
 *   created `standard` and `enqueue` enforces "no second queued or active job with this key"
 *   itself: a transaction-scoped advisory lock on (queue, key), then a look for a live job with
 *   that key. The key is still passed to pg-boss (stored in `singleton_key`).
 */
export class PgBossJobQueue extends PooledJobQueue implements JobQueue {
  readonly #bossOptions: PgBoss.ConstructorOptions;
  /** The running pg-boss, from `prepare` until `stop` (a stopped pg-boss is not restarted: a new one is made). */
  #boss: PgBoss | null = null;
  readonly #schema: string;
  readonly #logger: QueueLogger | undefined;
  protected readonly pool: WorkerPool;
  #prepared: Promise<void> | null = null;
  readonly #queues = new Map<string, Promise<void>>();
  /** The last queue creation asked for (they run one after another). */
  #creating: Promise<void> = Promise.resolve();
  readonly #leases: PgJobLeases;
  readonly #wakeups: PgJobWakeups;
  /** Planner statistics of the queues' partitions, taken again as they grow (pg-statistics.ts). */
  readonly statistics: PartitionStatistics;

  constructor(opts: PgBossJobQueueOptions) {
    super();
    this.#schema = opts.schema ?? 'pgboss';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(this.#schema))
      throw new Error(`Invalid pg-boss schema name: ${this.#schema}`);
    this.#logger = opts.logger;
    this.#bossOptions = {
      connectionString: opts.connectionString,
      schema: this.#schema,
      max: opts.poolSize ?? 10,
      application_name: 'parley-queue',
      // pg-boss's own connections (claims, completions, retries, maintenance) commit without
      // waiting for the WAL flush. What they record is the queue's bookkeeping: a job and what it
      // causes are written on the app's connections, which do wait; WAL is written in order, so
      // any of those commits makes every claim before it durable too. Only a crash of PostgreSQL
      // itself (or its machine) can lose the last ~0.6 s of claims and completions (a Parley
      // process that dies loses nothing committed); those jobs then run again, as the job of a
      // worker that died does, and handlers are written for that (a send is fenced on its
      // message's row).
      ...({ options: '-c synchronous_commit=off' } satisfies pg.PoolConfig),
      // Installs or migrates pg-boss's schema on start (an advisory lock makes that safe when
      // several processes start at once).
      migrate: true,
      // Maintenance (expiring lost jobs, archiving) runs in every process, at most once per
      // interval across all of them (pg-boss records when it last ran).
      supervise: true,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
      // No cron schedules: they would start pg-boss's internal workers.
      schedule: false,
      // Completed and failed jobs move to pg-boss's archive table after an hour (keeping the
      // job table, which singleton checks scan, small) and leave the archive after 7 days.
      archiveCompletedAfterSeconds: 3600,
      deleteAfterDays: 7,
    };
    this.statistics = new PartitionStatistics({
      schema: this.#schema,
      db: () => this.#running().getDb(),
      logger: opts.logger,
    });
    this.#leases = new PgJobLeases({
      connectionString: opts.connectionString,
      schema: this.#schema,
      reapEveryMs: opts.reapEveryMs,
      logger: opts.logger,
    });
    const leases = this.#leases;
    // Every recorded outcome gives up the job's lease (after the write, never before it).
    // When the write fails (the database is gone), the lease is given up all the same: the
    // handler has finished here, so another worker, or this one, may put the job back to run.
    const settled = async (jobs: ClaimedJob[], write: () => Promise<unknown>) => {
      try {
        await write();
      } finally {
        await leases.release(jobs.map((j) => j.id));
      }
    };
    const store: JobStore = {
      claim: (def, limit) => this.#claim(def, limit),
      complete: (def, job) => settled([job], () => this.#running().complete(def.name, job.id)),
      // One UPDATE ... WHERE id IN (UNNEST($2::uuid[])) AND state = 'active' (like the single
      // complete, not fenced on retry_count).
      completeMany: async (def, jobs) => {
        if (jobs.length > 0)
          await settled(jobs, () =>
            this.#running().complete(
              def.name,
              jobs.map((j) => j.id),
            ),
          );
      },
      // pg-boss's complete takes (name, id, data, options): no output data, the caller's handle.
      // First the job's singleton lock (the one `enqueue` takes), held until the caller commits: an
      // enqueue of this key that this running job swallowed has committed by then, so the handler's
      // reads after this call see what that enqueue's transaction wrote; a later one waits for the
      // commit and finds this job completed.
      completeIn: async (def, job, db) => {
        const executor = executorOn(db);
        const row = await this.#running().getJobById(def.name, job.id, {
          db: executor,
          includeArchive: false,
        });
        const key = row?.singletonKey;
        if (key)
          await sql`select pg_advisory_xact_lock(hashtextextended(${`parley.job:${def.name}:${key}`}, 0))`.execute(
            db,
          );
        await this.#running().complete(def.name, job.id, null as unknown as object, { db: executor });
      },
      retry: (def, job, error, delayMs) => settled([job], () => this.#retry(def, job, error, delayMs)),
      fail: (def, job, error) =>
        settled([job], () => this.#running().fail(def.name, job.id, { message: error })),
    };
    this.pool = new WorkerPool({
      store,
      pollMs: opts.pollMs,
      stopGraceMs: opts.stopGraceMs,
      logger: opts.logger,
    });
    const pool = this.pool;
    this.#wakeups = new PgJobWakeups({
      connectionString: opts.connectionString,
      logger: opts.logger,
      onWake: (name, runAts) => pool.wake(name, runAts),
      onListening: () => {
        pool.setIdlePoll(Math.max(opts.pollMs, POLL_WITH_WAKEUPS_MS));
        pool.pollAll();
      },
      onLost: () => pool.setIdlePoll(opts.pollMs),
    });
  }

  /** Starts pg-boss (installing its schema if needed) without working any job. Idempotent. */
  prepare(): Promise<void> {
    if (!this.#prepared) {
      const boss = new PgBoss(this.#bossOptions);
      // pg-boss emits 'error' for failures in its background work; unhandled, that would throw.
      boss.on('error', (err) => this.#logger?.error({ err: withoutClient(err) }, 'pg-boss error'));
      this.#boss = boss;
      this.#prepared = boss.start().then(() => this.#wakeups.start());
      this.#prepared.catch(() => {
        if (this.#boss !== boss) return;
        this.#boss = null;
        this.#prepared = null;
      });
    }
    return this.#prepared;
  }

  /** Creates the pg-boss queue (a partition of its job table) once per name; idempotent. */
  #ensureQueue(name: string): Promise<void> {
    let created = this.#queues.get(name);
    if (!created) {
      // One creation at a time in this process: pg-boss's create_queue adds a foreign key to its
      // queue table per new queue, and two at once deadlock on that table's lock (seen when a
      // starting worker's enqueues created queues while its start created the others).
      created = this.#creating = this.#creating
        .catch(() => {})
        .then(() => this.prepare())
        .then(() => this.#running().createQueue(name, { name, policy: 'standard' }));
      this.#queues.set(name, created);
      created.catch(() => this.#queues.delete(name));
    }
    return created;
  }

  async enqueue<P>(
    db: Trx | Db,
    job: JobDefinition<P>,
    payload: P,
    opts: EnqueueOptions = {},
  ): Promise<string | null> {
    const runAt = wakeAt(new Date(), opts);
    // In a transaction, the kick after its commit looks for the job (noteEnqueued); outside one,
    // the job is committed once written, and its lane looks once, then (see the end).
    const inTransaction = db.isTransaction;
    if (inTransaction) this.pool.noteEnqueued(job.name, [runAt]);
    this.#wakeups.note(job.name, [runAt.getTime()]);
    const data = job.payload.parse(payload);
    await this.#ensureQueue(job.name);

    const insert = async (handle: Trx | Db): Promise<string | null> => {
      const executor = executorOn(handle);
      const key = opts.singletonKey;
      if (key !== undefined) {
        const live = async () =>
          (
            await executor.executeSql(
              `SELECT 1 FROM ${this.#schema}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`,
              [job.name, key],
            )
          ).rows.length > 0;
        if (opts.unlessLive && (await live())) return null;
        // Serializes enqueues of this key until the caller commits, so the look below sees any
        // job another transaction just enqueued with it.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`parley.job:${job.name}:${key}`}, 0))`.execute(
          handle,
        );
        if (await live()) return null;
      }
      const id = await this.#running().send(
        job.name,
        // Pre-serialized, so any JSON value (not only objects) reaches the jsonb column intact.
        JSON.stringify(data ?? null) as unknown as object,
        { startAfter: startAfterFor(opts), singletonKey: key, ...retryOptionsFor(job), db: executor },
      );
      if (!id) throw new Error(`pg-boss did not record the job (queue ${job.name})`);
      return id;
    };

    this.statistics.note(job.name, 1);
    if (inTransaction) return insert(db);
    const id =
      opts.singletonKey !== undefined
        ? await db.transaction().execute((trx) => insert(trx))
        : await insert(db);
    if (id !== null) this.pool.wake(job.name, [runAt.getTime()]);
    return id;
  }

  /**
   * pg-boss's `insert` writes all jobs with one statement on the given executor. It neither
   * returns ids (no RETURNING) nor reports rows it skipped (it joins the queue table and ends in
   * ON CONFLICT DO NOTHING), so ids are made here and the affected row count is checked.
   */
  async enqueueMany<P>(db: Trx | Db, job: JobDefinition<P>, items: EnqueueItem<P>[]): Promise<string[]> {
    if (items.length === 0) return [];
    const now = new Date();
    const runAts = items.map((item) => wakeAt(now, item.opts ?? {}));
    // As in `enqueue`: outside a transaction the lane looks once the jobs are written.
    const inTransaction = db.isTransaction;
    if (inTransaction) this.pool.noteEnqueued(job.name, runAts);
    this.#wakeups.note(
      job.name,
      runAts.map((r) => r.getTime()),
    );
    // Every payload is checked before anything is written.
    const data = items.map((item) => job.payload.parse(item.payload) ?? null);
    await this.#ensureQueue(job.name);
    const options = retryOptionsFor(job);
    const jobs: PgBoss.JobInsert[] = items.map((item, i) => {
      const startAfter = startAfterFor(item.opts ?? {});
      return {
        id: randomUUID(),
        name: job.name,
        // Serialized by pg-boss with the whole list and read back as jsonb: any JSON value fits.
        data: data[i] as object,
        // `insert` reads a string as `now() + interval` (seconds, on the database clock, as
        // `send` does with a number) and an ISO time ending in Z as that time. Fixed-point, as
        // String(1e-7) would not be an interval.
        startAfter: typeof startAfter === 'number' ? startAfter.toFixed(3) : startAfter,
        ...options,
      };
    });
    let inserted: bigint | undefined;
    const executor = executorOn(db, (result) => {
      inserted = result.numAffectedRows;
    });
    await this.#running().insert(jobs, { db: executor });
    if (inserted !== BigInt(jobs.length))
      throw new Error(`pg-boss recorded ${inserted ?? 0} of ${jobs.length} jobs (queue ${job.name})`);
    this.statistics.note(job.name, jobs.length);
    if (!inTransaction)
      this.pool.wake(
        job.name,
        runAts.map((r) => r.getTime()),
      );
    return jobs.map((j) => j.id!);
  }

  /**
   * pg-boss's `cancel` on the caller's handle: jobs not yet completed become `cancelled` (a running
   * one too: its completion or retry, fenced on `active`, is then a no-op). Ids that are not
   * UUIDs cannot be pg-boss jobs and are skipped (a cast error would abort the caller's transaction).
   */
  async cancel(db: Trx | Db, job: Pick<JobDefinition<unknown>, 'name'>, ids: string[]): Promise<number> {
    const uuids = [...new Set(ids)].filter((id) => UUID.test(id));
    if (uuids.length === 0) return 0;
    await this.prepare();
    const result = (await this.#running().cancel(job.name, uuids, { db: executorOn(db) })) as unknown as
      | { affected?: number }
      | undefined;
    return result?.affected ?? 0;
  }

  async start(): Promise<void> {
    if (this.pool.running) return;
    await this.prepare();
    // The queues that exist already (another process or an earlier start made them) are read
    // with one statement; only the missing ones are created (each a call of pg-boss's
    // create_queue, one round trip and a write attempt per kind of job, ~25 kinds).
    const { rows } = await this.#running().getDb().executeSql(`SELECT name FROM ${this.#schema}.queue`, []);
    for (const { name } of rows as Array<{ name: string }>)
      if (!this.#queues.has(name)) this.#queues.set(name, Promise.resolve());
    for (const def of this.pool.definitions()) await this.#ensureQueue(def.name);
    this.#leases.start();
    this.pool.start();
  }

  /** Stops working, then stops pg-boss and closes its pool (`prepare`/`start` may start it again). */
  async stop(): Promise<void> {
    await this.pool.stop();
    await this.statistics.settled();
    await this.#leases.stop();
    await this.#wakeups.stop();
    const prepared = this.#prepared;
    if (!prepared) return;
    try {
      await prepared;
    } catch {
      return;
    }
    const boss = this.#running();
    this.#boss = null;
    this.#prepared = null;
    this.#queues.clear();
    await boss.stop({ graceful: false, close: true });
  }

  #running(): PgBoss {
    if (!this.#boss) throw new Error('The pg-boss job queue is stopped');
    return this.#boss;
  }

  /** After a commit: this process's workers look for what it enqueued, and the others are told. */
  override kick(): void {
    super.kick();
    this.#wakeups.publish();
  }

  async #claim(def: JobDefinition<any>, limit: number): Promise<ClaimedJob[]> {
    const jobs = await this.#running().fetch<unknown>(def.name, { batchSize: limit, includeMetadata: true });
    // Held before any handler runs; if it cannot be, the jobs are not run here and another
    // worker puts them back once their grace has passed.
    await this.#leases.hold(jobs.map((j) => j.id));
    return jobs.map((j) => ({
      id: j.id,
      payload: j.data,
      attempt: attemptOf(def, j),
      maxAttempts: def.maxAttempts,
    }));
  }

  /**
   * Puts a failed attempt back to run after `delayMs`, through pg-boss's API in one transaction on
   * one of its pool's connections (see the class comment). `error` is logged by the worker; the
   * job put back carries no output.
   */
  async #retry(def: JobDefinition<any>, job: ClaimedJob, _error: string, delayMs: number): Promise<void> {
    const boss = this.#running();
    const pool = (boss.getDb() as PgBoss.Db & { pool?: pg.Pool }).pool;
    if (!pool) throw new Error('pg-boss has no connection pool to retry a job with');
    const client = await pool.connect();
    // pg-pool listens for a broken connection only on idle clients: one that breaks while checked
    // out here (the database restarted, the network cut) would emit an unhandled 'error' and end
    // the process. The statement under way fails instead, and the pool drops the client on release.
    const lost = (err: Error) => this.#logger?.warn({ err: withoutClient(err) }, 'job retry connection lost');
    client.on('error', lost);
    const db: PgBoss.Db = { executeSql: (text, values) => client.query(text, values) };
    try {
      await client.query('BEGIN');
      // Fenced: a job completed, cancelled or failed meanwhile is left as it is. The cancel also
      // locks the row until the commit.
      const cancelled = (await boss.cancel(def.name, job.id, { db })) as unknown as { affected?: number };
      const row =
        cancelled?.affected === 1
          ? await boss.getJobById(def.name, job.id, { db, includeArchive: false })
          : null;
      // ... and so is one that another worker took again (another attempt) since this one.
      if (!row || attemptOf(def, row) !== job.attempt) {
        await client.query('ROLLBACK');
        return;
      }
      await boss.deleteJob(def.name, job.id, { db });
      const options = retryOptionsFor(def);
      await boss.insert(
        [
          {
            id: job.id,
            name: def.name,
            data: row.data as object,
            priority: row.priority,
            singletonKey: row.singletonKey ?? undefined,
            // Seconds from now on the database clock (fixed-point: see enqueueMany).
            startAfter: (Math.max(0, delayMs) / 1000).toFixed(3),
            retryLimit: Math.max(0, row.retryLimit - row.retryCount - 1),
            retryDelay: options.retryDelay,
            retryBackoff: options.retryBackoff,
            expireInSeconds: options.expireInSeconds,
          },
        ],
        { db },
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.off('error', lost);
      client.release();
    }
  }
}

/**
 * `err` without the `client` pg-pool hangs on the errors of its idle clients: logged, that is a
 * whole connection object (its parameters and type tables) on every line.
 */
function withoutClient(err: unknown): unknown {
  if (!(err instanceof Error) || !('client' in err)) return err;
  const { client: _client, ...rest } = err as Error & { client: unknown };
  return Object.assign(new Error(err.message), { stack: err.stack }, rest);
}

/**
 * The attempt a fetched job is at: its retries so far, plus the attempts it had used before a
 * retry put it back with fewer left (`retryLimit` below `maxAttempts - 1`).
 */
function attemptOf(def: JobDefinition<any>, j: { retryCount: number; retryLimit: number }): number {
  const before = Math.max(0, Math.floor(def.maxAttempts) - 1 - j.retryLimit);
  return before + j.retryCount + 1;
}

/** pg-boss's `db` option over a Kysely handle, so its statements run in the caller's transaction. */
function executorOn(handle: Trx | Db, onResult?: (result: QueryResult<unknown>) => void): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const result = await handle.executeQuery(CompiledQuery.raw(text, values ?? []));
      onResult?.(result);
      return { rows: result.rows as any[] };
    },
  };
}

/** The per-job retry and expiry options, the same for `send` and `insert`. */
function retryOptionsFor(job: JobDefinition<any>) {
  return {
    retryLimit: Math.max(0, Math.floor(job.maxAttempts) - 1),
    retryDelay: Math.max(0, Math.round(job.backoffMs(1) / 1000)),
    retryBackoff: false,
    expireInSeconds: Math.min(MAX_EXPIRE_SECONDS, Math.max(1, Math.ceil(job.timeoutMs / 1000))),
  };
}

/** When to look for a job: a delayed one a little after its time, as pg-boss counts its delay from the INSERT. */
function wakeAt(now: Date, opts: EnqueueOptions): Date {
  const at = runAtFor(now, opts);
  return at.getTime() > now.getTime() ? new Date(at.getTime() + DELAY_WAKE_MARGIN_MS) : at;
}
const DELAY_WAKE_MARGIN_MS = 100;

/** pg-boss `startAfter`: a time (ISO, UTC) or a delay in seconds counted on the database clock. */
function startAfterFor(opts: EnqueueOptions): Date | number | undefined {
  const delayMs = opts.delayMs !== undefined && opts.delayMs > 0 ? opts.delayMs : 0;
  if (opts.runAt) {
    const at = Math.max(opts.runAt.getTime(), Date.now() + delayMs);
    return new Date(at);
  }
  return delayMs > 0 ? delayMs / 1000 : undefined;
}
