import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type AiOptions, answerConversation } from '../../src/modules/ai/ai.service.ts';
import type { ActionResult } from '../../src/modules/teamtools/actions.schemas.ts';
import { runAutomations } from '../../src/modules/teamtools/automations.run.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/*
 * An automation on message.received that sends a canned response and the AI's reply both answer
 * the same customer message: exactly one of them does, whichever order their jobs run in. The
 * app runs no jobs (role api); the test runs the AI's reply job and the automation job itself,
 * in the order each case needs.
 */
forEachStorage('automation and AI answering one message', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let fake: FakeLlm;
  let automationId: string;
  const ai: AiOptions = { replyDebounceMs: 0, llm: { timeoutMs: 15_000, maxSteps: 5 } };
  let phone = 0;

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, { env: { PARLEY_ROLE: 'api' } });
    w = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: w.test,
      body: {
        name: 'Shop',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const canned = await t.call('POST', '/v1/canned-responses', {
      key: w.test,
      body: { short_code: 'refund', title: 'Refund', content: 'Refunds take 5 days.' },
    });
    assert.equal(canned.status, 201, canned.text);
    const rule = await t.call('POST', '/v1/automations', {
      key: w.test,
      body: {
        name: 'Refund answer',
        event: 'message.received',
        conditions: [{ field: 'text', op: 'contains', value: 'refund' }],
        actions: [
          { type: 'add_tags', tags: ['refund'] },
          { type: 'send_canned', canned_response_id: canned.body.id },
        ],
      },
    });
    assert.equal(rule.status, 201, rule.text);
    automationId = rule.body.id;
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const thread = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: w.test })).body
        .data as Array<{
        direction: string;
        type: string;
        text: string;
        sender: { type: string };
      }>
    )
      .filter((m) => m.type !== 'note')
      .map((m) => (m.direction === 'inbound' ? `customer: ${m.text}` : `${m.sender.type}: ${m.text}`));
  /** The automation job of the conversation's latest message.received, as the event sink enqueues it. */
  const automationJobOf = async (conversationId: string) => {
    const evt = await t.ctx.db
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'message.received')
      .where('workspace_id', '=', w.id)
      .orderBy('id', 'desc')
      .execute()
      .then((rows) => rows.find((r) => JSON.parse(r.data).conversation_id === conversationId));
    assert.ok(evt, 'the message.received event');
    const message = JSON.parse(evt.data) as { id: string; text: string };
    return {
      eventId: evt.id,
      type: 'message.received',
      workspaceId: w.id,
      livemode: false,
      conversationId,
      at: evt.created_at,
      text: message.text,
      messageId: message.id,
    };
  };
  const resultsOf = async (conversationId: string) => {
    const run = await t.ctx.db
      .selectFrom('automation_runs')
      .selectAll()
      .where('automation_id', '=', automationId)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    return JSON.parse(run.results) as ActionResult[];
  };
  const replyJob = (conversationId: string) =>
    answerConversation(t.ctx, { workspaceId: w.id, livemode: false, conversationId }, ai);

  it('the automation sends while the AI is composing: the AI sends nothing for that message, and answers the next', async () => {
    const from = `+9199000${String(++phone).padStart(5, '0')}`;
    const id = await inbound(from, 'I want a refund');
    const job = await automationJobOf(id);
    // The model is asked once the reply job has read the customer's message: at that moment the
    // automation runs to the end (its canned response is written), then the model answers.
    fake.onRequest = async () => {
      fake.onRequest = undefined;
      await runAutomations(t.ctx, job);
    };
    fake.script.push(say('AI: refunds are processed quickly.'));
    const asked = fake.requests.length;
    await replyJob(id);
    assert.equal(fake.requests.length, asked + 1, 'the AI composed its reply');
    assert.deepEqual(await thread(id), ['customer: I want a refund', 'system: Refunds take 5 days.']);
    assert.deepEqual(
      (await resultsOf(id)).map((r) => [r.type, r.status]),
      [
        ['add_tags', 'ok'],
        ['send_canned', 'ok'],
      ],
    );
    // A later message the automation does not match: the AI answers it as usual.
    await inbound(from, 'thanks, and do you ship abroad?');
    fake.script.push(say('Yes, we ship abroad.'));
    await replyJob(id);
    assert.deepEqual(await thread(id), [
      'customer: I want a refund',
      'system: Refunds take 5 days.',
      'customer: thanks, and do you ship abroad?',
      'ai: Yes, we ship abroad.',
    ]);
  });

  it('the AI answered first: the late automation skips its reply (reported skipped) and runs its other actions', async () => {
    const from = `+9199000${String(++phone).padStart(5, '0')}`;
    const id = await inbound(from, 'refund please');
    fake.script.push(say('Your refund is on its way.'));
    await replyJob(id);
    await runAutomations(t.ctx, await automationJobOf(id));
    assert.deepEqual(await thread(id), ['customer: refund please', 'ai: Your refund is on its way.']);
    const results = await resultsOf(id);
    assert.deepEqual(
      results.map((r) => [r.type, r.status, r.error?.code]),
      [
        ['add_tags', 'ok', undefined],
        ['send_canned', 'skipped', 'already_answered'],
      ],
    );
    assert.match(results[1]!.error!.message, /answered already/);
    const c = await t.call('GET', `/v1/conversations/${id}`, { key: w.test });
    assert.deepEqual(c.body.tags, ['refund']);
  });

  it('a person replying, or a send through the API, is never held back by an earlier answer', async () => {
    const from = `+9199000${String(++phone).padStart(5, '0')}`;
    const id = await inbound(from, 'refund for order 12');
    fake.script.push(say('Looking into it.'));
    await replyJob(id);
    const api = await t.call('POST', '/v1/messages', {
      key: w.test,
      body: { to: from, text: 'Refunded.' },
    });
    assert.equal(api.status, 201, api.text);
    assert.equal(api.body.conversation_id, id);
    const reply = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { text: 'Anything else?' },
    });
    assert.ok(reply.status < 300, reply.text);
    assert.deepEqual(await thread(id), [
      'customer: refund for order 12',
      'ai: Looking into it.',
      'api_key: Refunded.',
      'api_key: Anything else?',
    ]);
  });
});
