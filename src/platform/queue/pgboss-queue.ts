import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { type Db as BossDb, type ConstructorOptions, type JobInsert, PgBoss } from 'pg-boss';
import type { Db, Trx } from '../db/database.ts';
import type { ErasedJobs, JobErasure } from './erase.ts';
import { bookkeepingSchema, ensureBookkeeping } from './pg-bookkeeping.ts';
import { erasePgBossJobs } from './pg-erase.ts';
import { PgJobLeases } from './pg-leases.ts';
import { PartitionStatistics } from './pg-statistics.ts';
import { PgJobWakeups } from './pg-wakeups.ts';
import { PgBoss10Upgrade } from './pgboss-10-upgrade.ts';
import {
  attemptOf,
  executorOn,
  fenceOf,
  LIVE_STATES,
  META,
  metaOf,
  type PgJobMeta,
  QUEUE_OPTIONS,
  retryOptionsFor,
  startAfterFor,
  wakeAt,
  withoutClient,
} from './pgboss-helpers.ts';
import type { EnqueueItem, EnqueueOptions, JobDefinition, JobQueue, QueueLogger } from './queue.ts';
import type { QueueKindStats } from './stats.ts';
import { type ClaimedJob, type JobStore, PooledJobQueue, WorkerPool } from './worker-pool.ts';

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
  /** How often pg-boss's monitor counts queue depths (`depths`, the metrics; default 30 s, shared across processes). */
  monitorIntervalSeconds?: number;
  /** How often a worker looks for jobs whose process died (default 2 s; see PgJobLeases). */
  reapEveryMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * How often idle workers poll while LISTEN/NOTIFY wake-ups arrive (`pollMs` when it is longer):
 * the poll then only finds what a lost wake-up or pg-boss's own maintenance made due.
 */
const POLL_WITH_WAKEUPS_MS = 2000;

/**
 * The job queue on PostgreSQL, stored by pg-boss 12, through its public API only (no statement
 * here reads or writes pg-boss's tables but an erasure's, pg-erase.ts: what its API does not say is kept in Parley's own
 * bookkeeping beside it, pg-bookkeeping.ts).
 *
 * - `enqueue` inserts through pg-boss's `send` with its `db` option pointed at the caller's
 *   Kysely handle, so the job is written in the caller's transaction; `enqueueMany` likewise
 *   through pg-boss's `insert` (one INSERT for all jobs; it throws when any was skipped).
 * - Workers use the same loop as the SQLite queue (`WorkerPool`) over pg-boss's public
 *   `fetch` (`FOR UPDATE SKIP LOCKED`), `complete` and `fail`, so `pollMs`, `concurrency`,
 *   `kick()` and handler timeouts behave as on SQLite. pg-boss's own `work()` is not used: it
 *   runs a fetched batch as a unit and has no way to retry a job after a delay computed per attempt.
 * - Attempts: pg-boss's `retry_count` is 0 on the first run and is bumped by each later fetch,
 *   so `attempt = retryCount + 1`; `retryLimit = maxAttempts - 1`.
 * - Retries use the job's own `backoffMs(attempt)`, to the millisecond, through pg-boss's API only
 *   (its `fail` retries after whole seconds of `retry_delay`): in one transaction the attempt is
 *   `cancel`led, fenced on the attempt fetched (pg-boss's `{ id, retryCount }` form: nothing
 *   happens unless the job is still unfinished at this attempt), `deleteJob`ped and `insert`ed
 *   again with the same id, payload, priority and singleton key (all from the fetch),
 *   `startAfter = now() + backoff` (database clock) and the attempts it has left as its
 *   `retryLimit`. The attempt number is then `maxAttempts - retryLimit + retryCount`, which is
 *   `retryCount + 1` for a job never put back this way, so pg-boss's own expiry (a job whose
 *   worker died, retried by maintenance once active past `expireInSeconds = ceil(timeoutMs /
 *   1000)`, after `retryDelay = round(backoffMs(1) / 1000)` seconds) and the lease reaper count
 *   attempts the same way, and fail the job after its last one.
 * - Singleton keys: queues are `standard` (pg-boss's keyed policies also constrain jobs without a
 *   key) and `enqueue` enforces "no second queued or active job with this key" itself: a
 *   transaction-scoped advisory lock on (queue, key), then the last job enqueued with that key
 *   (Parley's `job_keys`) is looked up with pg-boss's `findJobs` by id: still created, retry or
 *   active means live. The key is also passed to pg-boss (stored as the job's `singletonKey`).
 * - Queues are created with `partition: true`, a table of their own each, as pg-boss 10 made
 *   every queue (a database upgraded from it keeps those), so one kind's backlog does not slow
 *   another's fetch; their planner statistics are kept up by pg-statistics.ts.
 * - Queue depths for the metrics are pg-boss's own counts (`getQueues`), refreshed by its monitor.
 * - Upgrading: pg-boss migrates its schema from 11.x and later on start. A schema made by pg-boss
 *   10 (schema version 24) has no migration in pg-boss (11.0 started anew): `prepare` moves it
 *   aside, lets pg-boss 12 install itself and carries every unfinished job across
 *   (pgboss-10-upgrade.ts; the other place that reads pg-boss's tables is an erasure's, pg-erase.ts).
 */
