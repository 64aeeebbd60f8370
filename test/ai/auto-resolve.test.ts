import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * `auto_resolve_after_minutes` (issue 45, item 12): a conversation the AI answered last, whose
 * customer stays silent, is resolved with the usual events (and CSAT asked); one handed off, or
 * whose customer wrote again, is not.
 */
forEachStorage('auto-resolve idle AI conversations', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  const base = Date.parse('2026-05-11T06:00:00Z');
  const started = Date.now();
  let jumped = 0;
  const advance = (minutes: number) => {
    jumped += minutes * 60_000;
  };

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => new Date(base + (Date.now() - started) + jumped) },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 100 }) : m)),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Smile Dental' } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    const faq = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
      key: ws.test,
      body: {
        doc_type: 'faq',
        faqs: [{ question: 'Do you have parking?', answer: 'Yes, free parking in the basement.' }],
      },
    });
    assert.equal(faq.status, 201, faq.text);
    const csat = await t.call('PUT', '/v1/csat/settings', {
      key: ws.test,
      body: { enabled: true, question: 'How did we do?' },
    });
    assert.equal(csat.status, 200, csat.text);
  });
  after(() => t.close());

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const aiReplies = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
        .data as Array<{
        direction: string;
        sender: { type: string } | null;
        type: string;
      }>
    ).filter((m) => m.direction === 'outbound' && m.sender?.type === 'ai' && m.type === 'text');
  const answered = (id: string, n = 1) =>
    eventually(async () => ((await aiReplies(id)).length >= n ? true : null), 20_000);
  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;

  it('is validated: 0 is refused, null turns it off; an agent may set its own', async () => {
    const zero = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { auto_resolve_after_minutes: 0 },
    });
    assert.equal(zero.status, 400, zero.text);
    const off = await t.call('GET', '/v1/handoff-policy', { key: ws.test });
    assert.equal(off.body.auto_resolve_after_minutes, null, 'off by default');
    const agent = await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: ws.test,
      body: { handoff_policy: { auto_resolve_after_minutes: 30 } },
    });
    assert.equal(agent.status, 200, agent.text);
    assert.equal(agent.body.handoff_policy.auto_resolve_after_minutes, 30);
  });

  it('the AI answered last and the customer stayed silent: resolved, with its events and CSAT', async () => {
    const quiet = await inbound('+919812700001', 'Do you have parking?');
    const talkative = await inbound('+919812700002', 'Do you have parking?');
    const handedOff = await inbound('+919812700003', 'Do you have parking?');
    await Promise.all([answered(quiet), answered(talkative), answered(handedOff)]);
    const h = await t.call('POST', `/v1/conversations/${handedOff}/handoff`, {
      key: ws.test,
      body: { reason: 'vip' },
    });
    assert.equal(h.status, 200, h.text);
    advance(20);
    await inbound('+919812700002', 'and do you have parking on Sunday?');
    await answered(talkative, 2);
    // 31 minutes after the first answers, 11 after the talkative customer's second one.
    advance(11);
    const resolved = await eventually(async () => {
      const c = await get(quiet);
      return c.status === 'closed' ? c : null;
    }, 20_000);
    assert.equal(resolved.ai_paused, false);
    const events = await t.call('GET', `/v1/events?type=conversation.resolved&object_id=${quiet}`, {
      key: ws.test,
    });
    assert.equal(events.body.data.length, 1);
    assert.deepEqual(events.body.data[0].actor, { type: 'ai', id: agentId });
    await eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${quiet}/messages`, { key: ws.test })).body.data;
      return msgs.some((m: { type: string }) => m.type === 'interactive') ? true : null;
    });
    assert.equal((await get(talkative)).status, 'active', 'the customer wrote since: not yet');
    assert.equal((await get(handedOff)).status, 'active', 'a handoff is never auto-resolved');
    advance(20);
    await eventually(async () => ((await get(talkative)).status === 'closed' ? true : null), 20_000);

    assert.equal((await get(handedOff)).status, 'active');
  });
});
