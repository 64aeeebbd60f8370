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
  text: string | null;
  direction: string;
  sender: { type: string } | null;
  created_at: string;
}

/**
 * A burst of customer messages is answered once (issue 45, item 6): the pause restarts with each
 * new message (2 s after the latest), capped 8 s after the first. The app's clock is held and
 * moved by the test, so the window is measured on it.
 */
forEachStorage('ai: a burst is answered once, after its latest message', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let clock = Date.parse('2026-05-11T06:00:00Z');
  const at = (ms: number) => {
    clock += ms;
  };

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
  });
  after(() => t.close());

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const replies = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
        .data as Msg[]
    ).filter((m) => m.direction === 'outbound');

  it('four messages over 2.3 s get one reply, to all of them', async () => {
    const from = '+919812500001';
    // A control customer writing once at the same moment: their reply is the signal that the
    // first message's 2 s have passed for the reply jobs.
    const control = await inbound('+919812500002', 'do you have parking?');
    const id = await inbound(from, 'hi');
    at(700);
    await inbound(from, 'I wanted to ask');
    at(800);
    await inbound(from, 'about your clinic');
    at(600);
    // 2.1 s after the first message, 0.6 s after the latest: the control is answered, this burst waits.
    await eventually(async () => ((await replies(control)).length >= 1 ? true : null), 20_000);
    at(200);
    await inbound(from, 'do you have parking?');
    at(2100);
    const [reply] = await eventually(async () => {
      const out = await replies(id);
      return out.length >= 1 ? out : null;
    }, 20_000);
    assert.match(reply!.text!, /free parking/, 'the reply answers the latest message too');
    // A new message after the reply is a new burst: its answer is the second reply, nothing between.
    await inbound(from, 'thanks');
    at(2100);
    const out = await eventually(async () => {
      const o = await replies(id);
      return o.length >= 2 ? o : null;
    }, 20_000);
    assert.equal(out.length, 2, out.map((m) => m.text).join(' | '));
  });

  it('a customer who keeps typing is answered 8 s after their first message', async () => {
    const from = '+919812500003';
    const id = await inbound(from, 'hello');
    for (let i = 0; i < 5; i++) {
      at(1500);
      await inbound(from, i === 4 ? 'do you have parking?' : `and ${i}`);
    }
    // 7.5 s after the first; the latest was just now. At 8 s the window closes whatever comes.
    at(600);
    const [reply] = await eventually(async () => {
      const out = await replies(id);
      return out.length >= 1 ? out : null;
    }, 20_000);
    assert.match(reply!.text!, /free parking/);
  });
});
