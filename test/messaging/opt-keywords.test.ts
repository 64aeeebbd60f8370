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
 * A customer's STOP is an opt-out wherever it arrives (a provider webhook or the sandbox, which
 * rehearses live): the contact is opted out with the message, and the agent does not answer it.
 */
forEachStorage('opt-out keywords', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
    ws = await t.workspace({ default_country: 'IN' });
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow Salon' } });
    assert.equal(agent.status, 201, agent.text);
  });
  after(() => t?.close());

  const inbound = async (from: string, text: string, channel?: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from, text, ...(channel ? { channel } : {}) },
    });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const contactOf = async (phone: string) =>
    (await t.call('GET', `/v1/contacts?q=${encodeURIComponent(phone.slice(-10))}`, { key: ws.test })).body
      .data[0];
  const outbound = async (conversationId: string) =>
    (await t.call('GET', `/v1/conversations/${conversationId}/messages`, { key: ws.test })).body.data.filter(
      (m: { direction: string }) => m.direction === 'outbound',
    );
  /** Another customer's question, answered: the reply jobs before it have run. */
  const settled = async (from: string) => {
    const conv = await inbound(from, 'Hi');
    await eventually(async () => (await outbound(conv)).length > 0);
  };

  it('SMS: STOP opts out and is not answered; START opts back in', async () => {
    const phone = '+919800001001';
    const conv = await inbound(phone, 'What time do you open?', 'sms');
    await eventually(async () => (await outbound(conv)).length === 1);
    await inbound(phone, 'STOP', 'sms');
    assert.equal((await contactOf(phone)).opted_out, true);
    await settled('+919800001901');
    assert.equal((await outbound(conv)).length, 1, 'STOP got no answer');
    const refused = await t.call('POST', '/v1/messages', {
      key: ws.test,
      body: { to: phone, channel: 'sms', type: 'text', text: 'One more offer!' },
    });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.error.code, 'contact_opted_out');
    await inbound(phone, 'start', 'sms');
    assert.equal((await contactOf(phone)).opted_out, false);
  });

  it('WhatsApp: STOP and UNSUBSCRIBE opt out; "Cancel" alone (a booking, maybe) does not', async () => {
    const a = '+919800001002';
    const first = await inbound(a, 'Cancel');
    assert.equal((await contactOf(a)).opted_out, false);
    await eventually(async () => (await outbound(first)).length === 1);
    const conv = await inbound(a, 'Unsubscribe.');
    assert.equal(conv, first);
    assert.equal((await contactOf(a)).opted_out, true);
    const before = (await outbound(conv)).length;
    await settled('+919800001902');
    assert.equal((await outbound(conv)).length, before, 'the unsubscribe got no answer');
    const b = '+919800001003';
    await inbound(b, 'stop');
    assert.equal((await contactOf(b)).opted_out, true);
  });
});
