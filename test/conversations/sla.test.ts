import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** SLA policies: due times on conversations, durable timers, one `sla.breached` per target. */
forEachStorage('SLA policies', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let now = new Date('2026-05-11T06:00:00Z');
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };
  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => now } });
    ws = await t.workspace();
  });
  after(() => t.close());

  let phone = 0;
  const inbound = async (text = 'hello', from?: string) => {
    const number = from ?? `+91981237${String(++phone).padStart(4, '0')}`;
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from: number, text } });
    assert.ok(r.status < 300, r.text);
    return { id: r.body.conversation_id as string, from: number };
  };
  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;
  const breaches = async (id: string) =>
    (await t.call('GET', `/v1/events?type=sla.breached&object_id=${id}`, { key: ws.test })).body
      .data as Array<{
      data: { sla_breach: string };
    }>;

  it('refuses 0 minutes and a policy without targets; CRUD', async () => {
    const zero = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Zero', first_response_minutes: 0 },
    });
    assert.equal(zero.status, 400, zero.text);
    const none = await t.call('POST', '/v1/sla-policies', { key: ws.test, body: { name: 'None' } });
    assert.equal(none.status, 400, none.text);
    // A channel no conversation can have would make a policy that never applies.
    const fax = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Fax', first_response_minutes: 5, applies_to: { channels: ['whatsapp', 'fax'] } },
    });
    assert.equal(fax.status, 400, fax.text);
    assert.equal(fax.body.error.errors[0].field, 'applies_to.channels.1');
    const p = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Never', resolution_minutes: 5, applies_to: { tags: ['never-used'] } },
    });
    assert.equal(p.status, 201, p.text);
    const patched = await t.call('PATCH', `/v1/sla-policies/${p.body.id}`, {
      key: ws.test,
      body: { name: 'Renamed' },
    });
    assert.equal(patched.body.name, 'Renamed');
    assert.equal((await t.call('GET', '/v1/sla-policies', { key: ws.test })).body.data.length, 1);
    const del = await t.call('DELETE', `/v1/sla-policies/${p.body.id}`, { key: ws.test });
    assert.equal(del.status, 200);
    assert.equal((await t.call('GET', `/v1/sla-policies/${p.body.id}`, { key: ws.test })).status, 404);
  });

  it('applies by applies_to, breaches an unmet first response once, and a reply meets it', async () => {
    const policy = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: {
        name: 'Standard',
        first_response_minutes: 10,
        next_response_minutes: 5,
        resolution_minutes: 60,
        applies_to: { priorities: ['normal'] },
        // No AI agent here: a policy that applies from the start (people answer every message).
        counts_ai_replies: true,
      },
    });
    assert.equal(policy.status, 201, policy.text);
    const late = await inbound();
    const answered = await inbound();
    const resolved = await inbound();
    const c = await get(late.id);
    assert.equal(c.sla.policy_id, policy.body.id);
    assert.equal(c.sla.first_response_due_at, new Date(Date.parse(c.created_at) + 10 * 60_000).toISOString());
    assert.deepEqual(c.sla.breached, []);
    const reply = await t.call('POST', `/v1/conversations/${answered.id}/reply`, {
      key: ws.test,
      body: { text: 'On it' },
    });
    assert.ok(reply.status < 300, reply.text);
    await t.call('POST', `/v1/conversations/${resolved.id}/close`, { key: ws.test });
    await eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${answered.id}/messages`, { key: ws.test })).body
        .data;
      return msgs.some((m: { status: string }) => m.status === 'sent' || m.status === 'delivered')
        ? true
        : null;
    }, 10_000);
    advance(11);
    await eventually(
      async () => ((await get(late.id)).sla.breached.includes('first_response') ? true : null),
      15_000,
    );
    assert.deepEqual(
      (await breaches(late.id)).map((e) => e.data.sla_breach),
      ['first_response'],
    );
    // The customer writes again after the answer: the next response is due in 5 minutes.
    await inbound('still there?', answered.from);
    const waiting = await get(answered.id);
    assert.ok(waiting.sla.next_response_due_at, 'next response due');
    advance(6);
    await eventually(
      async () => ((await get(answered.id)).sla.breached.includes('next_response') ? true : null),
      15_000,
    );
    assert.ok(!(await get(answered.id)).sla.breached.includes('first_response'), 'first response was met');
    advance(60);
    await eventually(
      async () => ((await get(late.id)).sla.breached.includes('resolution') ? true : null),
      15_000,
    );
    assert.deepEqual((await get(resolved.id)).sla.breached, [], 'resolved in time');
    assert.equal((await breaches(late.id)).length, 2, 'once per target');
  });
});
