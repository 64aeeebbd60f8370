import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  conversationJobs,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Durable timers are cancelled when what they wait for happens (issue 26): the job of a handoff's
 * reply timer, of SLA targets and of a snooze leaves the queue in the transaction of the reply, the
 * resolve or the reopen, instead of staying there to fire as a no-op. Real clocks (the queue's and
 * the app's agree), timers minutes ahead.
 */
forEachStorage('timers are cancelled when what they wait for happens', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let person: { id: string; session: string };

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    const email = 'desk@glow.in';
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Desk', email, password: 'correct horse' },
    });
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'correct horse' } });
    await t.call('PUT', '/v1/me/availability', { key: login.body.token, body: { availability: 'online' } });
    person = { id: u.body.id, session: login.body.token };
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Desk', user_ids: [person.id], assignment: { mode: 'round_robin' } },
    });
    const policy = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { team_id: team.body.id, reply_within_minutes: 30, on_timeout: 'notify' },
    });
    assert.equal(policy.status, 200, policy.text);
    const sla = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Standard', first_response_minutes: 60, resolution_minutes: 600 },
    });
    assert.equal(sla.status, 201, sla.text);
  });
  after(() => t.close());

  let phone = 0;
  const inbound = async (text = 'hello') => {
    phone++;
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: `+91981237${String(phone).padStart(4, '0')}`, text },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };

  const jobs = (name: string, id: string) => conversationJobs(t, name, id);
  const HANDOFF = 'conversations.handoff_timer';
  const SLA = 'conversations.sla_timer';
  const WAKE = 'conversations.wake';

  it("a person's reply cancels the handoff's reply timer and the first-response SLA timer", async () => {
    const id = await inbound();
    const h = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: ws.test,
      body: { reason: 'x' },
    });
    assert.equal(h.body.assignee?.id, person.id, h.text);
    assert.equal((await jobs(HANDOFF, id)).pending, 1, 'the handoff started its reply timer');
    assert.equal((await jobs(SLA, id)).pending, 2, 'first response and resolution timers');
    const reply = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: person.session,
      body: { text: 'Hi, I am here' },
    });
    assert.ok(reply.status < 300, reply.text);
    await eventually(async () => ((await jobs(HANDOFF, id)).pending === 0 ? true : null), 15_000);
    const handoff = await jobs(HANDOFF, id);
    // Cancelled, not run: SQLite removes it, pg-boss marks it cancelled.
    assert.deepEqual(handoff.all, storage === 'postgres' ? ['cancelled'] : []);
    await eventually(async () => ((await jobs(SLA, id)).pending === 1 ? true : null), 15_000);
    // The resolution target still waits: resolving cancels it.
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test });
    assert.ok(closed.status < 300, closed.text);
    assert.equal((await jobs(SLA, id)).pending, 0);
  });

  it('a handoff handed back to the AI, and a resolve, cancel the reply timer', async () => {
    const a = await inbound();
    await t.call('POST', `/v1/conversations/${a}/handoff`, { key: ws.test, body: { reason: 'x' } });
    assert.equal((await jobs(HANDOFF, a)).pending, 1);
    const back = await t.call('POST', `/v1/conversations/${a}/handoff/resolve`, { key: ws.test });
    assert.ok(back.status < 300, back.text);
    assert.equal((await jobs(HANDOFF, a)).pending, 0);
    const b = await inbound();
    await t.call('POST', `/v1/conversations/${b}/handoff`, { key: ws.test, body: { reason: 'x' } });
    assert.equal((await jobs(HANDOFF, b)).pending, 1);
    await t.call('POST', `/v1/conversations/${b}/close`, { key: ws.test });
    assert.equal((await jobs(HANDOFF, b)).pending, 0);
  });

  it('a reopen or another snooze cancels the snooze timer; a snooze that ends by itself fires once', async () => {
    const id = await inbound();
    const snooze = (ms: number) =>
      t.call('POST', `/v1/conversations/${id}/snooze`, {
        key: ws.test,
        body: { until: new Date(Date.now() + ms).toISOString() },
      });
    await snooze(3_600_000);
    assert.equal((await jobs(WAKE, id)).pending, 1);
    await snooze(7_200_000);
    assert.equal((await jobs(WAKE, id)).pending, 1, 'the new snooze replaced the old timer');
    const reopened = await t.call('POST', `/v1/conversations/${id}/reopen`, { key: ws.test });
    assert.ok(reopened.status < 300, reopened.text);
    assert.equal((await jobs(WAKE, id)).pending, 0);
    // Until 2 s from now, and checked: on a loaded machine a shorter time had passed before the
    // request arrived, the snooze was refused, and the test waited for a wake-up never set.
    const short = await snooze(2000);
    assert.ok(short.status < 300, short.text);
    assert.equal(short.body.status, 'snoozed');
    await eventually(
      async () => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body.status === 'active',
      10_000,
    );
    await eventually(async () => ((await jobs(WAKE, id)).all.includes('completed') ? true : null), 10_000);
    assert.equal((await jobs(WAKE, id)).pending, 0);
  });
});
