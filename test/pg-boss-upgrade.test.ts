import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import PgBoss10 from 'pg-boss-10';
import { PgBossJobQueue } from '../src/platform/queue/pgboss-queue.ts';
import { createPgDatabase, postgresAvailable } from './support/harness.ts';

// pg-boss migrates its own schema on start from 11.x on; a schema made by pg-boss 10 (the version
// Parley used before) has no migration in pg-boss (11.0 started its schema anew). The queue refuses
// it with a message that says what to do, before pg-boss touches it.
describe('a job queue schema made by pg-boss 10 (PostgreSQL)', async () => {
  const available = await postgresAvailable();
  let db: { url: string; drop: () => Promise<void> };

  before(async () => {
    if (!available) return;
    db = await createPgDatabase();
    // pg-boss 10.4.2 installs its schema (version 24) and holds a queued job, as a database
    // running the previous Parley would.
    const old = new PgBoss10({ connectionString: db.url, max: 1, supervise: false, schedule: false });
    await old.start();
    await old.createQueue('old.kind', { name: 'old.kind', policy: 'standard' });
    assert.ok(await old.send('old.kind', { n: 1 }));
    await old.stop({ graceful: false, close: true });
  });
  after(async () => {
    if (available) await db.drop();
  });

  it('is refused with a clear message, and left as it was', { skip: !available }, async () => {
    const queue = new PgBossJobQueue({ connectionString: db.url, pollMs: 1000, poolSize: 1 });
    await assert.rejects(queue.prepare(), /made by pg-boss 10 \(schema version 24\).*cannot migrate it/);
    await queue.stop();
    // pg-boss 10 still finds its job where it left it.
    const old = new PgBoss10({ connectionString: db.url, max: 1, supervise: false, schedule: false });
    await old.start();
    try {
      const [job] = await old.fetch('old.kind');
      assert.deepEqual(job?.data, { n: 1 });
    } finally {
      await old.stop({ graceful: false, close: true });
    }
  });

  it('pg-boss 12 installs itself in another schema of the same database', { skip: !available }, async () => {
    const queue = new PgBossJobQueue({
      connectionString: db.url,
      schema: 'pgboss_v12',
      pollMs: 1000,
      poolSize: 1,
    });
    try {
      await queue.prepare();
    } finally {
      await queue.stop();
    }
  });
});
