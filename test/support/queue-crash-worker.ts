/**
 * A worker process for test/platform/queue-crash.test.ts: works one kind of job on pg-boss (a
 * PostgreSQL URL) or on the embedded queue (`sqlite:<path>`), says on stdout when a job starts, and
 * never finishes it. The test kills it with SIGKILL mid-job.
 */
import { z } from 'zod';
import { openDatabase } from '../../src/platform/db/database.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pgboss-queue.ts';
import type { JobQueue } from '../../src/platform/queue/queue.ts';
import { defineJob } from '../../src/platform/queue/queue.ts';
import { SqliteJobQueue } from '../../src/platform/queue/sqlite-queue.ts';

const [databaseUrl, jobName] = process.argv.slice(2);
const queue: JobQueue = databaseUrl.startsWith('sqlite:')
  ? new SqliteJobQueue({
      db: (await openDatabase({ sqlitePath: databaseUrl.slice('sqlite:'.length) })).db,
      pollMs: 50,
    })
  : new PgBossJobQueue({ connectionString: databaseUrl, pollMs: 50, poolSize: 2 });
const job = defineJob({ name: jobName, payload: z.object({ n: z.number() }), timeoutMs: 60_000 });
queue.register(job, async (payload, ctx) => {
  process.stdout.write(`running ${ctx.id} ${ctx.attempt} ${payload.n}\n`);
  await new Promise(() => {});
});
await queue.start();
process.stdout.write('ready\n');
