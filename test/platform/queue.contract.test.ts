/**
 * One contract suite, run against both job queues: the embedded SQLite queue and pg-boss on
 * PostgreSQL (a fresh database per run; skipped when PostgreSQL is unreachable, unless CI=true).
 * PARLEY_TEST_PG_URL points at another server (any database on it; the suite creates and drops
 * its own); PARLEY_TEST_SKIP_PG=1 skips the PostgreSQL half.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import { type DatabaseHandle, type Db, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { platformMigrations } from '../../src/platform/db/platform.migrations.ts';
import { createJobQueue } from '../../src/platform/queue/index.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pgboss-queue.ts';
import {
  type BatchJobHandler,
  defineJob,
  type JobContext,
  type JobDefinition,
  type JobQueue,
  type QueueLogger,
} from '../../src/platform/queue/queue.ts';
import { SqliteJobQueue } from '../../src/platform/queue/sqlite-queue.ts';

type State = 'queued' | 'active' | 'completed' | 'failed';

interface Storage {
  db: Db;
  /** A new queue instance on this storage (as another process would have). */
  queue(opts?: { pollMs?: number; stopGraceMs?: number }): JobQueue;
  /** The job's state in storage, or null when there is no such job. */
  stateOf(id: string): Promise<State | null>;
  countJobs(queueName: string): Promise<number>;
  /** The class createJobQueue must pick for this storage. */
  queueClass: abstract new (
    ...args: any[]
  ) => JobQueue;
  handle: DatabaseHandle;
  databaseUrl?: string;
}

