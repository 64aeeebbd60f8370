/**
 * Team operations in the scaled shape (issue 26): two `PARLEY_ROLE=api` processes and `worker`
 * processes on one PostgreSQL and one Redis. Routing decided on both api processes at once never
 * gives anyone more than their capacity nor a conversation twice; a person online through process
 * A's live inbox connection is seen by routing on process B, and stops counting within
 * PARLEY_PRESENCE_TTL_SECONDS once A is killed; handoff reply timers pending when the worker is
 * killed with SIGKILL fire exactly once, on whichever of the workers started after it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPgDatabase, eventually } from '../support/harness.ts';
import { httpCall, REDIS_URL, scaledSkip } from '../support/scaled.ts';
import {
  freePort,
  killAll,
  type ServerProcess,
  spawnParley,
  startTimeoutMs,
} from '../support/server-process.ts';

const skip = await scaledSkip();
const PRESENCE_TTL_S = 3;
/**
 * The time of a step that starts `n` server processes (one after another at worst), beyond the
 * runner's --test-timeout of 120 s: each start may take as long as this machine's load makes it.
 */
const STARTS_MS = (n: number) => 120_000 + n * startTimeoutMs();

describe('team operations on 2 api processes + workers (PostgreSQL, Redis)', {
  skip,
  timeout: 300_000 + STARTS_MS(6),
}, () => {
  const admin = `teamops-admin-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-teamops-'));
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let shared: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  let key: string;
  /** A second workspace's, for the reply timers: its handoff policy (a 1-minute timer) is not key's. */
  let timerKey: string;
  let n = 0;

  const api = (_role: 'api') => async () => {
    const p = spawnParley({ ...shared, PARLEY_ROLE: 'api', PORT: String(await freePort()) });
    // Its readiness, not a fixed time: on a loaded machine a start takes minutes.
    await p.ready();
    return p;
  };

  before(
    async () => {
      db = await createPgDatabase();
      shared = {
        HOST: '127.0.0.1',
        PARLEY_DATA_DIR: dataDir,
        PARLEY_LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        REDIS_URL,
        PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
        PARLEY_ADMIN_TOKEN: admin,
        PARLEY_JOB_POLL_MS: '100',
        PARLEY_PRESENCE_TTL_SECONDS: String(PRESENCE_TTL_S),
      };
      // The first creates the schema; the others start on it.
      a = await api('api')();
      [b] = await Promise.all([api('api')(), startWorker()]);
      const testKey = async (name: string) => {
        const created = await httpCall(a.url, 'POST', '/v1/admin/workspaces', {
          key: admin,
          body: { name, plan: 'enterprise' },
        });
        assert.equal(created.status, 201, created.text);
        return (created.body.api_keys as Array<{ mode: string; key: string }>).find((k) => k.mode === 'test')!
          .key;
      };
      [key, timerKey] = await Promise.all([testKey('Team ops'), testKey('Timer desk')]);
    },
    { timeout: STARTS_MS(3) },
  );

  after(async () => {
    await killAll();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const workers: ServerProcess[] = [];
  async function startWorker() {
    const worker = spawnParley({ ...shared, PARLEY_ROLE: 'worker', PORT: String(await freePort()) });
    workers.push(worker);
    await worker.ready();
    return worker;
  }

  const call = (p: ServerProcess, method: string, path: string, body?: unknown, auth = key) =>
    httpCall(p.url, method, path, { key: auth, body, timeoutMs: 30_000 });

  /** A person (through `via`), signed in; online by hand unless `online` is false. */
  async function person(via: ServerProcess, capacity: number | null, online = true, k = key) {
    n++;
    const email = `p${n}@teamops.in`;
    const u = await call(
      via,
      'POST',
      '/v1/users',
      { name: `Person ${n}`, email, password: 'correct horse', max_open_conversations: capacity },
      k,
    );
    assert.equal(u.status, 201, u.text);
    const login = await call(via, 'POST', '/v1/auth/login', { email, password: 'correct horse' }, '');
    assert.equal(login.status, 200, login.text);
    const session = login.body.token as string;
    if (online) {
      const set = await call(via, 'PUT', '/v1/me/availability', { availability: 'online' }, session);
      assert.equal(set.status, 200, set.text);
    }
    return { id: u.body.id as string, session };
  }

  async function team(via: ServerProcess, name: string, userIds: string[], mode = 'balanced', k = key) {
    const r = await call(via, 'POST', '/v1/teams', { name, user_ids: userIds, assignment: { mode } }, k);
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  }

  async function conversation(via: ServerProcess, k = key) {
    n++;
    const r = await call(
      via,
      'POST',
      '/v1/sandbox/inbound',
      { from: `+9198200${String(10000 + n)}`, text: 'I want to talk to someone' },
      k,
    );
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  }

  const handoff = (via: ServerProcess, id: string, teamId: string, k = key) =>
    call(
      via,
      'POST',
      `/v1/conversations/${id}/handoff`,
      { reason: 'customer asked for a person', assign_to: { type: 'team', id: teamId } },
      k,
    );

  const get = async (id: string, k = key) =>
    (await call(b, 'GET', `/v1/conversations/${id}`, undefined, k)).body;

  const openOf = async (userId: string) => {
    const r = await call(b, 'GET', `/v1/conversations?assignee=${userId}&per_page=100`);
    return (r.body.data as Array<{ status: string }>).filter((c) => c.status !== 'closed').length;
  };

  /** `conversation.assigned` events giving `id` to a person, by the routing rule. */
  async function ruleAssignments(id: string, k = key) {
    const r = await call(b, 'GET', `/v1/events?type=conversation.assigned&object_id=${id}`, undefined, k);
    assert.equal(r.status, 200, r.text);
    return (
      r.body.data as Array<{ actor: { type: string }; data: { assignee: { type: string; id: string } } }>
    )
      .filter((e) => e.actor.type === 'rule' && e.data.assignee?.type === 'user')
      .map((e) => e.data.assignee.id);
  }

  // Reply timers started here are checked by the last test (they are due a minute after the
  // handoff: the policy's smallest reply_within_minutes). They start first, in a workspace of
  // their own, so that the routing and presence tests run while the minute passes.
  const timed: Array<{ id: string; first: string; handoffAt: number }> = [];
  let desk: { teamId: string; people: Array<{ id: string }> };
  /** When the workers started after the kill were ready (no timer can fire before). */
  let workersReadyAt = 0;

  it('kill -9 of the worker while reply timers are pending; two new workers start', {
    timeout: STARTS_MS(2),
  }, async () => {
    const policy = await call(
      a,
      'PUT',
      '/v1/handoff-policy',
      { reply_within_minutes: 1, on_timeout: 'reassign', max_reassignments: 2 },
      timerKey,
    );
    assert.equal(policy.status, 200, policy.text);
    const people = [await person(a, null, true, timerKey), await person(b, null, true, timerKey)];
    desk = {
      teamId: await team(
        b,
        'Timer desk',
        people.map((p) => p.id),
        'round_robin',
        timerKey,
      ),
      people,
    };
    for (let i = 0; i < 4; i++) {
      const via = i % 2 ? a : b;
      const id = await conversation(via, timerKey);
      const r = await handoff(via, id, desk.teamId, timerKey);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.assignee.type, 'user', r.text);
      timed.push({ id, first: r.body.assignee.id, handoffAt: Date.parse(r.body.handoff.started_at) });
    }
    const killed = await workers[0]!.stop('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    // Two workers: each due timer is taken by one of them.
    await Promise.all([startWorker(), startWorker()]);
    workersReadyAt = Date.now();
  });

  it('routing on both api processes at once: nobody over capacity, no conversation given twice', async () => {
    const people: Array<{ id: string; session: string }> = [];
    for (let i = 0; i < 5; i++) people.push(await person(i % 2 ? a : b, 3));
    const teamId = await team(
      a,
      'Both sides',
      people.map((p) => p.id),
    );
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 10)
      ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => conversation(j % 2 ? a : b)))));
    const results = await Promise.all(ids.map((id, i) => handoff(i % 2 ? a : b, id, teamId)));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const counts = () => Promise.all(people.map((p) => openOf(p.id)));
    await eventually(async () => ((await counts()).every((c) => c === 3) ? true : null), 30_000, 200);
    const queue = await eventually(async () => {
      const q = await call(b, 'GET', `/v1/teams/${teamId}/queue?limit=100`);
      return q.body.total === 45 ? q : null;
    }, 30_000);
    const waiting: string[] = queue.body.data.map((e: { waiting_since: string }) => e.waiting_since);
    assert.deepEqual([...waiting].sort(), waiting, 'the queue is the longest wait first');
    let given = 0;
    for (const id of ids) {
      const to = await ruleAssignments(id);
      assert.ok(to.length <= 1, `${id} was given out ${to.length} times`);
      given += to.length;
    }
    assert.equal(given, 15, 'exactly 15 given out (5 people x capacity 3)');
    // Resolving on A frees room that B's queue gives out: the oldest waiting one, once.
    const held = (await call(a, 'GET', `/v1/conversations?assignee=${people[0]!.id}&per_page=1`)).body.data[0]
      .id;
    assert.equal((await call(a, 'POST', `/v1/conversations/${held}/close`)).status, 200);
    const head = queue.body.data[0].conversation_id as string;
    await eventually(async () => ((await get(head)).assignee.type === 'user' ? true : null), 15_000);
    assert.deepEqual(await ruleAssignments(head), [people[0]!.id]);
    for (const p of people) assert.equal(await openOf(p.id), 3, 'nobody over capacity');
  });

  it("presence: an inbox open on A is seen by B's routing; A killed, it stops counting within the TTL", {
    timeout: STARTS_MS(1),
  }, async () => {
    const p = await person(a, null, false);
    const teamId = await team(b, 'Presence desk', [p.id], 'round_robin');
    const availability = async () =>
      (await call(b, 'GET', '/v1/me/availability', undefined, p.session)).body as {
        availability: string;
        inbox_open: boolean;
      };
    assert.equal((await availability()).availability, 'offline');
    // The inbox's live connection, on A.
    const stream = await fetch(`${a.url}/v1/events/stream`, {
      headers: { authorization: `Bearer ${p.session}` },
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read();
    await eventually(async () => ((await availability()).availability === 'online' ? true : null), 10_000);
    const first = await conversation(b);
    const routed = await handoff(b, first, teamId);
    assert.deepEqual(
      routed.body.assignee,
      { type: 'user', id: p.id },
      'routed on B to the person online on A',
    );

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    reader.cancel().catch(() => {});
    await eventually(
      async () => ((await availability()).availability === 'offline' ? true : null),
      20_000,
      100,
    );
    const gone = Date.now() - killedAt;
    // Expired within the TTL (plus the last refresh's third of it and polling).
    assert.ok(gone <= PRESENCE_TTL_S * 1000 + 2000, `offline ${gone} ms after the kill`);
    const second = await conversation(b);
    const queued = await handoff(b, second, teamId);
    assert.deepEqual(queued.body.assignee, { type: 'team', id: teamId }, 'nobody online: it waits');
    a = await api('api')();
  });

  it('the pending reply timers fire once each, on the new workers: one handoff_timeout, one reassignment', {
    timeout: 120_000,
  }, async () => {
    const timeouts = async (id: string) => {
      const r = await call(
        b,
        'GET',
        `/v1/events?type=conversation.handoff_timeout&object_id=${id}`,
        undefined,
        timerKey,
      );
      return r.body.data as Array<{ timestamp: string; data: { handoff_timeout: { action: string } } }>;
    };
    for (const c of timed) {
      const fired = await eventually(
        async () => {
          const e = await timeouts(c.id);
          return e.length ? e : null;
        },
        90_000,
        500,
      );
      // When it fired (its event's time), not when this test, which checks after the routing and
      // presence tests, got to look; counted from its due time, or from when a worker was there again if
      // later (on a loaded machine the workers' start outlasts the minute).
      const late = Date.parse(fired[0]!.timestamp) - Math.max(c.handoffAt + 60_000, workersReadyAt);
      assert.ok(late < 15_000, `fired ${late} ms after its due time (or the workers' start)`);
      assert.equal(fired.length, 1);
      assert.equal(fired[0]!.data.handoff_timeout.action, 'reassign');
    }
    // Nothing is left to run a first-round timer again: each was taken once and completed.
    const pgc = new pg.Client({ connectionString: db.url });
    await pgc.connect();
    try {
      const jobs = await pgc.query(
        `select data->>'conversationId' as id, state from pgboss.job
          where name = 'conversations.handoff_timer' and (data->>'round')::int = 0`,
      );
      for (const c of timed) {
        const mine = jobs.rows.filter((j) => j.id === c.id);
        assert.deepEqual(
          mine.map((j) => j.state),
          ['completed'],
          `${c.id}: one first-round timer job, completed`,
        );
      }
    } finally {
      await pgc.end();
    }
    for (const c of timed) {
      assert.equal((await timeouts(c.id)).length, 1, `${c.id}: one handoff_timeout`);
      const given = await ruleAssignments(c.id, timerKey);
      const other = desk.people.find((p) => p.id !== c.first)!.id;
      assert.equal(given.length, 2, `${c.id}: routed once, reassigned once (${given})`);
      assert.deepEqual([...given].sort(), [c.first, other].sort(), 'reassigned to the other member');
      assert.deepEqual((await get(c.id, timerKey)).assignee, { type: 'user', id: other });
    }
  });
});
