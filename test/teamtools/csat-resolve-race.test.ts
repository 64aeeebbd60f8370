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

interface Msg {
  direction: string;
  type: string;
  text: string | null;
  sender: { type: string } | null;
}

/**
 * A CSAT answer is not lost when the conversation is resolved while the AI's answer is pending
 * (issue 45, item 11): the customer's message, a close within the AI's pause, the question, "5".
 */
forEachStorage('csat: resolved while the AI answer is pending', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let clock = Date.parse('2026-05-11T06:00:00Z');

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => new Date(clock) },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 2000 }) : m)),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Smile Dental' } });
    assert.equal(agent.status, 201, agent.text);
    const faq = await t.call('POST', `/v1/agents/${agent.body.id}/knowledge`, {
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
  const messages = async (id: string) =>
    (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
      .data as Msg[];
  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;

  it('closed within the pause, then "5": the score is recorded and the conversation stays resolved', async () => {
    const from = '+919812600001';
    const id = await inbound(from, 'Do you have parking?');
    clock += 1000;
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test });
    assert.equal(closed.status, 200, closed.text);
    await eventually(async () =>
      (await messages(id)).some((m) => m.direction === 'outbound' && m.type === 'interactive') ? true : null,
    );
    clock += 1000;
    await inbound(from, '5');
    // The AI's pause for the first message has long passed.
    clock += 5000;
    const c = await eventually(async () => {
      const conv = await get(id);
      return conv.csat ? conv : null;
    }, 20_000);
    assert.equal(c.csat.score, 5);
    assert.equal(c.status, 'closed');
    const events = await t.call('GET', `/v1/events?type=csat.received&object_id=${id}`, { key: ws.test });
    assert.equal(events.body.data.length, 1);
  });

  it('"5" before the question is asked (the question is still on its way) counts as the answer', async () => {
    const from = '+919812600002';
    const id = await inbound(from, 'Do you have parking?');
    clock += 1000;
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test });
    assert.equal(closed.status, 200, closed.text);
    // The question is recorded by the job the close queued (its message may still be on its way):
    // from then on a score is its answer. (Before that job runs, nothing has been asked.)
    await eventually(() =>
      t.ctx.db
        .selectFrom('csat_requests')
        .select('id')
        .where('conversation_id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst(),
    );
    await inbound(from, '5');
    clock += 5000;
    const c = await eventually(async () => {
      const conv = await get(id);
      return conv.csat ? conv : null;
    }, 20_000);
    assert.equal(c.csat.score, 5);
  });
});