const logs: Array<{ level: string; obj: object; msg: string }> = [];
const logger: QueueLogger = {
  error: (obj, msg) => {
    logs.push({ level: 'error', obj, msg });
    if (process.env.QUEUE_TEST_DEBUG) console.error('ERROR', msg, obj);
  },
  warn: (obj, msg) => {
    logs.push({ level: 'warn', obj, msg });
    if (process.env.QUEUE_TEST_DEBUG) console.error('WARN', msg, obj);
  },
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let seq = 0;
const jobName = (what: string) => `test.${what}_${++seq}`;

// ------------------------------------------------------------------------------------------
// Storages
// ------------------------------------------------------------------------------------------

async function sqliteStorage(): Promise<{ storage: Storage; teardown(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-queue-'));
  const handle = await openDatabase({ sqlitePath: join(dir, 'parley.db') });
  await migrateToLatest(handle.db, 'sqlite', platformMigrations);
  const storage: Storage = {
    db: handle.db,
    handle,
    queueClass: SqliteJobQueue,
    queue: (o = {}) =>
      new SqliteJobQueue({ db: handle.db, pollMs: o.pollMs ?? 50, stopGraceMs: o.stopGraceMs, logger }),
    async stateOf(id) {
      const row = await handle.db.selectFrom('jobs').select('state').where('id', '=', id).executeTakeFirst();
      return row ? row.state : null;
    },
    async countJobs(name) {
      const row = await handle.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('queue', '=', name)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
  return {
    storage,
    async teardown() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const pgCandidates = process.env.PARLEY_TEST_PG_URL
  ? [process.env.PARLEY_TEST_PG_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'];

async function findPostgres(): Promise<string | null> {
  for (const url of pgCandidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return url;
    } catch {
      // try the next one
    } finally {
      await client.end().catch(() => {});
    }
  }
  return null;
}

async function postgresStorage(adminUrl: string): Promise<{ storage: Storage; teardown(): Promise<void> }> {
  const dbName = `parley_q_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const handle = await openDatabase({ databaseUrl, sqlitePath: ':memory:', poolSize: 8 });
  await migrateToLatest(handle.db, 'postgres', platformMigrations);

  const makeQueue = (o: { pollMs?: number; stopGraceMs?: number } = {}) =>
    new PgBossJobQueue({
      connectionString: databaseUrl,
      pollMs: o.pollMs ?? 50,
      stopGraceMs: o.stopGraceMs,
      maintenanceIntervalSeconds: 1,
      poolSize: 4,
      logger,
    });
  // Install pg-boss's schema once, so storage queries work before any test enqueues.
  const installer = makeQueue();
  await installer.prepare();
  await installer.stop();

  const storage: Storage = {
    db: handle.db,
    handle,
    databaseUrl,
    queueClass: PgBossJobQueue,
    queue: makeQueue,
    async stateOf(id) {
      const { rows } = await sql<{
        state: string;
      }>`select state::text as state from pgboss.job where id = ${id}::uuid`.execute(handle.db);
      if (rows.length === 0) return null;
      const state = rows[0].state;
      if (state === 'created' || state === 'retry') return 'queued';
      if (state === 'cancelled') return 'failed';
      return state as State;
    },
    async countJobs(name) {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from pgboss.job where name = ${name}`.execute(handle.db);
      return rows[0].n;
    },
  };
  return {
    storage,
    async teardown() {
      await handle.close();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    },
  };
}

// ------------------------------------------------------------------------------------------
// The contract
// ------------------------------------------------------------------------------------------

function contract(setup: () => Promise<{ storage: Storage; teardown(): Promise<void> }>) {
  let s: Storage;
  let teardown: () => Promise<void>;
  const open: JobQueue[] = [];
  const queue = (o?: { pollMs?: number; stopGraceMs?: number }) => {
    const q = s.queue(o);
    open.push(q);
    return q;
  };

  before(async () => {
    ({ storage: s, teardown } = await setup());
  });
  afterEach(async () => {
    for (const q of open.splice(0)) await q.stop();
  });
  after(async () => {
    await teardown?.();
  });

  it('createJobQueue picks this implementation for the storage', async () => {
    const q = await createJobQueue(s.handle, { pollMs: 50, databaseUrl: s.databaseUrl, logger });
    open.push(q);
    assert.ok(q instanceof s.queueClass);
  });

  it('runs a job with its payload', async () => {
    const def = defineJob({ name: jobName('run'), payload: z.object({ to: z.string(), n: z.number() }) });
    const seen: Array<{ payload: unknown; ctx: JobContext }> = [];
    const q = queue();
    q.register(def, async (payload, ctx) => {
      assert.equal(typeof ctx.completeWith, 'function');
      seen.push({ payload, ctx: { id: ctx.id, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts } });
    });
    await q.start();
    const id = await q.enqueue(s.db, def, { to: 'alice', n: 3 });
    assert.equal(typeof id, 'string');
    q.kick();
    await waitFor(() => seen.length === 1, 5000, 'the handler');
    assert.deepEqual(seen[0], { payload: { to: 'alice', n: 3 }, ctx: { id, attempt: 1, maxAttempts: 5 } });
    await waitFor(async () => (await s.stateOf(id!)) === 'completed', 5000, 'completed state');
    await sleep(150);
    assert.equal(seen.length, 1, 'a completed job does not run again');
  });

  it("completes a job inside the handler's transaction: done as soon as that commits, not after", async () => {
    const def = defineJob({
      name: jobName('in-tx'),
      payload: z.object({ commit: z.boolean() }),
      maxAttempts: 2,
    });
    const states: Array<{ commit: boolean; attempt: number; state: string | null }> = [];
    const q = queue();
    q.register(def, async (payload, ctx) => {
      await s.db
        .transaction()
        .execute(async (trx) => {
          await ctx.completeWith!(trx);
          if (!payload.commit && ctx.attempt === 1) throw new Error('rolled back');
        })
        .catch(() => {});
      // Still inside the handler: the worker has not recorded anything yet.
      states.push({ commit: payload.commit, attempt: ctx.attempt, state: await s.stateOf(ctx.id) });
    });
    await q.start();
    const kept = await q.enqueue(s.db, def, { commit: true });
    const undone = await q.enqueue(s.db, def, { commit: false });
    q.kick();
    // The job is completed before its handler has returned, so wait for what the handlers saw.
    await waitFor(() => states.length === 2, 5000, 'both handlers');
    await waitFor(async () => (await s.stateOf(kept!)) === 'completed', 5000, 'the committed job');
    await waitFor(async () => (await s.stateOf(undone!)) === 'completed', 5000, 'the rolled-back job');
    assert.deepEqual(
      states.filter((x) => x.commit),
      [{ commit: true, attempt: 1, state: 'completed' }],
    );
    // A rolled-back completion leaves the job running; the worker completes it when the handler returns.
    assert.deepEqual(
      states.filter((x) => !x.commit),
      [{ commit: false, attempt: 1, state: 'active' }],
    );
  });

  it('rejects an invalid payload at enqueue and records nothing', async () => {
    const def = defineJob({ name: jobName('invalid'), payload: z.object({ to: z.string() }) });
    const q = queue();
    await assert.rejects(q.enqueue(s.db, def, { to: 42 } as unknown as { to: string }), z.ZodError);
    assert.equal(await s.countJobs(def.name), 0);
  });

  it('retries a failing job after its backoff, with increasing attempt numbers, until it succeeds', async () => {
    const def = defineJob({
      name: jobName('retry'),
      payload: z.object({ k: z.string() }),
      maxAttempts: 4,
      backoffMs: (attempt) => 150 * attempt,
      timeoutMs: 5000,
    });
    const calls: Array<{ id: string; attempt: number; maxAttempts: number; at: number }> = [];
    const q = queue();
    q.register(def, async (_payload, ctx) => {
      calls.push({ id: ctx.id, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts, at: Date.now() });
      if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
    });
    await q.start();
    const id = await q.enqueue(s.db, def, { k: 'v' });
    q.kick();
    await waitFor(async () => (await s.stateOf(id!)) === 'completed', 6000, 'completed state');
    assert.deepEqual(
      calls.map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.ok(calls.every((c) => c.id === id && c.maxAttempts === 4));
    const gap1 = calls[1].at - calls[0].at;
    const gap2 = calls[2].at - calls[1].at;
    assert.ok(gap1 >= 140, `second attempt waited its backoff (150 ms), waited ${gap1} ms`);
    assert.ok(gap2 >= 290, `third attempt waited its backoff (300 ms), waited ${gap2} ms`);
  });

  it('gives up after maxAttempts: the job fails and its handler ran maxAttempts times', async () => {
    const def = defineJob({
      name: jobName('give_up'),
      payload: z.object({}),
      maxAttempts: 3,
      backoffMs: () => 30,
    });
    const attempts: number[] = [];
    const q = queue();
    q.register(def, async (_p, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error('always');
    });
    await q.start();
    const id = await q.enqueue(s.db, def, {});
    q.kick();
    await waitFor(async () => (await s.stateOf(id!)) === 'failed', 6000, 'failed state');
    await sleep(300);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(await s.stateOf(id!), 'failed');
  });

  it('logs each retried attempt (warn) and the failure for good (error) once, error text masked, never the payload', async () => {
    const def = defineJob({
      name: jobName('give_up_logged'),
      payload: z.object({ email: z.string() }),
      maxAttempts: 2,
      backoffMs: () => 30,
    });
    const q = queue();
    q.register(def, async () => {
      throw new Error('provider said 401 to Authorization: Bearer tok_SECRET_abc and api_key=KEY_SECRET_xyz');
    });
    await q.start();
    const id = await q.enqueue(s.db, def, { email: 'payload-person@example.com' });
    q.kick();
    await waitFor(async () => (await s.stateOf(id!)) === 'failed', 6000, 'failed state');
    const mine = logs.filter((l) => (l.obj as { job?: string }).job === def.name);
    const retried = mine.filter((l) => l.level === 'warn');
    const gaveUp = mine.filter((l) => l.level === 'error');
    assert.equal(retried.length, 1, JSON.stringify(mine));
    assert.equal(gaveUp.length, 1, JSON.stringify(mine));
    assert.deepEqual(
      { ...gaveUp[0]!.obj, error: undefined },
      { job: def.name, jobId: id, attempt: 2, maxAttempts: 2, error: undefined },
    );
    assert.match((gaveUp[0]!.obj as { error: string }).error, /provider said 401/);
    assert.equal((retried[0]!.obj as { attempt: number }).attempt, 1);
    const text = JSON.stringify(mine, (_k, v) =>
      v instanceof Error ? { message: v.message, stack: v.stack } : v,
    );
    for (const secret of ['tok_SECRET_abc', 'KEY_SECRET_xyz', 'payload-person@example.com'])
      assert.ok(!text.includes(secret), `${secret} logged: ${text}`);
  });

  it('treats a handler that outlives timeoutMs as a failed attempt and retries it', async () => {
    const def = defineJob({
      name: jobName('timeout'),
      payload: z.object({}),
      maxAttempts: 2,
      timeoutMs: 200,
      backoffMs: () => 20,
    });
    const attempts: number[] = [];
    const q = queue();
    q.register(def, async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) await new Promise(() => {}); // hangs for good
    });
    await q.start();
    const id = await q.enqueue(s.db, def, {});
    q.kick();
    await waitFor(async () => (await s.stateOf(id!)) === 'completed', 5000, 'completed state');
    assert.deepEqual(attempts, [1, 2]);
  });

  it('does not run delayed jobs before their time (delayMs and runAt)', async () => {
    const def = defineJob({ name: jobName('delay'), payload: z.object({ tag: z.string() }) });
    const ran = new Map<string, number>();
    const q = queue();
    q.register(def, async ({ tag }) => {
      ran.set(tag, Date.now());
    });
    await q.start();
    const t0 = Date.now();
    await q.enqueue(s.db, def, { tag: 'delayMs' }, { delayMs: 700 });
    await q.enqueue(s.db, def, { tag: 'runAt' }, { runAt: new Date(t0 + 700) });
    await q.enqueue(s.db, def, { tag: 'now' });
    q.kick();
    await sleep(450);
    assert.ok(!ran.has('delayMs') && !ran.has('runAt'), 'no delayed job ran in the first 450 ms');
    await waitFor(() => ran.size === 3, 5000, 'the delayed jobs');
    assert.ok(ran.get('now')! < ran.get('delayMs')!, 'the undelayed job ran first');
    assert.ok(ran.get('delayMs')! - t0 >= 690, `delayMs job ran after ${ran.get('delayMs')! - t0} ms`);
    assert.ok(ran.get('runAt')! - t0 >= 690, `runAt job ran after ${ran.get('runAt')! - t0} ms`);
  });

  it("cancel removes a pending delayed job in the caller's transaction; a rolled-back cancel does not", async () => {
    const def = defineJob({ name: jobName('cancel'), payload: z.object({ tag: z.string() }) });
    const ran: string[] = [];
    const q = queue();
    q.register(def, async ({ tag }) => {
      ran.push(tag);
    });
    await q.start();
    const cancelled = (await q.enqueue(s.db, def, { tag: 'cancelled' }, { delayMs: 600 }))!;
    const kept = (await q.enqueue(s.db, def, { tag: 'kept' }, { delayMs: 600 }))!;
    // A cancel whose transaction rolls back leaves the job as it was.
    await assert.rejects(
      s.db.transaction().execute(async (trx) => {
        assert.equal(await q.cancel(trx, def, [kept]), 1);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    const n = await s.db.transaction().execute((trx) => q.cancel(trx, def, [cancelled]));
    assert.equal(n, 1);
    assert.notEqual(await s.stateOf(cancelled), 'queued');
    assert.equal(await s.stateOf(kept), 'queued');
    await waitFor(() => ran.includes('kept'), 5000, 'the job that was not cancelled');
    await sleep(300);
    assert.deepEqual(ran, ['kept'], 'the cancelled job never ran');
    // Unknown ids, ids of another kind, and a second cancel change nothing.
    const other = defineJob({ name: jobName('cancel_other'), payload: z.object({}) });
    assert.equal(
      await q.cancel(s.db, def, [cancelled, 'job_nope', '00000000-0000-4000-8000-000000000000']),
      0,
    );
    assert.equal(await q.cancel(s.db, other, [kept]), 0);
    assert.equal(await q.cancel(s.db, def, []), 0);
    // Its completion is written after its handler returned (later still on a loaded machine).
    await waitFor(async () => (await s.stateOf(kept)) === 'completed', 5000, 'the kept job completed');
  });

  it('cancelling a running or finished job is harmless: it runs once, to its end', async () => {
    const def = defineJob({ name: jobName('cancel_running'), payload: z.object({}) });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let finished = false;
    const q = queue();
    q.register(def, async () => {
      runs++;
      await gate;
      finished = true;
    });
    await q.start();
    const id = (await q.enqueue(s.db, def, {}))!;
    q.kick();
    await waitFor(() => runs === 1, 5000, 'the job to start');
    await q.cancel(s.db, def, [id]);
    release();
    await waitFor(() => finished, 5000, 'the running job to finish');
    await waitFor(async () => (await s.stateOf(id)) !== 'active', 5000, 'the job to settle');
    const done = (await q.enqueue(s.db, def, {}))!;
    q.kick();
    await waitFor(async () => (await s.stateOf(done)) === 'completed', 5000, 'the second job');
    assert.equal(await q.cancel(s.db, def, [done]), 0, 'a completed job is not cancelled');
    assert.equal(await s.stateOf(done), 'completed');
    await sleep(300);
    assert.equal(runs, 2, 'each job ran once');
  });

  it('a job due weeks ahead waits quietly: no timer overflow, no polling loop, other jobs run', async () => {
    const def = defineJob({ name: jobName('far'), payload: z.object({ tag: z.string() }) });
    const ran: string[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const q = queue();
      q.register(def, async ({ tag }) => {
        ran.push(tag);
      });
      await q.start();
      // 40 days: past Node's 2^31-1 ms timer limit (24.8 days).
      await q.enqueue(s.db, def, { tag: 'far' }, { runAt: new Date(Date.now() + 40 * 86_400_000) });
      await q.enqueue(s.db, def, { tag: 'near' }, { delayMs: 50 });
      await waitFor(() => ran.includes('near'), 5000, 'the near job');
      // Warnings are emitted on the next tick: give them one to arrive.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w === 'TimeoutOverflowWarning'),
        [],
      );
      assert.deepEqual(ran, ['near']);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a timer due soon runs when due though over a thousand others of its kind are due later', async () => {
    const def = defineJob({ name: jobName('manywakes'), payload: z.object({ tag: z.string() }) });
    const ran: string[] = [];
    const q = queue({ pollMs: 60_000 });
    q.register(def, async ({ tag }) => {
      ran.push(tag);
    });
    await q.start();
    // 1,200 distinct due times an hour ahead (more than the process keeps wake-ups for), then one
    // due in 300 ms: it must not wait for the minute-long poll.
    const later = Date.now() + 3_600_000;
    await q.enqueueMany(
      s.db,
      def,
      Array.from({ length: 1200 }, (_, i) => ({
        payload: { tag: `later${i}` },
        opts: { runAt: new Date(later + i) },
      })),
    );
    const t0 = Date.now();
    await q.enqueue(s.db, def, { tag: 'soon' }, { runAt: new Date(t0 + 300) });
    await waitFor(() => ran.includes('soon'), 10_000, 'the timer due soon');
    assert.ok(Date.now() - t0 < 5000, `ran ${Date.now() - t0} ms after enqueue`);
    assert.deepEqual(ran, ['soon']);
  });

  it('runs a job enqueued in a committed transaction, never one whose transaction rolled back', async () => {
    const def = defineJob({ name: jobName('trx'), payload: z.object({ v: z.string() }) });
    const seen: string[] = [];
    const q = queue();
    q.register(def, async ({ v }) => {
      seen.push(v);
    });
    await q.start();
    let rolledBackId: string | null = null;
    await assert.rejects(
      s.db.transaction().execute(async (trx) => {
        rolledBackId = await q.enqueue(trx, def, { v: 'rolled back' });
        throw new Error('rollback please');
      }),
      /rollback please/,
    );
    assert.equal(typeof rolledBackId, 'string');
    const committedId = await s.db.transaction().execute((trx) => q.enqueue(trx, def, { v: 'committed' }));
    q.kick();
    await waitFor(() => seen.includes('committed'), 5000, 'the committed job');
    await sleep(300);
    assert.deepEqual(seen, ['committed']);
    assert.equal(await s.stateOf(rolledBackId!), null);
    await waitFor(async () => (await s.stateOf(committedId!)) === 'completed', 5000, 'completed state');
    assert.equal(await s.countJobs(def.name), 1);
  });

  it('dedupes by singleton key while a job with the key is queued or running', async () => {
    const def = defineJob({
      name: jobName('singleton'),
      payload: z.object({ v: z.string() }),
      concurrency: 4,
    });
    const seen: string[] = [];
    const gate = deferred();
    const q = queue();
    q.register(def, async ({ v }) => {
      seen.push(v);
      if (v === 'first') await gate.promise;
    });
    const first = await q.enqueue(s.db, def, { v: 'first' }, { singletonKey: 'k1' });
    assert.equal(typeof first, 'string');
    assert.equal(await q.enqueue(s.db, def, { v: 'dup queued' }, { singletonKey: 'k1' }), null);
    const inTrx = await s.db
      .transaction()
      .execute((trx) => q.enqueue(trx, def, { v: 'dup in trx' }, { singletonKey: 'k1' }));
    assert.equal(inTrx, null);
    const other = await q.enqueue(s.db, def, { v: 'other key' }, { singletonKey: 'k2' });
    assert.equal(typeof other, 'string');
    const plain = await q.enqueue(s.db, def, { v: 'no key' });
    assert.equal(typeof plain, 'string');

    await q.start();
    await waitFor(() => seen.includes('first'), 5000, 'the first job to start');
    assert.equal(await s.stateOf(first!), 'active');
    assert.equal(await q.enqueue(s.db, def, { v: 'dup active' }, { singletonKey: 'k1' }), null);

    gate.resolve();
    await waitFor(async () => (await s.stateOf(first!)) === 'completed', 5000, 'first completed');
    const again = await q.enqueue(s.db, def, { v: 'after' }, { singletonKey: 'k1' });
    assert.equal(typeof again, 'string', 'the key is free once its job completed');
    q.kick();
    await waitFor(() => seen.includes('after'), 5000, 'the job enqueued after completion');
    await sleep(150);
    assert.deepEqual([...seen].sort(), ['after', 'first', 'no key', 'other key']);
  });

  it('lets only one of two concurrent transactions enqueue the same singleton key', async () => {
    const def = defineJob({ name: jobName('singleton_race'), payload: z.object({ n: z.number() }) });
    const q = queue();
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        s.db.transaction().execute(async (trx) => {
          const id = await q.enqueue(trx, def, { n }, { singletonKey: 'race' });
          await sleep(50); // hold the transaction open a little
          return id;
        }),
      ),
    );
    assert.equal(results.filter((r) => r !== null).length, 1, `results: ${JSON.stringify(results)}`);
    assert.equal(await s.countJobs(def.name), 1);
  });

  it('unlessLive: a wake-up of a key already queued returns at once, even while another transaction enqueues it', async () => {
    const def = defineJob({ name: jobName('unless_live'), payload: z.object({ n: z.number() }) });
    const q = queue();
    const first = await q.enqueue(s.db, def, { n: 1 }, { singletonKey: 'poll', unlessLive: true });
    assert.equal(typeof first, 'string', 'a free key is enqueued');
    assert.equal(await q.enqueue(s.db, def, { n: 2 }, { singletonKey: 'poll', unlessLive: true }), null);
    if (s.databaseUrl) {
      // PostgreSQL: a transaction holding the key (it enqueued it and has not committed) makes a
      // plain enqueue of the key wait for its commit; a wake-up does not wait.
      const holding = deferred();
      const release = deferred();
      const tx = s.db.transaction().execute(async (trx) => {
        assert.equal(await q.enqueue(trx, def, { n: 3 }, { singletonKey: 'poll' }), null);
        holding.resolve();
        await release.promise;
      });
      await holding.promise;
      const wake = await q.enqueue(s.db, def, { n: 4 }, { singletonKey: 'poll', unlessLive: true });
      assert.equal(wake, null, 'returned while the other transaction still held the key');
      release.resolve();
      await tx;
    }
    assert.equal(await s.countJobs(def.name), 1);
  });

  it('runs a job again on another instance when its worker dies mid-job (no job lost)', async () => {
    const def = defineJob({
      name: jobName('lost'),
      payload: z.object({ v: z.string() }),
      maxAttempts: 3,
      timeoutMs: 300,
      backoffMs: () => 50,
    });
    const firstAttempts: number[] = [];
    const a = queue({ stopGraceMs: 50 });
    a.register(def, async (_p, ctx) => {
      firstAttempts.push(ctx.attempt);
      await new Promise(() => {}); // the process "dies" while this runs
    });
    await a.start();
    const id = await a.enqueue(s.db, def, { v: 'survivor' });
    a.kick();
    await waitFor(() => firstAttempts.length === 1, 5000, 'the first worker to take the job');
    await a.stop(); // gives up on the handler without recording anything, like a dead process
    assert.equal(await s.stateOf(id!), 'active');

    const seen: Array<{ v: string; id: string; attempt: number }> = [];
    const b = queue();
    b.register(def, async ({ v }, ctx) => {
      seen.push({ v, id: ctx.id, attempt: ctx.attempt });
    });
    await b.start();
    await waitFor(() => seen.length === 1, 10_000, 'the second instance to run the job');
    assert.deepEqual(seen[0], { v: 'survivor', id, attempt: 2 });
    await waitFor(async () => (await s.stateOf(id!)) === 'completed', 5000, 'completed state');
    assert.deepEqual(firstAttempts, [1]);
  });

  it('respects concurrency', async () => {
    const def = defineJob({
      name: jobName('concurrency'),
      payload: z.object({ n: z.number() }),
      concurrency: 2,
    });
    let active = 0;
    let maxActive = 0;
    const done: number[] = [];
    const q = queue();
    q.register(def, async ({ n }) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(120);
      active--;
      done.push(n);
    });
    for (let n = 0; n < 6; n++) await q.enqueue(s.db, def, { n });
    await q.start();
    await waitFor(() => done.length === 6, 8000, 'all six jobs');
    assert.equal(maxActive, 2);
    assert.deepEqual([...done].sort(), [0, 1, 2, 3, 4, 5]);
  });

  it('kick() makes idle workers look at once', async () => {
    const def = defineJob({ name: jobName('kick'), payload: z.object({}) });
    let ranAt = 0;
    const q = queue({ pollMs: 60_000 });
    q.register(def, async () => {
      ranAt = Date.now();
    });
    await q.start();
    await sleep(200); // the first look found nothing; the next would be a minute away
    const t0 = Date.now();
    await q.enqueue(s.db, def, {});
    q.kick();
    await waitFor(() => ranAt > 0, 3000, 'the kicked worker');
    assert.ok(ranAt - t0 < 3000);
  });

  it('stop() waits for running handlers to finish and records them', async () => {
    const def = defineJob({ name: jobName('stop'), payload: z.object({}) });
    let started = false;
    let finished = false;
    const q = queue();
    q.register(def, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await q.start();
    const id = await q.enqueue(s.db, def, {});
    q.kick();
    await waitFor(() => started, 5000, 'the handler to start');
    await q.stop();
    assert.equal(finished, true);
    assert.equal(await s.stateOf(id!), 'completed');
  });

  // ----------------------------------------------------------------------------------------
  // Batches: enqueueMany and registerBatch
  // ----------------------------------------------------------------------------------------

  it("enqueueMany records jobs in the caller's transaction and returns their ids in order", async () => {
    const def = defineJob({ name: jobName('many'), payload: z.object({ n: z.number() }) });
    const seen = new Map<string, number>();
    const q = queue();
    q.register(def, async ({ n }, ctx) => {
      seen.set(ctx.id, n);
    });
    await q.start();
    let rolledBack: string[] = [];
    await assert.rejects(
      s.db.transaction().execute(async (trx) => {
        rolledBack = await q.enqueueMany(trx, def, [{ payload: { n: -1 } }, { payload: { n: -2 } }]);
        throw new Error('rollback please');
      }),
      /rollback please/,
    );
    assert.equal(rolledBack.length, 2);
    assert.equal(await s.countJobs(def.name), 0);

    const ids = await s.db.transaction().execute((trx) =>
      q.enqueueMany(
        trx,
        def,
        [0, 1, 2, 3, 4].map((n) => ({ payload: { n } })),
      ),
    );
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5);
    q.kick();
    await waitFor(() => seen.size === 5, 5000, 'the five jobs');
    assert.deepEqual(
      ids.map((id) => seen.get(id)),
      [0, 1, 2, 3, 4],
    );
    for (const id of ids) await waitFor(async () => (await s.stateOf(id)) === 'completed', 5000, 'completed');
    for (const id of rolledBack) assert.equal(await s.stateOf(id), null);
    assert.equal(await s.countJobs(def.name), 5);
  });

  it('enqueueMany of nothing records nothing; an invalid payload records none of the list', async () => {
    const def = defineJob({ name: jobName('many_invalid'), payload: z.object({ to: z.string() }) });
    const q = queue();
    assert.deepEqual(await q.enqueueMany(s.db, def, []), []);
    const items = Array.from({ length: 1200 }, (_, i) => ({ payload: { to: `r${i}` } }));
    items[1100] = { payload: { to: 42 } as unknown as { to: string } };
    await assert.rejects(q.enqueueMany(s.db, def, items), z.ZodError);
    assert.equal(await s.countJobs(def.name), 0);
  });

  it('enqueueMany writes a long list completely (more rows than one SQLite INSERT takes)', async () => {
    const def = defineJob({ name: jobName('many_long'), payload: z.object({ n: z.number() }) });
    const q = queue();
    const ids = await q.enqueueMany(
      s.db,
      def,
      Array.from({ length: 1201 }, (_, n) => ({ payload: { n } })),
    );
    assert.equal(new Set(ids).size, 1201);
    assert.equal(await s.countJobs(def.name), 1201);
  });

  it('enqueueMany honours delayMs and runAt per item', async () => {
    const def = defineJob({
      name: jobName('many_delay'),
      payload: z.object({ tag: z.string() }),
      batchSize: 10,
    });
    const ran = new Map<string, number>();
    const q = queue();
    q.registerBatch(def, async (items) => {
      for (const { payload } of items) ran.set(payload.tag, Date.now());
    });
    await q.start();
    const t0 = Date.now();
    await q.enqueueMany(s.db, def, [
      { payload: { tag: 'delayMs' }, opts: { delayMs: 700 } },
      { payload: { tag: 'runAt' }, opts: { runAt: new Date(t0 + 700) } },
      { payload: { tag: 'now' } },
    ]);
    q.kick();
    await sleep(450);
    assert.ok(ran.has('now'), 'the undelayed job ran');
    assert.ok(!ran.has('delayMs') && !ran.has('runAt'), 'no delayed job ran in the first 450 ms');
    await waitFor(() => ran.size === 3, 5000, 'the delayed jobs');
    assert.ok(ran.get('delayMs')! - t0 >= 690, `delayMs job ran after ${ran.get('delayMs')! - t0} ms`);
    assert.ok(ran.get('runAt')! - t0 >= 690, `runAt job ran after ${ran.get('runAt')! - t0} ms`);
  });

  it('gathers jobs kicked within gatherMs into one batch, and delayed ones falling due together', async () => {
    const GATHER = 1500;
    const def = defineJob({
      name: jobName('gather'),
      payload: z.object({ n: z.number() }),
      batchSize: 20,
      // Wide enough that three commits land inside it even on a busy machine.
      gatherMs: GATHER,
    });
    const batches: number[][] = [];
    const q = queue({ pollMs: 60_000 });
    q.registerBatch(def, async (items) => {
      batches.push(items.map((i) => i.payload.n));
    });
    // The poll at start claims whatever is due, gathered or not, and under load its claim can run
    // after the first commit below. So a probe job is waiting at start: once its batch has run,
    // the start poll is over and only kicks (and the 60 s poll timer) can claim the three.
    await q.enqueue(s.db, def, { n: 0 });
    await q.start();
    await waitFor(() => batches.length > 0, 10_000, 'the probe claimed by the start poll');
    assert.deepEqual(batches, [[0]]);
    batches.length = 0;
    // Three commits in quick succession, each followed by its kick.
    for (const n of [1, 2, 3]) {
      await q.enqueue(s.db, def, { n });
      q.kick();
      await sleep(10);
    }
    await waitFor(() => batches.length > 0, 10_000, 'the gathered batch');
    await sleep(100);
    assert.deepEqual(
      batches.map((b) => [...b].sort()),
      [[1, 2, 3]],
      `one handler call for the three (calls: ${JSON.stringify(batches)})`,
    );
    // Delayed jobs due 10 ms apart, in one slot of the gatherMs grid, wake the lane once.
    batches.length = 0;
    const slot = Math.ceil((Date.now() + GATHER + 100) / GATHER) * GATHER;
    const dueTimes = [4, 5, 6].map((n) => slot - 40 + (n - 4) * 10);
    for (const [i, n] of [4, 5, 6].entries()) {
      await q.enqueue(s.db, def, { n }, { runAt: new Date(dueTimes[i]!) });
      q.kick();
    }
    await waitFor(() => batches.flat().length === 3, 10_000, 'the delayed jobs');
    assert.ok(Date.now() >= dueTimes[2]!, 'not before they were due');
    assert.deepEqual(
      batches.map((b) => [...b].sort()),
      [[4, 5, 6]],
      `one call (calls: ${JSON.stringify(batches)})`,
    );
    await q.stop();
  });

  it('gives a batch handler every job once, in batches no larger than batchSize', async () => {
    const def = defineJob({ name: jobName('batch'), payload: z.object({ n: z.number() }), batchSize: 10 });
    const sizes: number[] = [];
    const seen: Array<{ id: string; n: number; attempt: number; maxAttempts: number }> = [];
    const q = queue();
    q.registerBatch(def, async (items) => {
      sizes.push(items.length);
      for (const { payload, job } of items) seen.push({ n: payload.n, ...job });
    });
    const ids = await q.enqueueMany(
      s.db,
      def,
      Array.from({ length: 25 }, (_, n) => ({ payload: { n } })),
    );
    await q.start();
    await waitFor(() => seen.length >= 25, 5000, 'all 25 jobs');
    for (const id of ids) await waitFor(async () => (await s.stateOf(id)) === 'completed', 5000, 'completed');
    await sleep(150);
    assert.equal(seen.length, 25, 'no job ran twice');
    assert.deepEqual(
      ids.map((id) => seen.find((j) => j.id === id)?.n),
      Array.from({ length: 25 }, (_, n) => n),
    );
    assert.ok(
      seen.every((j) => j.attempt === 1 && j.maxAttempts === 5),
      'first attempts, with the job maxAttempts',
    );
    assert.ok(Math.max(...sizes) <= 10, `batch sizes: ${sizes}`);
    assert.equal(sizes[0], 10, `the first claim took a full batch (sizes: ${sizes})`);
  });

  it('retries only the jobs a batch handler returns an Error for, and fails them after maxAttempts', async () => {
    const def = defineJob({
      name: jobName('batch_items'),
      payload: z.object({ tag: z.string() }),
      batchSize: 10,
      maxAttempts: 3,
      backoffMs: () => 30,
    });
    const attempts = new Map<string, number[]>();
    const q = queue();
    q.registerBatch(def, async (items) =>
      items.map(({ payload: { tag }, job }) => {
        attempts.set(tag, [...(attempts.get(tag) ?? []), job.attempt]);
        if (tag === 'bad') return new Error('always');
        if (tag === 'flaky' && job.attempt === 1) return new Error('once');
        return tag === 'ok1' ? null : undefined;
      }),
    );
    const tags = ['ok1', 'bad', 'ok2', 'flaky', 'ok3'];
    const ids = await q.enqueueMany(
      s.db,
      def,
      tags.map((tag) => ({ payload: { tag } })),
    );
    const idOf = (tag: string) => ids[tags.indexOf(tag)];
    await q.start();
    await waitFor(async () => (await s.stateOf(idOf('bad'))) === 'failed', 6000, 'the bad job to fail');
    await waitFor(async () => (await s.stateOf(idOf('flaky'))) === 'completed', 6000, 'the flaky job');
    await sleep(200);
    assert.deepEqual(Object.fromEntries(attempts), {
      ok1: [1],
      bad: [1, 2, 3],
      ok2: [1],
      flaky: [1, 2],
      ok3: [1],
    });
    for (const tag of ['ok1', 'ok2', 'ok3']) assert.equal(await s.stateOf(idOf(tag)), 'completed');
    assert.equal(await s.stateOf(idOf('bad')), 'failed');
  });

  /**
   * Enqueues jobs n = 0..count-1, works them with `handle` (each job's attempt recorded first) and,
   * once every job is completed, returns the attempts each saw, by n.
   */
  async function attemptsUntilCompleted(
    def: JobDefinition<{ n: number }>,
    count: number,
    handle: BatchJobHandler<{ n: number }>,
  ): Promise<Array<number[] | undefined>> {
    const attempts = new Map<number, number[]>();
    const q = queue();
    q.registerBatch(def, async (items) => {
      for (const { payload, job } of items)
        attempts.set(payload.n, [...(attempts.get(payload.n) ?? []), job.attempt]);
      return handle(items);
    });
    const ids = await q.enqueueMany(
      s.db,
      def,
      Array.from({ length: count }, (_, n) => ({ payload: { n } })),
    );
    await q.start();
    for (const id of ids) await waitFor(async () => (await s.stateOf(id)) === 'completed', 6000, 'completed');
    return Array.from({ length: count }, (_, n) => attempts.get(n));
  }

  it('retries every job of a batch whose handler throws', async () => {
    const def = defineJob({
      name: jobName('batch_throw'),
      payload: z.object({ n: z.number() }),
      batchSize: 10,
      backoffMs: () => 30,
    });
    const attempts = await attemptsUntilCompleted(def, 4, async (items) => {
      if (items.some((i) => i.job.attempt === 1)) throw new Error('batch boom');
    });
    assert.deepEqual(attempts, [
      [1, 2],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('treats a batch handler returning the wrong number of outcomes as a failed attempt of each job', async () => {
    const def = defineJob({
      name: jobName('batch_length'),
      payload: z.object({ n: z.number() }),
      batchSize: 10,
      backoffMs: () => 30,
    });
    const logsBefore = logs.length;
    // A buggy handler: says nothing about the jobs of a first attempt.
    const attempts = await attemptsUntilCompleted(def, 3, async (items) =>
      items.some((i) => i.job.attempt === 1) ? [] : items.map(() => null),
    );
    assert.deepEqual(attempts, [
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    assert.ok(
      logs.slice(logsBefore).some((l) => l.level === 'error' && /wrong number of outcomes/.test(l.msg)),
      'the handler bug is logged',
    );
  });

  it('treats a batch that outlives timeoutMs as a failed attempt of each job', async () => {
    const def = defineJob({
      name: jobName('batch_timeout'),
      payload: z.object({ n: z.number() }),
      batchSize: 10,
      maxAttempts: 2,
      timeoutMs: 200,
      backoffMs: () => 20,
    });
    const attempts = await attemptsUntilCompleted(def, 3, async (items) => {
      if (items.some((i) => i.job.attempt === 1)) await new Promise(() => {}); // hangs for good
    });
    assert.deepEqual(attempts, [
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('runs at most concurrency batches at once', async () => {
    const def = defineJob({
      name: jobName('batch_concurrency'),
      payload: z.object({ n: z.number() }),
      batchSize: 3,
      concurrency: 2,
    });
    let active = 0;
    let maxActive = 0;
    const done: number[] = [];
    const sizes: number[] = [];
    const q = queue();
    q.registerBatch(def, async (items) => {
      active++;
      maxActive = Math.max(maxActive, active);
      sizes.push(items.length);
      await sleep(120);
      active--;
      for (const { payload } of items) done.push(payload.n);
    });
    await q.enqueueMany(
      s.db,
      def,
      Array.from({ length: 12 }, (_, n) => ({ payload: { n } })),
    );
    await q.start();
    await waitFor(() => done.length >= 12, 8000, 'all twelve jobs');
    await sleep(100);
    assert.equal(maxActive, 2);
    assert.ok(Math.max(...sizes) <= 3, `batch sizes: ${sizes}`);
    assert.deepEqual(
      [...done].sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, n) => n),
    );
  });

  it('stop() waits for a running batch to finish and records its jobs', async () => {
    const def = defineJob({
      name: jobName('batch_stop'),
      payload: z.object({ n: z.number() }),
      batchSize: 10,
    });
    let started = false;
    let finished = false;
    const q = queue();
    q.registerBatch(def, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await q.start();
    const ids = await q.enqueueMany(s.db, def, [{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    q.kick();
    await waitFor(() => started, 5000, 'the batch to start');
    await q.stop();
    assert.equal(finished, true);
    for (const id of ids) assert.equal(await s.stateOf(id), 'completed');
  });

  it('rejects a second handler for a job and a batchSize that is not a positive integer', () => {
    const q = queue();
    const def = defineJob({ name: jobName('batch_register'), payload: z.object({}), batchSize: 5 });
    q.registerBatch(def, async () => {});
    assert.throws(() => q.register(def, async () => {}), /already registered/);
    const bad = defineJob({ name: jobName('batch_size'), payload: z.object({}), batchSize: 0 });
    assert.throws(() => q.registerBatch(bad, async () => {}), /batchSize/);
  });
}

describe('job queue contract: SQLite', () => {
  contract(sqliteStorage);
});

const skipPg = process.env.PARLEY_TEST_SKIP_PG === '1';
const pgUrl = skipPg ? null : await findPostgres();
if (pgUrl) {
  describe('job queue contract: PostgreSQL (pg-boss)', () => {
    contract(() => postgresStorage(pgUrl));
  });
  describe('job queue on PostgreSQL: wake-ups across processes (LISTEN/NOTIFY)', () => {
    let s: Storage;
    let teardown: () => Promise<void>;
    const open: JobQueue[] = [];
    before(async () => {
      ({ storage: s, teardown } = await postgresStorage(pgUrl));
    });
    afterEach(async () => {
      for (const q of open.splice(0)) await q.stop();
    });
    after(async () => {
      await teardown?.();
    });
    /** Two processes' queues: one only enqueues, the other works with a poll a minute apart. */
    const pair = async () => {
      const producer = s.queue({ pollMs: 60_000 });
      const worker = s.queue({ pollMs: 60_000 });
      open.push(producer, worker);
      await producer.prepare?.();
      return { producer, worker };
    };

    it("another process's enqueue wakes this one's idle workers at once, not at their next poll", async () => {
      const def = defineJob({ name: jobName('wake'), payload: z.object({ n: z.number() }) });
      const { producer, worker } = await pair();
      const ran: number[] = [];
      worker.register(def, async (p) => {
        ran.push(p.n);
      });
      await worker.start(); // its first look finds nothing; the next poll would be a minute away
      const t0 = Date.now();
      await s.db.transaction().execute((trx) => producer.enqueue(trx, def, { n: 1 }));
      producer.kick();
      await waitFor(() => ran.length === 1, 5000, 'the woken worker');
      assert.ok(Date.now() - t0 < 5000);
      assert.deepEqual(ran, [1]);
    });

    it('a delayed job enqueued elsewhere runs when due, not before and not a poll later', async () => {
      const def = defineJob({ name: jobName('wake-later'), payload: z.object({}) });
      const { producer, worker } = await pair();
      let ranAt = 0;
      worker.register(def, async () => {
        ranAt = Date.now();
      });
      await worker.start();
      const t0 = Date.now();
      await producer.enqueue(s.db, def, {}, { delayMs: 700 });
      producer.kick();
      await waitFor(() => ranAt > 0, 6000, 'the delayed job');
      assert.ok(ranAt - t0 >= 690, `ran ${ranAt - t0} ms after the enqueue`);
    });
  });
} else if (process.env.CI === 'true' && !skipPg) {
  describe('job queue contract: PostgreSQL (pg-boss)', () => {
    it('needs PostgreSQL under CI', () => {
      assert.fail(`PostgreSQL not reachable at ${pgCandidates.join(' or ')} (required when CI=true)`);
    });
  });
} else {
  describe('job queue contract: PostgreSQL (pg-boss)', () => {
    it('runs against PostgreSQL', (t) => {
      t.skip(skipPg ? 'PostgreSQL skipped (PARLEY_TEST_SKIP_PG=1)' : 'PostgreSQL not reachable');
    });
  });
}
