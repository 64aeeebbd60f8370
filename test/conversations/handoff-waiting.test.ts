import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  conversationJobs,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '23:59' }];

interface Handoff {
  reason: string | null;
  started_at: string | null;
  started_by: { type: string; id: string | null } | null;
  waiting_since: string | null;
  waiting_for: { type: string; id: string } | null;
}

/** A handoff shows when it began, who made it, who the customer waits for and since when. */
forEachStorage('handoff: who waits since when', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let now = new Date('2026-05-11T06:00:00Z');
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => now },
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, holdingRecheckMs: 50 }) : m,
      ),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        business: { timezone: 'Asia/Kolkata', hours: { mon: allDay } },
        handoff: { keywords: ['manager'], holding_message_after_minutes: 5 },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const conversation = async (id: string) => {
    const r = await t.call('GET', `/v1/conversations/${id}`, { key: ws.test });
    assert.equal(r.status, 200, r.text);
    return r.body as { ai_paused: boolean; handoff: Handoff | null; handoff_reason: string | null };
  };
  const messages = async (id: string) =>
    (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
      .data as Array<{
      id: string;
      direction: string;
      text: string;
      created_at: string;
      sender: { type: string };
    }>;
  const lastCustomerMessageAt = async (id: string) =>
    (await messages(id)).filter((m) => m.direction === 'inbound').at(-1)!.created_at;

  it('the AI handoff records when it began and by whom; the customer waits for anyone from then', async () => {
    const from = '+919812350001';
    const conv = await inbound(from, 'I want to talk to the manager');
    advance(1);
    const paused = await eventually(async () => {
      const c = await conversation(conv);
      return c.ai_paused ? c : null;
    }, 30_000);
    const h = paused.handoff!;
    assert.ok(h, 'a paused conversation shows its handoff');
    assert.equal(h.reason, paused.handoff_reason);
    assert.ok(h.reason);
    assert.deepEqual(h.started_by, { type: 'ai', id: agentId });
    assert.ok(h.started_at && !Number.isNaN(Date.parse(h.started_at)));
    assert.equal(h.waiting_since, h.started_at);
    assert.equal(h.waiting_for, null);
    // The escalation event carries the same picture.
    const events = await t.call('GET', `/v1/events?type=conversation.escalated&object_id=${conv}`, {
      key: ws.test,
    });
    assert.equal(events.status, 200, events.text);
    assert.deepEqual(events.body.data[0].data.handoff, h);
    // The Handoffs list shows it too.
    const list = await t.call('GET', '/v1/conversations?ai_paused=true', { key: ws.test });
    assert.deepEqual(list.body.data.find((c: { id: string }) => c.id === conv).handoff, h);

    // The AI's holding message is no answer from a person: the wait goes on.
    await inbound(from, 'hello? is anyone there?');
    advance(6);
    await eventually(async () => {
      const out = (await messages(conv)).filter((m) => m.direction === 'outbound');
      return out.length >= 2 ? out : null;
    }, 30_000);
    assert.equal((await conversation(conv)).handoff!.waiting_since, h.started_at);
  });

  it("assigning names who the customer waits for; a person's reply ends the wait, the next customer message starts one", async () => {
    const from = '+919812350002';
    const conv = await inbound(from, 'manager please');
    advance(1);
    const started = await eventually(async () => (await conversation(conv)).handoff, 30_000);

    const team = await t.call('POST', '/v1/teams', { key: ws.test, body: { name: 'Front desk' } });
    assert.equal(team.status, 201, team.text);
    const assigned = await t.call('POST', `/v1/conversations/${conv}/assign`, {
      key: ws.test,
      body: { team_id: team.body.id },
    });
    assert.equal(assigned.status, 200, assigned.text);
    assert.deepEqual(assigned.body.handoff.waiting_for, { type: 'team', id: team.body.id });
    assert.equal(assigned.body.handoff.waiting_since, started.waiting_since);

    // A person replies through the inbox route: no one waits, the handoff itself stands.
    advance(3);
    const reply = await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: ws.test,
      body: { text: 'Hi, this is Ravi. How can I help?' },
    });
    assert.ok(reply.status < 300, reply.text);
    const c = await conversation(conv);
    assert.equal(c.ai_paused, true);
    assert.equal(c.handoff!.waiting_since, null);
    assert.equal(c.handoff!.started_at, started.started_at);

    // The customer writes: they wait from that message.
    advance(2);
    await inbound(from, 'Can I come at 5?');
    const waiting = await conversation(conv);
    const firstWait = waiting.handoff!.waiting_since as string;
    assert.equal(firstWait, await lastCustomerMessageAt(conv));
    assert.ok(Date.parse(firstWait) > Date.parse(started.started_at as string));
    // A second message does not move the start of the wait.
    advance(1);
    await inbound(from, 'Hello?');
    assert.equal((await conversation(conv)).handoff!.waiting_since, firstWait);

    // A message sent through the API to the number (the batched send path) also answers.
    const sent = await t.call('POST', '/v1/messages', {
      key: ws.test,
      body: { to: from, type: 'text', text: 'Yes, 5 pm works.' },
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.conversation_id, conv);
    assert.equal((await conversation(conv)).handoff!.waiting_since, null);
  });

  it('handing back does not answer again the message that came before the handoff', async () => {
    // The customer asks for the manager and a person takes the conversation before the AI's reply
    // (the burst's window is still open on the app's clock): the handoff answered that message.
    const from = '+919812350004';
    const conv = await inbound(from, 'Can I talk to the manager please');
    now = new Date(now.getTime() + 5);
    const taken = await t.call('POST', `/v1/conversations/${conv}/handoff`, {
      key: ws.test,
      body: { reason: 'Desk took it' },
    });
    assert.equal(taken.status, 200, taken.text);
    advance(1);
    const resolved = await t.call('POST', `/v1/conversations/${conv}/handoff/resolve`, {
      key: ws.test,
      body: {},
    });
    assert.equal(resolved.status, 200, resolved.text);
    // The reply jobs run to their end (the one of the customer's message, held while the burst's
    // window was open, and the hand-back's): nothing was written since the handoff began.
    const done = await eventually(async () => {
      const jobs = await conversationJobs(t, 'ai.reply', conv);
      return jobs.pending === 0 && jobs.keys.includes(`ai-reply:${conv}:resumed`) ? jobs : null;
    }, 30_000);
    assert.ok(
      done.all.every((s) => s === 'completed'),
      done.all.join(),
    );
    const c = await conversation(conv);
    assert.equal(c.handoff, null, 'the AI did not hand off again');
    // At most the API handoff's notice (not sent when the handoff ended before its job ran).
    const outbound = (await messages(conv)).filter((m) => m.direction === 'outbound');
    assert.ok(
      outbound.length <= 1 && outbound.every((m) => /connecting you with a member of our team/.test(m.text)),
      outbound.map((m) => m.text).join(' | '),
    );

    // The customer's next message is the AI's again.
    await inbound(from, 'What time do you open?');
    advance(1);
    await eventually(
      async () => ((await messages(conv)).some((m) => m.direction === 'outbound') ? true : null),
      30_000,
    );
    assert.equal((await conversation(conv)).handoff, null);
  });

  it('handing back clears the handoff; a handoff through the API names the key and leaves the customer waiting', async () => {
    const from = '+919812350003';
    const conv = await inbound(from, 'manager');
    advance(1);
    await eventually(async () => (await conversation(conv)).handoff, 30_000);
    const resolved = await t.call('POST', `/v1/conversations/${conv}/handoff/resolve`, {
      key: ws.test,
      body: {},
    });
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.handoff, null);
    assert.equal((await conversation(conv)).handoff, null);

    // Wait for the AI to answer the next message, so a handoff by the API follows a customer message.
    const before = (await messages(conv)).length;
    await inbound(from, 'What time do you open?');
    advance(1);
    await eventually(async () => ((await messages(conv)).length >= before + 2 ? true : null), 30_000);
    await inbound(from, 'ok and one more thing');
    advance(1);
    const handoff = await t.call('POST', `/v1/conversations/${conv}/handoff`, {
      key: ws.test,
      body: { reason: 'VIP customer' },
    });
    assert.equal(handoff.status, 200, handoff.text);
    const h = handoff.body.handoff as Handoff;
    assert.equal(h.reason, 'VIP customer');
    assert.equal(h.started_by!.type, 'api_key');
    assert.equal(h.started_at, now.toISOString());
    assert.equal(h.waiting_since, h.started_at);
  });
});
