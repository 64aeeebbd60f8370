import type pg from 'pg';
import { type Db as BossDb, type JobInsert, PgBoss } from 'pg-boss';
import { bookkeepingSchema } from './pg-bookkeeping.ts';
import { MAX_EXPIRE_SECONDS, PG_BOSS_10_VERSION, QUEUE_OPTIONS } from './pgboss-helpers.ts';
import type { QueueLogger } from './queue.ts';

/**
 * Upgrading a job queue schema made by pg-boss 10 (schema version 24) to pg-boss 12, carrying
 * every unfinished job across. pg-boss has no migration from 10 (11.0 started its schema anew).
 *
 * THE FIRST EXCEPTION to "pg-boss's public API only" (pgboss-queue.ts; the second: pg-erase.ts): `#readJobs` reads pg-boss
 * 10's `job` table, once, from the schema renamed aside. pg-boss 10 is not running any more
 * (Parley no longer ships it), so there is no API to ask; the columns read are pg-boss 10.x's,
 * fixed by its schema version 24, which is checked first. Everything written goes through pg-boss
 * 12's public API (`createQueue`, `insert`) and Parley's own bookkeeping (`job_keys`).
 *
 * Steps, all under a session advisory lock per schema (processes starting together do it once;
 * the others wait, then find it done):
 * 1. `begin` (before pg-boss 12 starts): `<schema>` at version 24 is renamed `<schema>_v10`.
 * 2. pg-boss 12 starts and installs its schema in `<schema>` (the queue's usual start).
 * 3. `finish`: the queues are created, then in ONE transaction the unfinished jobs (states
 *    created, retry, active) are inserted with their ids, their keys recorded in `job_keys`, and
 *    `<schema>_v10` dropped. A crash at any point leaves either the renamed schema (the next
 *    start finishes the move: it looks for `<schema>_v10` as well) or everything done; no job is
 *    carried twice (the insert and the drop commit together, and ids are carried).
 *
 * Carried per job: id, data, priority, singleton key, due time (`start_after`; an `active` job,
 * held by a process now gone, is due now), retry delay and backoff, expiry, and the attempts it
 * has left. pg-boss 12's `insert` takes no retry count, so the attempts used are carried as a
 * smaller `retryLimit` (as Parley's own retries put a job back: `attemptOf` counts from it). An
 * `active` job's interrupted attempt counts as used, as pg-boss 10's expiry would have counted it,
 * except that a job interrupted on its last attempt keeps one run. Not carried: completed, failed
 * and cancelled jobs (history), pg-boss 10's archive, dead-letter names (Parley set none).
 */

const CARRIED_STATES = ['created', 'retry', 'active'];
const INSERT_BATCH = 500;

/** The schema a pg-boss 10 schema is renamed to while its jobs are carried across. */
export function asideSchema(schema: string): string {
  return `${schema}_v10`;
}

interface OldJob {
  id: string;
  name: string;
  data: unknown;
  state: string;
  priority: number;
  retry_limit: number;
  retry_count: number;
  retry_delay: number;
  retry_backoff: boolean;
  start_after: Date;
  started_on: Date | null;
  singleton_key: string | null;
  expire_seconds: number;
}

async function schemaExists(client: Pick<pg.Client, 'query'>, schema: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return (rowCount ?? 0) > 0;
}

/** pg-boss's schema version in `schema` (its public `schemaVersion`), null when there is none. */
async function versionOf(client: Pick<pg.Client, 'query'>, schema: string): Promise<number | null> {
  if (!(await schemaExists(client, schema))) return null;
  const db: BossDb = { executeSql: (text, values) => client.query(text, values) };
  return new PgBoss({ db, schema }).schemaVersion().catch(() => null);
}

export class PgBoss10Upgrade {
  readonly #client: pg.Client;
  readonly #schema: string;
  readonly #logger: QueueLogger | undefined;

  private constructor(client: pg.Client, schema: string, logger: QueueLogger | undefined) {
    this.#client = client;
    this.#schema = schema;
    this.#logger = logger;
  }

