import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
 * Deleting an agent: test mode keeps its one sandbox channel per type (a real address, its threads
 * going on, the default agent answering), nothing keeps the deleted agent's id as a live link, and
 * an agent that an unfinished campaign uses cannot be deleted (SPEC §3 agents, §6).
 */
forEachStorage('deleting an agent', (storage) => {
  let t: TestApp;
  before(async () => {
    // An AI reply waits 100 ms for more messages instead of 2 s: what is tested here is which
    // agent answers after a delete, not the burst (ai.test.ts); each test waits for the replies
    // it counts before it goes on.
    t = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 100 }) : m)),
    });
  });
  after(() => t.close());

  const caller = (ws: Workspace) => (method: string, url: string, body?: unknown) =>
    t.call(method, url, { key: ws.test, body });
  const aiReplies = async (call: ReturnType<typeof caller>, conversationId: string) =>
    (
      (await call('GET', `/v1/conversations/${conversationId}/messages?per_page=100`)).body.data as Array<{
        sender: { type: string };
      }>
    ).filter((m) => m.sender.type === 'ai').length;

  /** Every channel and conversation of the workspace's test mode, as the API shows them. */
  const snapshot = async (call: ReturnType<typeof caller>) => ({
    channels: (await call('GET', '/v1/channels?per_page=100')).body.data as Array<{
      id: string;
      type: string;
      address: string;
      agent_id: string | null;
    }>,
    conversations: (await call('GET', '/v1/conversations?per_page=100')).body.data as Array<{
      id: string;
      agent_id: string | null;
      contact_phone: string;
    }>,
  });

  describe('test mode after the delete', () => {
    it("keeps one sandbox channel: the customer's thread goes on, the next agent answers, a send to a customer who just wrote goes out", async () => {
      const ws = await t.workspace({ default_country: 'IN' });
      const call = caller(ws);
      const a = await call('POST', '/v1/agents', { name: 'A' });
      const b = await call('POST', '/v1/agents', { name: 'B' });
      assert.equal(a.status, 201, a.text);
      assert.equal(b.status, 201, b.text);
      const first = await call('POST', '/v1/sandbox/inbound', { from: '+919811110100', text: 'hi' });
      assert.equal(first.status, 200, first.text);
      const firstThread = first.body.conversation_id as string;
      await eventually(async () => (await aiReplies(call, firstThread)) >= 1);

      const del = await call('DELETE', `/v1/agents/${a.body.id}`);
      assert.equal(del.status, 200, del.text);

      const second = await call('POST', '/v1/sandbox/inbound', { from: '+919811110200', text: 'hi' });
      assert.equal(second.status, 200, second.text);
      await eventually(async () => (await aiReplies(call, second.body.conversation_id)) >= 1);
      const sent = await call('POST', '/v1/messages', { to: '+919811110200', type: 'text', text: 'hi' });
      assert.equal(sent.status, 201, sent.text);
      assert.equal(sent.body.conversation_id, second.body.conversation_id, 'the send joins the thread');

      // The first customer writes again: the same thread, answered by the agent that is left.
      const again = await call('POST', '/v1/sandbox/inbound', {
        from: '+919811110100',
        text: 'still there?',
      });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.conversation_id, firstThread, 'no second conversation');
      await eventually(async () => (await aiReplies(call, firstThread)) >= 2);

      const { channels, conversations } = await snapshot(call);
      assert.deepEqual(
        channels.map((c) => [c.type, c.address, c.agent_id]),
        [['whatsapp', '+15550100001', b.body.id]],
        'one sandbox channel, at its own address, answered by the default agent',
      );
      assert.equal(conversations.length, 2, JSON.stringify(conversations));
      for (const c of conversations)
        assert.notEqual(c.agent_id, a.body.id, `${c.id} keeps the deleted agent`);
      assert.equal(conversations.find((c) => c.id === firstThread)?.agent_id, b.body.id);
    });

    it("unlinks the deleted agent's channels and conversations in the delete, and later sends still go out", async () => {
      const ws = await t.workspace({ default_country: 'IN' });
      const call = caller(ws);
      const a = await call('POST', '/v1/agents', { name: 'Only' });
      const opened = await call('POST', '/v1/sandbox/inbound', { from: '+919811110300', text: 'hi' });
      assert.equal(opened.status, 200, opened.text);
      await eventually(async () => (await aiReplies(call, opened.body.conversation_id)) >= 1);
      assert.equal((await call('DELETE', `/v1/agents/${a.body.id}`)).status, 200);
      const { channels, conversations } = await snapshot(call);
      assert.deepEqual(
        channels.map((c) => c.agent_id),
        [null],
      );
      assert.deepEqual(
        conversations.map((c) => c.agent_id),
        [null],
      );
      const sent = await call('POST', '/v1/messages', { to: '+919811110300', type: 'text', text: 'hello' });
      assert.equal(sent.status, 201, sent.text);
      assert.equal(sent.body.conversation_id, opened.body.conversation_id);
      // A new agent becomes the default and takes the channel on the next message.
      const next = await call('POST', '/v1/agents', { name: 'Next' });
      const back = await call('POST', '/v1/sandbox/inbound', { from: '+919811110300', text: 'hi again' });
      assert.equal(back.body.conversation_id, opened.body.conversation_id);
      await eventually(async () => (await aiReplies(call, opened.body.conversation_id)) >= 2);
      const after = await snapshot(call);
      assert.deepEqual(
        after.channels.map((c) => [c.address, c.agent_id]),
        [['+15550100001', next.body.id]],
      );
    });

    it('a thread on the default channel stays there when the next default agent has a number of its own', async () => {
      const ws = await t.workspace({ default_country: 'IN' });
      const call = caller(ws);
      const a = await call('POST', '/v1/agents', { name: 'A' });
      const b = await call('POST', '/v1/agents', { name: 'B', phone_number: '+919811119999' });
      const first = await call('POST', '/v1/sandbox/inbound', { from: '+919811110700', text: 'hi' });
      // B is addressed by its number while A holds the default channel: B answers at its own number.
      const toB = await call('POST', '/v1/sandbox/inbound', {
        from: '+919811110701',
        text: 'hi',
        to: '+919811119999',
      });
      assert.equal(toB.status, 200, toB.text);
      assert.equal((await call('DELETE', `/v1/agents/${a.body.id}`)).status, 200);
      const again = await call('POST', '/v1/sandbox/inbound', { from: '+919811110700', text: 'hello?' });
      assert.equal(again.body.conversation_id, first.body.conversation_id, 'no second conversation');
      const { channels } = await snapshot(call);
      assert.deepEqual(channels.map((c) => [c.address, c.agent_id]).sort(), [
        ['+15550100001', b.body.id],
        ['+919811119999', b.body.id],
      ]);
    });

    it('a paused default agent hands the sandbox channel to the next default agent, with no made-up address', async () => {
      const ws = await t.workspace({ default_country: 'IN' });
      const call = caller(ws);
      const a = await call('POST', '/v1/agents', { name: 'A' });
      const b = await call('POST', '/v1/agents', { name: 'B' });
      const first = await call('POST', '/v1/sandbox/inbound', { from: '+919811110400', text: 'hi' });
      assert.equal((await call('PATCH', `/v1/agents/${a.body.id}`, { status: 'paused' })).status, 200);
      const second = await call('POST', '/v1/sandbox/inbound', { from: '+919811110400', text: 'hello?' });
      assert.equal(second.body.conversation_id, first.body.conversation_id, 'no second conversation');
      const other = await call('POST', '/v1/sandbox/inbound', { from: '+919811110500', text: 'hi' });
      assert.equal(other.status, 200, other.text);
      const { channels, conversations } = await snapshot(call);
      assert.deepEqual(
        channels.map((c) => [c.address, c.agent_id]),
        [['+15550100001', b.body.id]],
      );
      assert.equal(conversations.find((c) => c.id === other.body.conversation_id)?.agent_id, b.body.id);
      const sent = await call('POST', '/v1/messages', { to: '+919811110500', type: 'text', text: 'hi' });
      assert.equal(sent.status, 201, sent.text);
    });
  });

  describe('an unfinished campaign keeps its agent', () => {
    it('refuses the delete with 409 conflict and changes nothing; after the campaign is canceled the delete goes through', async () => {
      const ws = await t.workspace({ default_country: 'IN' });
      const call = caller(ws);
      const agent = await call('POST', '/v1/agents', { name: 'Caller' });
      const opened = await call('POST', '/v1/sandbox/inbound', { from: '+919811110600', text: 'hi' });
      assert.equal(opened.status, 200, opened.text);
      // Answered before the snapshot below, so that the reply cannot change the conversation between.
      await eventually(async () => (await aiReplies(call, opened.body.conversation_id)) >= 1);
      const contact = await call('POST', '/v1/contacts', { phone: '+919811110601' });
      const audience = await call('POST', '/v1/audiences', { name: 'Callers' });
      await call('POST', `/v1/audiences/${audience.body.id}/contacts`, { contact_ids: [contact.body.id] });
      const campaign = await call('POST', '/v1/campaigns', {
        name: 'Calls',
        type: 'voice',
        agent_id: agent.body.id,
        audience_id: audience.body.id,
      });
      assert.equal(campaign.status, 201, campaign.text);
      assert.equal(campaign.body.status, 'draft');
      const before = await snapshot(call);

      const refused = await call('DELETE', `/v1/agents/${agent.body.id}`);
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error.code, 'conflict');
      assert.equal(
        refused.body.error.message,
        `Agent ${agent.body.id} is used by campaign ${campaign.body.id}, which has not finished; cancel it first.`,
      );
      assert.equal(
        (await call('GET', `/v1/agents/${agent.body.id}`)).status,
        200,
        'the agent is still there',
      );
      assert.deepEqual(await snapshot(call), before, 'its channels and conversations are untouched');

      const canceled = await call('POST', `/v1/campaigns/${campaign.body.id}/cancel`);
      assert.equal(canceled.status, 200, canceled.text);
      assert.equal((await call('DELETE', `/v1/agents/${agent.body.id}`)).status, 200);
      assert.equal((await call('GET', `/v1/agents/${agent.body.id}`)).status, 404);
    });
  });
});
