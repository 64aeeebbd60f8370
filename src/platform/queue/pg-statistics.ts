import type { PgBoss } from 'pg-boss';
import type { QueueLogger } from './queue.ts';

/** A queue's partition is analyzed once this process has enqueued this many jobs into it... */
export const ANALYZE_AFTER_JOBS = 1000;

/**
 * Planner statistics for pg-boss's job partitions, kept up with their growth.
 *
 * Each kind of job has a partition of its own (queues are created with `partition: true`, as
 * pg-boss 10 made every queue; pg-boss 12 reports the table in `getQueue(name).table`). A partition's statistics are taken
 * when autovacuum gets to it (every minute at best, after a tenth of its rows changed) or when
 * someone analyzes the database; until then PostgreSQL plans the fetch for the size the partition
 * had then. Measured (BENCHMARKS.md, twentieth session): a `messages.send` partition analyzed
 * with one row and grown to 10,000 within seconds (a new deployment's first broadcast) had each
 * fetch join its batch against the whole partition, 2.5-3 ms a fetch instead of a few tenths.
 * So each time this process has enqueued as many jobs of a kind as the partition held at its last
 * analysis here (at least ANALYZE_AFTER_JOBS), the partition is analyzed, in the background, one
 * at a time: as it grows the analyses grow rarer (a partition that doubles), and in steady state
 * (jobs archived after an hour) it is about one per partition an hour per process.
 */
export class PartitionStatistics {
  readonly #schema: string;
  readonly #boss: () => PgBoss;
  readonly #logger: QueueLogger | undefined;
  readonly #queues = new Map<string, { since: number; rows: number }>();
  /** The analysis under way (one at a time), for `stop` and tests. */
  #running: Promise<void> | null = null;

  constructor(opts: { schema: string; boss: () => PgBoss; logger?: QueueLogger }) {
    this.#schema = opts.schema;
    this.#boss = opts.boss;
    this.#logger = opts.logger;
  }

  /** `count` jobs of `name` were enqueued (committed or not: this is a hint for the planner). */
  note(name: string, count: number): void {
    let q = this.#queues.get(name);
    if (!q) {
      q = { since: 0, rows: 0 };
      this.#queues.set(name, q);
    }
    q.since += count;
    if (this.#running || q.since < Math.max(ANALYZE_AFTER_JOBS, q.rows)) return;
    q.since = 0;
    const run = this.#analyze(name)
      .then((rows) => {
        q.rows = rows;
      })
      .catch((err: Error) => {
        // Not allowed (another role owns the table) or the database is gone: autovacuum remains.
        q.rows = Number.POSITIVE_INFINITY;
        this.#logger?.warn({ err: err.message, queue: name }, 'analyzing a job queue partition failed');
      })
      .finally(() => {
        this.#running = null;
      });
    this.#running = run;
  }

  /** Waits for the analysis under way, if any. */
  async settled(): Promise<void> {
    await this.#running;
  }

  /**
   * Analyzes the table of `name` (pg-boss's `getQueue` names it; nothing of pg-boss's tables is
   * read); its row count as PostgreSQL now estimates it. A queue without a table of its own (made
   * elsewhere without `partition`) shares pg-boss's common table: that is left to autovacuum.
   */
  async #analyze(name: string): Promise<number> {
    const boss = this.#boss();
    const queue = await boss.getQueue(name);
    const table = queue?.partition ? queue.table : undefined;
    if (!table || !/^[a-z0-9_]+$/.test(table)) return Number.POSITIVE_INFINITY;
    const db = boss.getDb();
    await db.executeSql(`ANALYZE ${this.#schema}.${table}`, []);
    const counted = await db.executeSql(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [
      `${this.#schema}.${table}`,
    ]);
    return Math.max(0, Number((counted.rows[0] as { reltuples?: number } | undefined)?.reltuples ?? 0));
  }
}
