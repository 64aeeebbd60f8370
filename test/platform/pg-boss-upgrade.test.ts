import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import PgBoss10 from 'pg-boss-10';
import { z } from 'zod';
import { openDatabase } from '../../src/platform/db/database.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pgboss-queue.ts';
import { defineJob, type JobContext } from '../../src/platform/queue/queue.ts';
import { createPgDatabase, eventually, postgresAvailable } from '../support/harness.ts';

// pg-boss has no migration from pg-boss 10's schema (version 24, the one Parley used before) to
// 11 and later: Parley's queue moves that schema aside, lets pg-boss 12 install itself and carries
// every unfinished job across (pgboss-10-upgrade.ts).

const due = defineJob({ name: 'up.due', payload: z.object({ n: z.number() }) });
const later = defineJob({ name: 'up.later', payload: z.object({ n: z.number() }) });
const keyed = defineJob({ name: 'up.keyed', payload: z.object({ n: z.number() }) });
const retried = defineJob({ name: 'up.retried', payload: z.object({ n: z.number() }), backoffMs: () => 0 });
const held = defineJob({ name: 'up.held', payload: z.object({ n: z.number() }), backoffMs: () => 0 });
const KINDS = [due, later, keyed, retried, held];

interface Old {
  id: string;
  name: string;
  data: unknown;
  startAfter: Date;
  singletonKey: string | null;
}

/** What pg-boss 10 (as the previous Parley ran it: retryLimit = maxAttempts - 1) holds. */
async function seedPgBoss10(url: string): Promise<Record<string, Old>> {
  const old = new PgBoss10({ connectionString: url, max: 1, supervise: false, schedule: false });
  await old.start();
  try {
    for (const { name } of KINDS) await old.createQueue(name, { name, policy: 'standard' });
    const opts = { retryLimit: 4, retryDelay: 0, expireInSeconds: 60 };
    const ids = {
      due: await old.send(due.name, { n: 1 }, opts),
      later: await old.send(later.name, { n: 2 }, { ...opts, startAfter: new Date(Date.now() + 3600_000) }),
      keyed: await old.send(keyed.name, { n: 3 }, { ...opts, singletonKey: 'conv-1', startAfter: 3600 }),
      retried: await old.send(retried.name, { n: 4 }, opts),
      held: await old.send(held.name, { n: 5 }, opts),
    };
    // A first attempt that failed (state retry), and one whose process went away mid-run (active).
    const [first] = await old.fetch(retried.name);
    assert.equal(first?.id, ids.retried);
    await old.fail(retried.name, ids.retried!, { message: 'boom' });
    const [running] = await old.fetch(held.name);
    assert.equal(running?.id, ids.held);
    const seen: Record<string, Old> = {};
    for (const [label, id] of Object.entries(ids)) {
      const kind = KINDS.find((k) => k.name === `up.${label}`)!;
      const job = await old.getJobById<unknown>(kind.name, id!);
      assert.ok(job, label);
      seen[label] = {
        id: job.id,
        name: job.name,
        data: job.data,
        startAfter: job.startAfter,
        singletonKey: job.singletonKey ?? null,
      };
    }
    assert.equal((await old.getJobById(retried.name, ids.retried!))?.state, 'retry');
    assert.equal((await old.getJobById(held.name, ids.held!))?.state, 'active');
    return seen;
  } finally {
    await old.stop({ graceful: false, close: true });
  }
}

async function schemas(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgboss%' ORDER BY nspname`,
    );
    return rows.map((r) => r.nspname as string);
  } finally {
    await client.end();
  }
}

