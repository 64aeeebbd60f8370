import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { platformMigrations } from '../../src/platform/db/platform.migrations.ts';
import { PgJobLeases } from '../../src/platform/queue/pg-leases.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pgboss-queue.ts';
import { defineJob } from '../../src/platform/queue/queue.ts';
import { SqliteJobQueue } from '../../src/platform/queue/sqlite-queue.ts';
import { createPgDatabase, eventually, postgresAvailable } from '../support/harness.ts';

const pgOn = process.env.PARLEY_TEST_PG !== '0' && process.env.PARLEY_TEST_SKIP_PG !== '1';

/** Starts the crash worker and resolves once it runs a job (with the job's id). */
function startDoomedWorker(databaseUrl: string, jobName: string) {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      join(import.meta.dirname, '../support/queue-crash-worker.ts'),
      databaseUrl,
      jobName,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = new Promise<void>((resolve) => {
    child.stdout!.once('data', () => resolve());
  });
  const running = new Promise<{ id: string; attempt: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /running (\S+) (\d+)/.exec(out);
      if (m) resolve({ id: m[1], attempt: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`crash worker exited (${code}) before running a job`)));
  });
  return { child, ready, running };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('pg-boss: jobs of a worker killed with SIGKILL', {
  skip: pgOn ? false : 'PostgreSQL not reachable',
}, () => {
  let db: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  before(async () => {
    assert.ok(await postgresAvailable());
    db = await createPgDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Installs pg-boss's schema.
    const installer = new PgBossJobQueue({ connectionString: db.url, pollMs: 50, poolSize: 1 });
    await installer.prepare();
    await installer.stop();
  });
  after(async () => {
    await client?.end();
    await db?.drop();
  });

  it('are run again by another worker within seconds, never while their worker lives', async () => {
    const name = `crash_${randomBytes(3).toString('hex')}`;
    const job = defineJob({ name, payload: z.object({ n: z.number() }), timeoutMs: 60_000 });
    const doomed = startDoomedWorker(db.url, name);
    // The job is sent once the worker runs, so it is the one that takes it.
    await doomed.ready;
    const sender = new PgBossJobQueue({ connectionString: db.url, pollMs: 50, poolSize: 1 });
    const handle = await openDatabase({ databaseUrl: db.url, sqlitePath: ':memory:', poolSize: 1 });
    const id = await sender.enqueue(handle.db, job, { n: 7 });
    const first = await doomed.running;
    assert.equal(first.attempt, 1);
    assert.equal(first.id, id);

    // While the worker lives, nobody may take its job, however long it has been running.
    const watcher = new PgJobLeases({ connectionString: db.url, schema: 'pgboss', graceMs: 200 });
    await eventually(async () => {
      const { rows } = await client.query(
        `SELECT now() - started_on > interval '300 milliseconds' AS old FROM pgboss.job WHERE id = $1`,
        [first.id],
      );
      return rows[0]?.old === true;
    });
    assert.equal(await watcher.reap(), 0, 'a live worker’s job was taken');

    await killed(doomed.child);
    const killedAt = Date.now();
    // Another worker, as a scaled deployment has: it takes the job back and runs it.
    const survivor = new PgBossJobQueue({
      connectionString: db.url,
      pollMs: 50,
      poolSize: 2,
      reapEveryMs: 500,
    });
    const ran: Array<{ id: string; attempt: number }> = [];
    survivor.register(job, async (_p, ctx) => {
      ran.push({ id: ctx.id, attempt: ctx.attempt });
    });
    await survivor.start();
    try {
      await eventually(async () => ran.length > 0, 15_000);
      const recoveredMs = Date.now() - killedAt;
      assert.deepEqual(ran, [{ id: first.id, attempt: 2 }]);
      // The handler has returned; its completion is written just after: wait for it.
      const state = async () =>
        (await client.query(`SELECT state::text FROM pgboss.job WHERE id = $1`, [first.id])).rows[0].state;
      await eventually(async () => (await state()) === 'completed', 10_000);
      assert.equal(await state(), 'completed');
      process.stdout.write(`# recovered in ${recoveredMs} ms after SIGKILL\n`);
    } finally {
      await survivor.stop();
      await watcher.stop();
      await sender.stop();
      await handle.close();
    }
  });
  it('a claim cut off between the fetch and the lease leaves its job to be fetched again at once', async () => {
    // A worker killed after pg-boss's fetch committed and before its lease was written left the
    // job active with nothing to prove its owner gone: only pg-boss's expiry (60-90 s for a send)
    // put it back, and the drill's scaled shape lost a message's outcome for that long. The fetch
    // and the lease are now one transaction: whatever cuts the claim short rolls the fetch back.
    const name = `cut_${randomBytes(3).toString('hex')}`;
    const job = defineJob({ name, payload: z.object({ n: z.number() }), timeoutMs: 60_000 });
    const sender = new PgBossJobQueue({ connectionString: db.url, pollMs: 50, poolSize: 1 });
    const handle = await openDatabase({ databaseUrl: db.url, sqlitePath: ':memory:', poolSize: 1 });
    const boss = new PgBoss({ connectionString: db.url, migrate: false, supervise: false, schedule: false });
    const leases = new PgJobLeases({ connectionString: db.url, schema: 'pgboss' });
    try {
      const id = await sender.enqueue(handle.db, job, { n: 1 });
      await boss.start();
      const cut = new Error('the process died here');
      await assert.rejects(
        leases.claim(name, async (db) => {
          const fetched = await boss.fetch<unknown>(name, { batchSize: 1, db });
          assert.deepEqual(
            fetched.map((j) => j.id),
            [id],
          );
          throw cut;
        }),
        cut,
      );
      const { rows } = await client.query(`SELECT state::text FROM pgboss.job WHERE id = $1`, [id]);
      assert.equal(rows[0].state, 'created', 'the cut claim left the job active');
      // The next claim takes it, and holds its lease (the lock a reaper would need is taken).
      const again = await leases.claim(name, (db) => boss.fetch<unknown>(name, { batchSize: 1, db }));
      assert.deepEqual(
        again.map((j) => j.id),
        [id],
      );
      const watcher = new PgJobLeases({ connectionString: db.url, schema: 'pgboss', graceMs: 0 });
      try {
        assert.equal(await watcher.reap(), 0, 'a job whose claimer lives was taken');
      } finally {
        await watcher.stop();
      }
    } finally {
      await leases.stop();
      await boss.stop({ graceful: false }).catch(() => {});
      await sender.stop();
      await handle.close();
    }
  });
});

