import pg from 'pg';
import type { Db as BossDb, PgBoss } from 'pg-boss';
import { bookkeepingSchema } from './pg-bookkeeping.ts';
import type { QueueLogger } from './queue.ts';

export interface PgJobLeasesOptions {
  connectionString: string;
  /** pg-boss's schema (Parley's lease table is beside it: pg-bookkeeping.ts). */
  schema: string;
  /** The running pg-boss, through whose API orphaned jobs are put back (needed by `reap` only then). */
  boss?: () => PgBoss;
  /** How often this process looks for jobs whose worker died (default 2 s). */
  reapEveryMs?: number;
  /** A job must have been active this long before it can be taken as orphaned (default 3 s). */
  graceMs?: number;
  logger?: QueueLogger;
}

/**
 * Who is running a pg-boss job, proven by the database itself. Each process holds a session
 * advisory lock per job it runs, on a connection of its own, and records the job in Parley's
 * `job_leases` table with the same statement; the kernel closes that connection when the process
 * dies (kill -9 included), and PostgreSQL then frees its locks at once. Every worker process looks
 * every `reapEveryMs` for leased jobs whose lock it can take: their owner is gone, so they are put
 * back to run now (through pg-boss's API), instead of waiting for pg-boss's expiry (a job's whole
 * timeout plus the maintenance interval: 60-90 s for a send). A job whose owner lives is never
 * taken, so no job runs twice at once because of this. pg-boss's expiry stays as the fallback for
 * a worker that lives but lost track of a job, and for one that died between pg-boss's fetch and
 * the lease (no lease row was written: a statement's span).
 */