/** The carried jobs as pg-boss 12 reports them (its public findJobs). */
async function inPgBoss12(url: string, seen: Record<string, Old>) {
  const boss = new PgBoss({
    connectionString: url,
    max: 1,
    supervise: false,
    schedule: false,
    migrate: false,
  });
  boss.on('error', () => {});
  await boss.start();
  try {
    const out: Record<string, Awaited<ReturnType<typeof boss.findJobs<unknown>>>[number]> = {};
    for (const [label, old] of Object.entries(seen)) {
      const [job] = await boss.findJobs<unknown>(old.name, { id: old.id });
      assert.ok(job, `${label} is in pg-boss 12`);
      out[label] = job;
    }
    return out;
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

function queueOn(url: string) {
  return new PgBossJobQueue({
    connectionString: url,
    pollMs: 50,
    poolSize: 2,
    maintenanceIntervalSeconds: 3600,
  });
}

describe('a job queue schema made by pg-boss 10 (PostgreSQL)', async () => {
  const available = await postgresAvailable();
  const dbs: Array<{ url: string; drop: () => Promise<void> }> = [];
  after(async () => {
    for (const db of dbs) await db.drop();
  });

  describe('upgraded on start', () => {
    let url: string;
    let seen: Record<string, Old>;
    before(async () => {
      if (!available) return;
      const db = await createPgDatabase();
      dbs.push(db);
      url = db.url;
      seen = await seedPgBoss10(url);
    });

    it('carries every unfinished job to pg-boss 12 with its id, data, due time and key', {
      skip: !available,
    }, async () => {
      const queue = queueOn(url);
      try {
        await queue.prepare();
      } finally {
        await queue.stop();
      }
      assert.deepEqual(await schemas(url), ['pgboss', 'pgboss_parley'], 'the old schema is dropped');
      const now = await inPgBoss12(url, seen);
      for (const label of ['due', 'later', 'keyed', 'retried'])
        assert.deepEqual(
          {
            id: now[label]!.id,
            data: now[label]!.data,
            startAfter: now[label]!.startAfter,
            key: now[label]!.singletonKey,
            state: now[label]!.state,
          },
          {
            id: seen[label]!.id,
            data: seen[label]!.data,
            startAfter: seen[label]!.startAfter,
            key: seen[label]!.singletonKey,
            state: 'created',
          },
          label,
        );
      assert.equal(now.keyed!.singletonKey, 'conv-1');
      // The attempts used are carried as attempts left: the failed one had 4 retries and used 1.
      assert.equal(now.due!.retryLimit, 4);
      assert.equal(now.retried!.retryLimit, 3);
      // The job held by a process now gone is due now, its interrupted attempt counted.
      assert.deepEqual([now.held!.state, now.held!.data, now.held!.retryLimit], ['created', { n: 5 }, 3]);
      assert.ok(now.held!.startAfter.getTime() <= Date.now() + 1000);
    });

    it('runs the due jobs through Parley, not the delayed ones, and finds a keyed job by its key', {
      skip: !available,
    }, async () => {
      const queue = queueOn(url);
      const ran: Array<{ kind: string; payload: unknown; ctx: Pick<JobContext, 'id' | 'attempt'> }> = [];
      for (const kind of KINDS)
        queue.register(kind, async (payload, ctx) => {
          ran.push({ kind: kind.name, payload, ctx: { id: ctx.id, attempt: ctx.attempt } });
        });
      const app = await openDatabase({ databaseUrl: url, sqlitePath: '', poolSize: 2 });
      try {
        await queue.prepare();
        // The keyed job is still queued: a second one with its key is swallowed.
        assert.equal(await queue.enqueue(app.db, keyed, { n: 30 }, { singletonKey: 'conv-1' }), null);
        await queue.start();
        queue.kick();
        await eventually(async () => ran.length >= 3);
        const byKind = Object.fromEntries(ran.map((r) => [r.kind, r]));
        assert.deepEqual(byKind[due.name], {
          kind: due.name,
          payload: { n: 1 },
          ctx: { id: seen.due!.id, attempt: 1 },
        });
        assert.deepEqual(byKind[retried.name], {
          kind: retried.name,
          payload: { n: 4 },
          ctx: { id: seen.retried!.id, attempt: 2 },
        });
        assert.deepEqual(byKind[held.name], {
          kind: held.name,
          payload: { n: 5 },
          ctx: { id: seen.held!.id, attempt: 2 },
        });
        assert.equal(ran.length, 3, 'the delayed jobs (due in an hour) did not run');
      } finally {
        await queue.stop();
        await app.close();
      }
      const now = await inPgBoss12(url, seen);
      assert.deepEqual(Object.fromEntries(Object.entries(now).map(([label, j]) => [label, j.state])), {
        due: 'completed',
        later: 'created',
        keyed: 'created',
        retried: 'completed',
        held: 'completed',
      });
    });

    it('starting again changes nothing', { skip: !available }, async () => {
      const before = await inPgBoss12(url, seen);
      const queue = queueOn(url);
      try {
        await queue.prepare();
      } finally {
        await queue.stop();
      }
      assert.deepEqual(await inPgBoss12(url, seen), before);
      assert.deepEqual(await schemas(url), ['pgboss', 'pgboss_parley']);
    });
  });

  it('a move interrupted after pg-boss 12 installed itself is finished, once, by processes starting together', {
    skip: !available,
  }, async () => {
    const db = await createPgDatabase();
    dbs.push(db);
    const seen = await seedPgBoss10(db.url);
    // As a crash midway leaves it: the old schema renamed aside, pg-boss 12 installed, nothing carried.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('ALTER SCHEMA pgboss RENAME TO pgboss_v10');
    await client.end();
    const boss = new PgBoss({ connectionString: db.url, max: 1, supervise: false, schedule: false });
    boss.on('error', () => {});
    await boss.start();
    await boss.stop({ graceful: false, close: true });

    const queues = [queueOn(db.url), queueOn(db.url)];
    try {
      await Promise.all(queues.map((q) => q.prepare()));
    } finally {
      for (const q of queues) await q.stop();
    }
    const now = await inPgBoss12(db.url, seen);
    for (const label of Object.keys(seen)) assert.equal(now[label]!.id, seen[label]!.id);
    assert.deepEqual(now.later!.startAfter, seen.later!.startAfter);
    assert.deepEqual(await schemas(db.url), ['pgboss', 'pgboss_parley']);
  });

  it('refuses, saying why and touching nothing, when the name it moves the old schema to is taken', {
    skip: !available,
  }, async () => {
    const db = await createPgDatabase();
    dbs.push(db);
    const seen = await seedPgBoss10(db.url);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE SCHEMA pgboss_v10');
    await client.end();
    const queue = queueOn(db.url);
    await assert.rejects(queue.prepare(), /made by pg-boss 10.*"pgboss_v10" exists already/);
    await queue.stop();
    const old = new PgBoss10({ connectionString: db.url, max: 1, supervise: false, schedule: false });
    await old.start();
    try {
      assert.equal((await old.getJobById(later.name, seen.later!.id))?.state, 'created');
    } finally {
      await old.stop({ graceful: false, close: true });
    }
  });

  it('pg-boss 12 installs itself in another schema of the same database', { skip: !available }, async () => {
    const db = await createPgDatabase();
    dbs.push(db);
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