  /**
   * Step 1. Null when there is nothing to upgrade. Otherwise the advisory lock is held on `client`
   * (a connection of the caller's, handed over: `close` ends it), and `<schema>` holds no
   * pg-boss 10 schema any more: pg-boss 12 may start on it.
   */
  static async begin(
    client: pg.Client,
    schema: string,
    logger?: QueueLogger,
  ): Promise<PgBoss10Upgrade | null> {
    const aside = asideSchema(schema);
    const needed = async () => {
      const version = await versionOf(client, schema);
      if (version !== null && version < PG_BOSS_10_VERSION)
        throw new Error(
          `The job queue's schema "${schema}" was made by a pg-boss older than 10 (schema version ${version}). ` +
            'Start the previous Parley (pg-boss 10) once to migrate it, then this one.',
        );
      const asideVersion = await versionOf(client, aside);
      const asideExists = asideVersion !== null || (await schemaExists(client, aside));
      return { version, asideExists, pending: asideVersion === PG_BOSS_10_VERSION };
    };
    const first = await needed();
    if (first.version !== PG_BOSS_10_VERSION && !first.pending) return null;
    await client.query(`SELECT pg_advisory_lock(hashtextextended('parley.queue-upgrade:' || $1, 0))`, [
      schema,
    ]);
    const upgrade = new PgBoss10Upgrade(client, schema, logger);
    try {
      const now = await needed();
      if (now.version === PG_BOSS_10_VERSION) {
        if (now.asideExists)
          throw new Error(
            `The job queue's schema "${schema}" was made by pg-boss 10 and Parley would move it aside to "${aside}" to carry its jobs to pg-boss 12, ` +
              `but "${aside}" exists already: drop or rename it (after checking what it holds), then start again.`,
          );
        await client.query(`ALTER SCHEMA ${schema} RENAME TO ${aside}`);
      } else if (!now.pending) {
        await upgrade.abandon(); // Another process finished it while this one waited.
        return null;
      }
      return upgrade;
    } catch (err) {
      await upgrade.abandon();
      throw err;
    }
  }

  /** Step 3, once pg-boss 12 runs on `<schema>`: carries the jobs and drops `<schema>_v10` (then `close`). */
  async finish(boss: PgBoss): Promise<void> {
    const client = this.#client;
    const aside = asideSchema(this.#schema);
    const jobs = await this.#readJobs();
    for (const name of new Set(jobs.map((j) => j.name))) await boss.createQueue(name, QUEUE_OPTIONS);
    const db: BossDb = { executeSql: (text, values) => client.query(text, values) };
    await client.query('BEGIN');
    try {
      const byName = new Map<string, OldJob[]>();
      for (const job of jobs) {
        const list = byName.get(job.name) ?? [];
        list.push(job);
        byName.set(job.name, list);
      }
      for (const [name, list] of byName)
        for (let i = 0; i < list.length; i += INSERT_BATCH)
          await boss.insert(name, list.slice(i, i + INSERT_BATCH).map(carried), { db });
      // Oldest first, so the newest job with a key is the one its key finds (as `enqueue` records it).
      for (const job of jobs.filter((j) => j.singleton_key !== null))
        await client.query(
          `INSERT INTO ${bookkeepingSchema(this.#schema)}.job_keys (name, key, job_id) VALUES ($1, $2, $3)
             ON CONFLICT (name, key) DO UPDATE SET job_id = excluded.job_id`,
          [job.name, job.singleton_key, job.id],
        );
      await client.query(`DROP SCHEMA ${aside} CASCADE`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    this.#logger?.warn(
      { schema: this.#schema, carried: jobs.length },
      `Upgraded the job queue from pg-boss 10: ${jobs.length} unfinished jobs carried to pg-boss 12, the old schema "${aside}" dropped`,
    );
  }

  /** Gives up the lock and closes the connection `begin` was given. */
  async close(): Promise<void> {
    await this.abandon();
    await this.#client.end().catch(() => {});
  }

  /** Gives up the lock (the caller closes the connection). */
  async abandon(): Promise<void> {
    await this.#client
      .query(`SELECT pg_advisory_unlock(hashtextextended('parley.queue-upgrade:' || $1, 0))`, [this.#schema])
      .catch(() => {});
  }

  /** The documented exception (see the file comment): pg-boss 10's unfinished jobs, oldest first. */
  async #readJobs(): Promise<OldJob[]> {
    const { rows } = await this.#client.query<OldJob>(
      `SELECT id::text AS id, name, data, state::text AS state, priority, retry_limit, retry_count,
              retry_delay, retry_backoff, start_after, started_on, singleton_key,
              EXTRACT(epoch FROM expire_in)::float8 AS expire_seconds
         FROM ${asideSchema(this.#schema)}.job
        WHERE state::text = ANY($1::text[])
        ORDER BY created_on, id`,
      [CARRIED_STATES],
    );
    return rows;
  }
}

/** One pg-boss 10 job as pg-boss 12's `insert` takes it (see the file comment for the attempts). */
function carried(job: OldJob): JobInsert {
  const held = job.state === 'active';
  // pg-boss bumps retry_count on the fetch of a job that ran before (started_on set).
  const used = job.retry_count + (job.started_on !== null ? 1 : 0);
  return {
    id: job.id,
    data: job.data as object,
    priority: job.priority,
    singletonKey: job.singleton_key ?? undefined,
    // An ISO time ending in Z is that time; an active job is due now (no startAfter).
    startAfter: held ? undefined : job.start_after.toISOString(),
    retryLimit: Math.max(0, job.retry_limit - used),
    retryDelay: job.retry_delay,
    retryBackoff: job.retry_backoff,
    expireInSeconds: Math.min(MAX_EXPIRE_SECONDS, Math.max(1, Math.ceil(job.expire_seconds))),
  };
}