export class PgJobLeases {
  readonly #opts: Required<Omit<PgJobLeasesOptions, 'logger'>> & { logger?: QueueLogger };
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  /** Jobs this process runs now (their locks are held on #client). */
  readonly #held = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;
  /** Serializes statements on the one connection (pg queues them too; this keeps order explicit). */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: PgJobLeasesOptions) {
    // `??`, not a spread: an option passed as undefined keeps its default (a spread of
    // `reapEveryMs: undefined` made the reaper run every millisecond, ~400 queries a second).
    this.#opts = {
      ...opts,
      boss:
        opts.boss ??
        (() => {
          throw new Error('PgJobLeases: no pg-boss to put jobs back with');
        }),
      reapEveryMs: opts.reapEveryMs ?? 2000,
      graceMs: opts.graceMs ?? 3000,
    };
    this.#table = `${bookkeepingSchema(opts.schema)}.job_leases`;
  }

  readonly #table: string;

  start() {
    this.#stopped = false;
    this.#schedule();
  }

  async stop() {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#chain.catch(() => {});
    const client = this.#client;
    this.#client = null;
    this.#connecting = null;
    this.#held.clear();
    await client?.end().catch(() => {});
  }

  /**
   * Claims jobs of `name` and takes their lease in one transaction on the lease connection:
   * `fetch` runs pg-boss's fetch through the `db` it is given, then the lease rows are written and
   * their session locks taken before the commit. A process killed before the commit leaves the
   * jobs as they were (the fetch is rolled back with the connection); after it, the locks prove it
   * ran them. There is no moment when a job is active in pg-boss without a lease (that gap, between
   * a fetch and a separate lease statement, left a killed worker's job to pg-boss's expiry, 60-90 s).
   */
  async claim<J extends { id: string }>(name: string, fetch: (db: BossDb) => Promise<J[]>): Promise<J[]> {
    const jobs = await this.#run(async (client) => {
      const db: BossDb = { executeSql: (text, values) => client.query(text, values) };
      let locked: string[] = [];
      await client.query('BEGIN');
      try {
        const fetched = await fetch(db);
        const ids = fetched.map((j) => j.id);
        if (ids.length) {
          await client.query(
            `WITH leased AS (
               INSERT INTO ${this.#table} (job_id, name) SELECT id, $2 FROM unnest($1::uuid[]) AS id
               ON CONFLICT (job_id) DO UPDATE SET name = excluded.name, taken_at = now()
               RETURNING job_id AS id
             )
             SELECT pg_advisory_lock(${LOCK_KEY}) FROM leased`,
            [ids, name],
          );
          locked = ids;
        }
        await client.query('COMMIT');
        return fetched;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        // Session locks outlive a rollback: give back those taken for jobs that were not claimed.
        if (locked.length)
          await client
            .query(`SELECT pg_advisory_unlock(${LOCK_KEY}) FROM unnest($1::uuid[]) AS id`, [locked])
            .catch(() => {});
        throw err;
      }
    });
    for (const j of jobs) this.#held.add(j.id);
    return jobs;
  }

  /** Gives up the lease of jobs whose outcome is recorded (the row and the lock, one statement). */
  async release(ids: string[]) {
    const mine = ids.filter((id) => this.#held.delete(id));
    if (mine.length === 0) return;
    await this.#run(async (client) => {
      await client.query(
        `WITH gone AS (DELETE FROM ${this.#table} WHERE job_id = ANY($1::uuid[]))
         SELECT pg_advisory_unlock(${LOCK_KEY}) FROM unnest($1::uuid[]) AS id`,
        [mine],
      );
    }).catch((err) => this.#opts.logger?.warn({ err }, 'could not release job leases'));
  }

  /**
   * Puts back the leased jobs whose owner is gone; returns how many. Only pg-boss's own API reads
   * and writes its tables (`findJobs` for the job's state and attempts; `cancel` then `resume`:
   * back to `created` with its attempts as they are, the next fetch counting the next attempt;
   * `fail` on the last attempt), in one transaction on this connection with the lease rows' removal.
   */
  async reap(): Promise<number> {
    const { graceMs } = this.#opts;
    return this.#run(async (client) => {
      const leased = await client.query<{ id: string; name: string }>(
        `SELECT job_id::text AS id, name FROM ${this.#table}
          WHERE taken_at < now() - $1::double precision * interval '1 millisecond'
          LIMIT 1000`,
        [graceMs],
      );
      const candidates = leased.rows.filter((r) => !this.#held.has(r.id));
      if (candidates.length === 0) return 0;
      const orphaned = await client.query<{ id: string }>(
        `SELECT id::text FROM unnest($1::uuid[]) AS id WHERE pg_try_advisory_lock(${LOCK_KEY})`,
        [candidates.map((r) => r.id)],
      );
      const ids = orphaned.rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      const mine = new Set(ids);
      try {
        const put = await this.#putBack(
          client,
          candidates.filter((r) => mine.has(r.id)),
        );
        if (put) this.#opts.logger?.warn({ jobs: put }, 'jobs of a dead worker put back to run');
        return put;
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY}) FROM unnest($1::uuid[]) AS id`, [ids]);
      }
    });
  }

  /** As pg-boss's own expiry does: back to run while attempts remain, else failed. */
  async #putBack(client: pg.Client, jobs: Array<{ id: string; name: string }>) {
    const db: BossDb = { executeSql: (text, values) => client.query(text, values) };
    const boss = this.#opts.boss();
    const affected = (r: unknown) => (r as { affected?: number } | undefined)?.affected ?? 0;
    let put = 0;
    await client.query('BEGIN');
    try {
      const byName = new Map<string, { again: string[]; last: string[] }>();
      for (const j of jobs) {
        // Only a job still active is put back (one whose outcome was written but whose lease was
        // not given up, the connection lost between the two, only loses its lease row).
        // (A kind whose queue is gone, dropped with its schema, has nothing to put back.)
        const [found] = await boss.findJobs(j.name, { id: j.id, db }).catch((err: { code?: string }) => {
          if (err?.code === 'PGBOSS_QUEUE_NOT_FOUND') return [];
          throw err;
        });
        if (found?.state !== 'active') continue;
        const group = byName.get(j.name) ?? { again: [], last: [] };
        (found.retryCount < found.retryLimit ? group.again : group.last).push(j.id);
        byName.set(j.name, group);
      }
      for (const [name, { again, last }] of byName) {
        if (again.length) {
          put += affected(await boss.cancel(name, again, { db }));
          await boss.resume(name, again, { db });
        }
        if (last.length)
          put += affected(
            await boss.fail(name, last, { message: 'the process running this job died' }, { db }),
          );
      }
      await client.query(`DELETE FROM ${this.#table} WHERE job_id = ANY($1::uuid[])`, [
        jobs.map((j) => j.id),
      ]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    return put;
  }

  #schedule() {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.reap()
        .catch((err) => this.#opts.logger?.warn({ err }, 'looking for jobs of dead workers failed'))
        .finally(() => this.#schedule());
    }, this.#opts.reapEveryMs);
    this.#timer.unref?.();
  }

  #run<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const next = this.#chain.then(async () => fn(await this.#connection()));
    this.#chain = next.catch(() => {});
    return next;
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.#opts.connectionString,
        application_name: 'parley-job-leases',
        // The lease rows are bookkeeping (the lock is the proof): no wait for the WAL flush.
        options: '-c synchronous_commit=off',
      });
      client.on('error', (err) => {
        // The connection is gone, and with it the leases it held (the database was cut or
        // restarted). The next statement reconnects and takes the leases of the jobs still
        // running here again first.
        this.#opts.logger?.error({ err, leases: this.#held.size }, 'job lease connection lost');
        if (this.#client === client) this.#client = null;
      });
      try {
        await client.connect();
        if (this.#held.size)
          await client.query(`SELECT pg_advisory_lock(${LOCK_KEY}) FROM unnest($1::uuid[]) AS id`, [
            [...this.#held],
          ]);
      } catch (err) {
        this.#connecting = null;
        await client.end().catch(() => {});
        throw err;
      }
      this.#client = client;
      this.#connecting = null;
      return client;
    })();
    return this.#connecting;
  }
}

/** The advisory lock key of job `id` (a column or parameter named id). */
const LOCK_KEY = `hashtextextended('parley.job-lease:' || id::text, 0)`;