export class PgBossJobQueue extends PooledJobQueue implements JobQueue {
  readonly #bossOptions: ConstructorOptions;
  readonly #connectionString: string;
  /** The running pg-boss, from `prepare` until `stop` (a stopped pg-boss is not restarted: a new one is made). */
  #boss: PgBoss | null = null;
  readonly #schema: string;
  readonly storageTables: string[];
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
    this.storageTables = [`${this.#schema}.job`, `${bookkeepingSchema(this.#schema)}.job_keys`];
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(this.#schema))
      throw new Error(`Invalid pg-boss schema name: ${this.#schema}`);
    this.#logger = opts.logger;
    this.#connectionString = opts.connectionString;
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
      // The queue depths the metrics read (getQueues) are counted by pg-boss's monitor this often;
      // its supervisor wakes as often as the shorter of that and the maintenance interval.
      monitorIntervalSeconds: opts.monitorIntervalSeconds ?? 30,
      superviseIntervalSeconds: Math.min(
        opts.monitorIntervalSeconds ?? 30,
        opts.maintenanceIntervalSeconds ?? 60,
      ),
    };
    this.statistics = new PartitionStatistics({
      schema: this.#schema,
      boss: () => this.#running(),
      logger: opts.logger,
    });
    this.#leases = new PgJobLeases({
      connectionString: opts.connectionString,
      schema: this.#schema,
      boss: () => this.#running(),
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
      complete: (def, job) =>
        settled([job], async () => {
          await this.#running().complete(def.name, fenceOf(job));
          await this.#forgetKeys(def, [job]);
        }),
      // One statement for all, each fenced on its attempt.
      completeMany: async (def, jobs) => {
        if (jobs.length > 0)
          await settled(jobs, async () => {
            await this.#running().complete(def.name, jobs.map(fenceOf));
            await this.#forgetKeys(def, jobs);
          });
      },
      // pg-boss's complete takes (name, id, data, options): no output data, the caller's handle.
      // First the job's singleton lock (the one `enqueue` takes), held until the caller commits: an
      // enqueue of this key that this running job swallowed has committed by then, so the handler's
      // reads after this call see what that enqueue's transaction wrote; a later one waits for the
      // commit and finds this job completed.
      completeIn: async (def, job, db) => {
        const executor = executorOn(db);
        const key = metaOf(job).singletonKey;
        if (key)
          await sql`select pg_advisory_xact_lock(hashtextextended(${`parley.job:${def.name}:${key}`}, 0))`.execute(
            db,
          );
        await this.#running().complete(def.name, fenceOf(job), null, { db: executor });
        await this.#forgetKeys(def, [job], db);
      },
      retry: (def, job, error, delayMs) => settled([job], () => this.#retry(def, job, error, delayMs)),
      fail: (def, job, error) =>
        settled([job], async () => {
          await this.#running().fail(def.name, fenceOf(job), { message: error });
          await this.#forgetKeys(def, [job]);
        }),
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
      this.#prepared = this.#installBookkeeping().then(async (upgrade) => {
        try {
          await boss.start();
          // A move that fails is finished by the next start; this pg-boss is not left running.
          await upgrade?.finish(boss).catch(async (err) => {
            await boss.stop({ graceful: false, close: true }).catch(() => {});
            throw err;
          });
        } finally {
          await upgrade?.close();
        }
        await this.#wakeups.start();
      });
      this.#prepared.catch(() => {
        if (this.#boss !== boss) return;
        this.#boss = null;
        this.#prepared = null;
      });
    }
    return this.#prepared;
  }

  /**
   * Parley's bookkeeping tables (pg-bookkeeping.ts), and the first step of upgrading a pg-boss 10
   * schema (pgboss-10-upgrade.ts: its connection, holding the lock, is kept for the last step once
   * pg-boss has started). On a connection of its own, before pg-boss starts.
   */
  async #installBookkeeping(): Promise<PgBoss10Upgrade | null> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'parley-queue',
    });
    client.on('error', () => {});
    await client.connect();
    let upgrade: PgBoss10Upgrade | null = null;
    try {
      await ensureBookkeeping(client, this.#schema);
      upgrade = await PgBoss10Upgrade.begin(client, this.#schema, this.#logger);
      return upgrade;
    } finally {
      if (!upgrade) await client.end().catch(() => {});
    }
  }

  /** Creates the pg-boss queue (a table of its own) once per name; idempotent. */
  #ensureQueue(name: string): Promise<void> {
    let created = this.#queues.get(name);
    if (!created) {
      // One creation at a time in this process: pg-boss's create_queue adds a foreign key to its
      // queue table per new queue, and two at once deadlock on that table's lock (seen when a
      // starting worker's enqueues created queues while its start created the others).
      created = this.#creating = this.#creating
        .catch(() => {})
        .then(() => this.prepare())
        .then(() => this.#running().createQueue(name, QUEUE_OPTIONS));
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
      const id = randomUUID();
      if (key !== undefined) {
        const live = () => this.#keyLive(executor, job.name, key);
        if (opts.unlessLive && (await live())) return null;
        // Serializes enqueues of this key until the caller commits, so the look below sees any
        // job another transaction just enqueued with it.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`parley.job:${job.name}:${key}`}, 0))`.execute(
          handle,
        );
        if (await live()) return null;
        await executor.executeSql(
          `INSERT INTO ${this.#keys}.job_keys (name, key, job_id) VALUES ($1, $2, $3)
             ON CONFLICT (name, key) DO UPDATE SET job_id = excluded.job_id`,
          [job.name, key, id],
        );
      }
      const sent = await this.#running().send(
        job.name,
        // Serialized by pg-boss (JSON.stringify): any JSON value reaches the jsonb column intact.
        (data ?? null) as object,
        { id, startAfter: startAfterFor(opts), singletonKey: key, ...retryOptionsFor(job), db: executor },
      );
      if (!sent) throw new Error(`pg-boss did not record the job (queue ${job.name})`);
      return sent;
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
   * pg-boss's `insert` writes all jobs with one statement on the given executor, and throws when
   * any was skipped; ids are made here (it returns them only when asked, at a cost).
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
    const jobs: JobInsert[] = items.map((item, i) => {
      const startAfter = startAfterFor(item.opts ?? {});
      return {
        id: randomUUID(),
        // Serialized by pg-boss with the whole list and read back as jsonb: any JSON value fits.
        data: data[i] as object,
        // `insert` reads a string as `now() + interval` (seconds, on the database clock, as
        // `send` does with a number) and an ISO time ending in Z as that time. Fixed-point, as
        // String(1e-7) would not be an interval.
        startAfter: typeof startAfter === 'number' ? startAfter.toFixed(3) : startAfter,
        ...options,
      };
    });
    await this.#running().insert(job.name, jobs, { db: executorOn(db) });
    this.statistics.note(job.name, jobs.length);
    if (!inTransaction)
      this.pool.wake(
        job.name,
        runAts.map((r) => r.getTime()),
      );
    return jobs.map((j) => j.id!);
  }

  erase(db: Db, match: JobErasure): Promise<ErasedJobs> {
    return erasePgBossJobs(db, this.#schema, match);
  }

  /**
   * pg-boss's `cancel` on the caller's handle: jobs not yet completed become `cancelled` (a running
   * one too: its completion or retry, fenced on its attempt, is then a no-op). Ids that are not
   * UUIDs cannot be pg-boss jobs and are skipped (a cast error would abort the caller's transaction).
   */
  async cancel(db: Trx | Db, job: Pick<JobDefinition<unknown>, 'name'>, ids: string[]): Promise<number> {
    const uuids = [...new Set(ids)].filter((id) => UUID.test(id));
    if (uuids.length === 0) return 0;
    await this.prepare();
    try {
      const result = await this.#running().cancel(job.name, uuids, { db: executorOn(db) });
      return (result as { affected?: number } | undefined)?.affected ?? 0;
    } catch (err) {
      // A kind never enqueued has no queue: none of its jobs to cancel. pg-boss says so before
      // any statement runs on the caller's handle, so its transaction is unharmed.
      if ((err as { code?: string }).code === 'PGBOSS_QUEUE_NOT_FOUND') return 0;
      throw err;
    }
  }

  async start(): Promise<void> {
    if (this.pool.running) return;
    await this.prepare();
    // The queues that exist already (another process or an earlier start made them) are read
    // with one statement; only the missing ones are created (each a call of pg-boss's
    // create_queue, one round trip and a write attempt per kind of job, ~25 kinds).
    for (const { name } of await this.#running().getQueues())
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
    const retries = this.#retryPoolInstance;
    this.#retryPoolInstance = null;
    await retries?.end().catch(() => {});
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

  /** Queue depths per kind, as pg-boss's monitor last counted them (metrics: stats.ts). */
  async depths(): Promise<QueueKindStats[]> {
    if (!this.#boss) return [];
    return (await this.#running().getQueues()).map((q) => ({
      kind: q.name,
      due: q.readyCount ?? 0,
      scheduled: q.deferredCount ?? 0,
      active: q.activeCount ?? 0,
      oldestDueAgeSeconds: Math.max(0, Number(q.readyOldestSeconds ?? 0)),
    }));
  }

  get #keys(): string {
    return bookkeepingSchema(this.#schema);
  }

  /** Whether the last job enqueued with `key` is still queued or running (pg-boss's findJobs by id). */
  async #keyLive(executor: BossDb, name: string, key: string): Promise<boolean> {
    const { rows } = await executor.executeSql(
      `SELECT job_id::text AS id FROM ${this.#keys}.job_keys WHERE name = $1 AND key = $2`,
      [name, key],
    );
    const id = (rows[0] as { id?: string } | undefined)?.id;
    if (!id) return false;
    const [found] = await this.#running().findJobs(name, { id, db: executor });
    return found !== undefined && LIVE_STATES.has(found.state);
  }

  /** Settled jobs with a singleton key leave Parley's `job_keys` (a later enqueue of the key need not ask pg-boss). */
  async #forgetKeys(def: JobDefinition<any>, jobs: ClaimedJob[], db?: Trx): Promise<void> {
    const keyed = jobs.filter((j) => metaOf(j).singletonKey);
    if (keyed.length === 0) return;
    const text = `DELETE FROM ${this.#keys}.job_keys WHERE name = $1 AND job_id = ANY($2::uuid[])`;
    const values = [def.name, keyed.map((j) => j.id)];
    const run = db
      ? executorOn(db).executeSql(text, values)
      : this.#running().getDb().executeSql(text, values);
    await run;
  }

  async #claim(def: JobDefinition<any>, limit: number): Promise<ClaimedJob[]> {
    // Claimed and leased in one transaction (pg-leases.ts): if it fails, nothing was claimed.
    const boss = this.#running();
    const jobs = await this.#leases.claim(def.name, (db) =>
      boss.fetch<unknown>(def.name, { batchSize: limit, includeMetadata: true, db }),
    );
    return jobs.map((j) => {
      const meta: PgJobMeta = {
        retryCount: j.retryCount,
        retryLimit: j.retryLimit,
        priority: j.priority,
        singletonKey: j.singletonKey ?? null,
      };
      return Object.assign(
        { id: j.id, payload: j.data, attempt: attemptOf(def, j), maxAttempts: def.maxAttempts },
        { [META]: meta },
      );
    });
  }

  /**
   * Puts a failed attempt back to run after `delayMs`, through pg-boss's API in one transaction on
   * one of its pool's connections (see the class comment). `error` is logged by the worker; the
   * job put back carries no output.
   */
  async #retry(def: JobDefinition<any>, job: ClaimedJob, _error: string, delayMs: number): Promise<void> {
    const boss = this.#running();
    const meta = metaOf(job);
    const options = retryOptionsFor(def);
    const insert: JobInsert = {
      id: job.id,
      data: job.payload as object,
      priority: meta.priority,
      singletonKey: meta.singletonKey ?? undefined,
      // Seconds from now on the database clock (fixed-point: see enqueueMany).
      startAfter: (Math.max(0, delayMs) / 1000).toFixed(3),
      retryLimit: Math.max(0, meta.retryLimit - meta.retryCount - 1),
      retryDelay: options.retryDelay,
      retryBackoff: options.retryBackoff,
      expireInSeconds: options.expireInSeconds,
    };
    await this.#inTransaction(async (db) => {
      // Fenced on the attempt: a job completed, cancelled or failed meanwhile, or taken again by
      // another worker (another attempt), is left as it is. The cancel also locks the row until
      // the commit.
      const cancelled = await boss.cancel(def.name, fenceOf(job), { db });
      if ((cancelled as { affected?: number } | undefined)?.affected !== 1) return false;
      await boss.deleteJob(def.name, job.id, { db });
      await boss.insert(def.name, [insert], { db });
      return true;
    });
  }

  /**
   * Runs `fn` in one transaction on a connection of the queue's own (not pg-boss's pool, whose
   * client pg-boss does not hand out); committed when `fn` returns true, else rolled back.
   */
  async #inTransaction(fn: (db: BossDb) => Promise<boolean>): Promise<void> {
    const client = await this.#retryPool().connect();
    // pg-pool listens for a broken connection only on idle clients: one that breaks while checked
    // out here (the database restarted, the network cut) would emit an unhandled 'error' and end
    // the process. The statement under way fails instead, and the pool drops the client on release.
    const lost = (err: Error) => this.#logger?.warn({ err: withoutClient(err) }, 'job retry connection lost');
    client.on('error', lost);
    const db: BossDb = { executeSql: (text, values) => client.query(text, values) };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query((await fn(db)) ? 'COMMIT' : 'ROLLBACK');
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  #retryPoolInstance: pg.Pool | null = null;
  /** A small pool for retries (two connections), with the same commit setting as pg-boss's. */
  #retryPool(): pg.Pool {
    this.#retryPoolInstance ??= new pg.Pool({
      connectionString: this.#connectionString,
      max: 2,
      application_name: 'parley-queue',
      options: '-c synchronous_commit=off',
    });
    return this.#retryPoolInstance;
  }
}