describe('the embedded queue (SQLite): jobs of a worker killed with SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-queue-crash-'));
  const path = join(dir, 'parley.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are run again at once by the next worker on the machine, never while their worker lives', async () => {
    const setup = await openDatabase({ sqlitePath: path });
    await migrateToLatest(setup.db, 'sqlite', platformMigrations);
    const name = `crash_${randomBytes(3).toString('hex')}`;
    // A job of a minute: its lock lasts 61 s, so only seeing its worker gone runs it sooner.
    const job = defineJob({ name, payload: z.object({ n: z.number() }), timeoutMs: 60_000 });
    const doomed = startDoomedWorker(`sqlite:${path}`, name);
    await doomed.ready;
    const sender = new SqliteJobQueue({ db: setup.db, pollMs: 50 });
    const id = await sender.enqueue(setup.db, job, { n: 7 });
    const first = await doomed.running;
    assert.deepEqual(first, { id, attempt: 1 });
    const row = () => setup.db.selectFrom('jobs').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    assert.equal((await row()).locked_by, `${hostname()}:${doomed.child.pid}`);
    // While the worker lives, nobody may take its job.
    assert.equal(await sender.reapDeadOwners(), 0, 'a live worker’s job was freed');
    assert.equal((await row()).state, 'active');

    await killed(doomed.child);
    const killedAt = Date.now();
    // The next worker (a restarted server) looks at once when it starts.
    const survivor = new SqliteJobQueue({ db: setup.db, pollMs: 50 });
    const ran: Array<{ id: string; attempt: number }> = [];
    survivor.register(job, async (_p, ctx) => {
      ran.push({ id: ctx.id, attempt: ctx.attempt });
    });
    await survivor.start();
    try {
      await eventually(async () => (await row()).state === 'completed', 15_000);
      assert.deepEqual(ran, [{ id, attempt: 2 }]);
      process.stdout.write(
        `# recovered in ${Date.now() - killedAt} ms after SIGKILL (the lock had 60 s left)\n`,
      );
    } finally {
      await survivor.stop();
      await setup.close();
    }
  });
});
