import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { openDatabase } from '../../src/platform/db/database.ts';
import { ANALYZE_AFTER_JOBS } from '../../src/platform/queue/pg-statistics.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pgboss-queue.ts';
import { defineJob } from '../../src/platform/queue/queue.ts';
import { createPgDatabase, postgresAvailable } from '../support/harness.ts';

// pg-boss's job partitions are analyzed as this process fills them (pg-statistics.ts), so the
// fetch is planned for the partition's size, not the size autovacuum last saw.
describe('planner statistics of the job queue partitions (PostgreSQL)', async () => {
  const available = await postgresAvailable();
  let url = '';
  let drop: () => Promise<void>;
  let queue: PgBossJobQueue;
  let admin: pg.Client;
  const job = defineJob({ name: 'stats.fill', payload: z.object({ n: z.number() }) });

  before(async () => {
    if (!available) return;
    ({ url, drop } = await createPgDatabase());
    queue = new PgBossJobQueue({ connectionString: url, pollMs: 1000, poolSize: 2 });
    await queue.prepare();
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  after(async () => {
    if (!available) return;
    await queue.stop();
    await admin.end();
    await drop();
  });

  /** The partition's analyses so far and the rows PostgreSQL estimates it holds (its table named by pg-boss's API). */
  async function partition() {
    const boss = new PgBoss({
      connectionString: url,
      max: 1,
      supervise: false,
      migrate: false,
      schedule: false,
    });
    await boss.start();
    const table = (await boss.getQueue(job.name))?.table;
    await boss.stop({ graceful: false, close: true });
    assert.ok(table, 'the queue has a table of its own');
    const { rows } = await admin.query<{ analyzed: string; reltuples: number }>(
      `select coalesce(s.analyze_count, 0) as analyzed, c.reltuples
         from pg_class c
         left join pg_stat_user_tables s on s.relid = c.oid
        where c.oid = $1::regclass`,
      [`pgboss.${table}`],
    );
    return { analyzed: Number(rows[0]!.analyzed), rows: Number(rows[0]!.reltuples) };
  }

  /** Enqueues `n` jobs (not worked: no handler runs), as one batch outside a transaction. */
  async function fill(n: number, from: number) {
    const handle = await openDatabase({ databaseUrl: url, sqlitePath: ':memory:', poolSize: 1 });
    try {
      await queue.enqueueMany(
        handle.db,
        job,
        Array.from({ length: n }, (_, i) => ({ payload: { n: from + i } })),
      );
    } finally {
      await handle.close();
    }
    await queue.statistics.settled();
  }

  it('analyzes a partition once it holds ANALYZE_AFTER_JOBS jobs, then each time it has doubled', {
    skip: !available,
  }, async () => {
    await fill(10, 0);
    const fresh = await partition();
    assert.equal(fresh.analyzed, 0, 'ten jobs: not analyzed yet');

    await fill(ANALYZE_AFTER_JOBS - 10, 10);
    const first = await partition();
    assert.equal(first.analyzed, 1, 'analyzed once it held ANALYZE_AFTER_JOBS jobs');
    assert.equal(first.rows, ANALYZE_AFTER_JOBS, 'the estimate is the rows it holds');

    // Fewer than the partition held at its last analysis: left to autovacuum.
    await fill(ANALYZE_AFTER_JOBS / 2, ANALYZE_AFTER_JOBS);
    assert.equal((await partition()).analyzed, 1);

    // As many again as it held: analyzed again, with the new size.
    await fill(ANALYZE_AFTER_JOBS / 2, (ANALYZE_AFTER_JOBS * 3) / 2);
    const second = await partition();
    assert.equal(second.analyzed, 2);
    assert.equal(second.rows, ANALYZE_AFTER_JOBS * 2);
  });
});
