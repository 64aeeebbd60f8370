import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type AiOptions, answerConversation } from '../../src/modules/ai/ai.service.ts';
import { sendHandoffNotice } from '../../src/modules/ai/out-of-hours.ts';
import { getConversationRow, setConversationPriority } from '../../src/modules/conversations/index.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '24:00' }];
const everyDay = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay]),
);

/*
 * A known race (issue 62): an automation (or the API) marks a conversation urgent while the AI is
 * writing its reply. The urgent handoff (`urgent_to_person`) queues the notice that a person will
 * reply; the AI's reply, sent first, used to count as "someone wrote to the customer since the
 * handoff", so the notice was dropped and the customer never heard a person was coming. The app
 * runs no jobs (role api): the test holds the model while the priority changes, then runs the
 * notice's job itself, after the AI's reply, and again (a retry) to see it sent exactly once.
 */
forEachStorage('marked urgent while the AI writes', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let fake: FakeLlm;
  const ai: AiOptions = { replyDebounceMs: 0, llm: { timeoutMs: 15_000, maxSteps: 5 } };
  let phone = 0;
  let from = '';

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, { env: { PARLEY_ROLE: 'api' } });
    w = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: w.test,
      body: {
        name: 'Green Furniture',
        business: { timezone: 'Asia/Kolkata', hours: everyDay },
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const scope = () => ({ workspaceId: w.id, livemode: false });
  const inbound = async (text: string) => {
    from = `+9199100${String(++phone).padStart(5, '0')}`;
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const thread = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: w.test })).body
        .data as Array<{ direction: string; type: string; text: string; sender: { type: string } }>
    )
      .filter((m) => m.type !== 'note')
      .map((m) => (m.direction === 'inbound' ? `customer: ${m.text}` : `${m.sender.type}: ${m.text}`));
  /** The notice job the urgent handoff queued, run as the queue would (and run again: a retry). */
  const noticeJob = async (id: string) => {
    const row = await getConversationRow(t.ctx.db, scope(), id);
    assert.ok(row.handoff_at, 'handed off');
    await sendHandoffNotice(t.ctx, {
      ...scope(),
      conversationId: id,
      handoffAt: row.handoff_at,
      outOfHours: null,
    });
  };
  const escalations = async (id: string) =>
    (
      await t.ctx.db
        .selectFrom('events')
        .select('data')
        .where('type', '=', 'conversation.escalated')
        .execute()
    ).filter((e) => JSON.parse(e.data).id === id).length;

  it('the AI answers first, then the customer is told a person is coming, once', async () => {
    const id = await inbound('emergency - water leaked on the new mattress during delivery');
    // The model is asked: at that moment the automation marks the conversation urgent.
    fake.onRequest = async () => {
      fake.onRequest = undefined;
      await setConversationPriority(t.ctx, scope(), id, 'urgent', { type: 'automation', id: null } as never);
    };
    fake.script.push(say("I'm so sorry about the mattress! Please keep it dry."));
    await answerConversation(t.ctx, { ...scope(), conversationId: id }, ai);
    const conv = await getConversationRow(t.ctx.db, scope(), id);
    assert.equal(conv.ai_paused, 1, 'handed to a person');
    assert.equal(conv.handoff_reason, 'Marked urgent');
    await noticeJob(id);
    await noticeJob(id);
    assert.deepEqual(await thread(id), [
      'customer: emergency - water leaked on the new mattress during delivery',
      "ai: I'm so sorry about the mattress! Please keep it dry.",
      "ai: I'm connecting you with a member of our team; they will reply here shortly.",
    ]);
    assert.equal(await escalations(id), 1, 'the team is told once');
  });

  it('an AI reply that handed off itself says so: no second notice', async () => {
    const id = await inbound('jaldi reply karo, carpenter is waiting');
    fake.onRequest = async () => {
      fake.onRequest = undefined;
      await setConversationPriority(t.ctx, scope(), id, 'urgent', { type: 'automation', id: null } as never);
    };
    fake.script.push(
      say("I'm connecting you with a member of our team.", { type: 'handoff', reason: 'Carpenter waiting' }),
    );
    await answerConversation(t.ctx, { ...scope(), conversationId: id }, ai);
    await noticeJob(id);
    assert.deepEqual(await thread(id), [
      'customer: jaldi reply karo, carpenter is waiting',
      "ai: I'm connecting you with a member of our team.",
    ]);
    assert.equal(await escalations(id), 1, 'the team is told once');
  });

  it('a person who wrote since the handoff: no notice', async () => {
    const id = await inbound('urgent: the delivery van hit my gate');
    await setConversationPriority(t.ctx, scope(), id, 'urgent', { type: 'automation', id: null } as never);
    const sent = await t.call('POST', '/v1/messages', {
      key: w.test,
      body: { to: from, type: 'text', text: 'Calling you now.' },
    });
    assert.equal(sent.status, 201, sent.text);
    await noticeJob(id);
    assert.equal((await thread(id)).filter((m) => m.includes('will reply here shortly')).length, 0);
  });
});
