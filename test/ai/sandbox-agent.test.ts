import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * In the sandbox, a message to an agent reaches that agent (issue 45, item 10): by its number or
 * by `agent_id`, never silently the workspace's default agent.
 */
forEachStorage('sandbox: writing to a chosen agent', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const agents: Record<string, string> = {};

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    for (const [name, body] of [
      ['salon', { name: 'Glow Salon' }],
      ['clinic', { name: 'Smile Dental', phone_number: '+14155550171' }],
      ['bare', { name: 'No number' }],
    ] as const) {
      const r = await t.call('POST', '/v1/agents', { key: ws.test, body });
      assert.equal(r.status, 201, r.text);
      agents[name] = r.body.id;
    }
  });
  after(() => t.close());

  const inbound = (body: Record<string, unknown>) =>
    t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body });
  const answeredBy = async (conversationId: string) =>
    eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${conversationId}/messages`, { key: ws.test }))
        .body.data as Array<{ direction: string; sender: { type: string; id: string } | null }>;
      return msgs.find((m) => m.direction === 'outbound' && m.sender?.type === 'ai')?.sender?.id;
    });

  it('agent_id reaches that agent at its number; the default agent answers without it', async () => {
    const plain = await inbound({ from: '+919812800001', text: 'hello' });
    assert.equal(plain.status, 200, plain.text);
    assert.equal(await answeredBy(plain.body.conversation_id), agents.salon);
    const chosen = await inbound({ from: '+919812800001', text: 'hello', agent_id: agents.clinic });
    assert.equal(chosen.status, 200, chosen.text);
    assert.notEqual(chosen.body.conversation_id, plain.body.conversation_id, 'its own thread');
    assert.equal(await answeredBy(chosen.body.conversation_id), agents.clinic);
  });

  it('an agent without a number while another holds the default channel: a 409 that says what to do', async () => {
    const r = await inbound({ from: '+919812800002', text: 'hello', agent_id: agents.bare });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.errors[0].field, 'agent_id');
    assert.match(r.body.error.message, /phone_number/);
  });

  it('bad choices are 4xx naming agent_id', async () => {
    const both = await inbound({
      from: '+919812800003',
      text: 'hi',
      agent_id: agents.clinic,
      to: '+14155550171',
    });
    assert.equal(both.status, 400, both.text);
    const ghost = await inbound({
      from: '+919812800003',
      text: 'hi',
      agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    });
    assert.equal(ghost.status, 404, ghost.text);
    const malformed = await inbound({ from: '+919812800003', text: 'hi', agent_id: 'nope' });
    assert.equal(malformed.status, 400, malformed.text);
  });

  it('in a workspace whose default channel is free, an agent without a number takes it', async () => {
    const other = await t.workspace();
    const first = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'First' } });
    const second = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'Second' } });
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: other.test,
      body: { from: '+919812800004', text: 'hello', agent_id: second.body.id },
    });
    assert.equal(r.status, 200, r.text);
    const msgs = await eventually(async () => {
      const d = (
        await t.call('GET', `/v1/conversations/${r.body.conversation_id}/messages`, { key: other.test })
      ).body.data as Array<{ direction: string; sender: { id: string } | null }>;
      return d.find((m) => m.direction === 'outbound');
    });
    assert.equal(msgs.sender?.id, second.body.id);
    assert.ok(first.body.id);
  });
});
