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

const allDay = [{ open: '00:00', close: '24:00' }];
const everyDay = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay]),
);

interface Message {
  sender: { type: string };
  status: string;
  text: string | null;
}

/**
 * Nobody unseen (issue 62): a customer the AI cannot answer is offered a person and queued at the
 * first miss (the agent's `handoff.max_unanswered`, default 1), and a conversation an automation
 * marks urgent while the AI answers it goes to a person at once (the handoff policy's
 * `urgent_to_person`, default true). A shop's day and a clinic's day (which keeps two misses).
 */
forEachStorage('nobody unseen', (storage) => {
  let t: TestApp;
  let phone = 0;

  before(async () => {
    t = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 30 }) : m)),
    });
  });
  after(() => t.close());

  async function business(name: string, agentExtra: Record<string, unknown> = {}) {
    const ws = await t.workspace();
    const team = await t.call('POST', '/v1/teams', { key: ws.test, body: { name: 'Support' } });
    assert.equal(team.status, 201, team.text);
    const policy = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { team_id: team.body.id },
    });
    assert.equal(policy.status, 200, policy.text);
    assert.equal(policy.body.urgent_to_person, true, 'on by default');
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name, business: { timezone: 'Asia/Kolkata', hours: everyDay }, ...agentExtra },
    });
    assert.equal(agent.status, 201, agent.text);
    return { ws, teamId: team.body.id as string, agent: agent.body };
  }

  const inbound = async (ws: Workspace, text: string, from?: string) => {
    const number = from ?? `+91982255${String(++phone).padStart(4, '0')}`;
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from: number, text } });
    assert.ok(r.status < 300, r.text);
    return { id: r.body.conversation_id as string, from: number };
  };
  const get = async (ws: Workspace, id: string) =>
    (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;
  const messages = async (ws: Workspace, id: string) =>
    (await t.call('GET', `/v1/conversations/${id}/messages`, { key: ws.test })).body.data as Message[];
  /** The AI's (or the notice's) answers once `count` of them are sent. */
  const answers = (ws: Workspace, id: string, count = 1) =>
    eventually(async () => {
      const sent = (await messages(ws, id)).filter(
        (m) => m.sender.type !== 'customer' && m.status !== 'queued',
      );
      return sent.length >= count ? sent : null;
    }, 15_000);
  const queue = async (ws: Workspace, teamId: string) =>
    (
      (await t.call('GET', `/v1/teams/${teamId}/queue`, { key: ws.test })).body.data as Array<{
        conversation_id: string;
        priority: string;
      }>
    ).map((c) => c.conversation_id);

  it("the shop's day: a question the AI cannot answer is queued at once, an urgent one too", async () => {
    const { ws, teamId, agent } = await business('Green Furniture');
    assert.equal(agent.handoff.max_unanswered, 1, 'the default is one miss');
    const rule = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: {
        name: 'Emergencies are urgent',
        event: 'message.received',
        conditions: [{ field: 'text', op: 'contains_word', value: ['emergency', 'jaldi', 'urgent'] }],
        actions: [{ type: 'set_priority', priority: 'urgent' }],
      },
    });
    assert.equal(rule.status, 201, rule.text);

    const hours = await inbound(ws, 'what are your opening hours?');
    const unknown = await inbound(ws, 'do you take old sofas back when I buy a new one?');
    // Urgent, and a question the AI can answer: only the automation's priority hands it off.
    const leak = await inbound(
      ws,
      'emergency - water leaked on the new mattress, what are your opening hours?',
    );

    // Answered from the business's facts: the AI keeps it, nobody is paged.
    await answers(ws, hours.id);
    assert.equal((await get(ws, hours.id)).ai_paused, false);

    // Could not answer, once: offered a person in the same reply, paused, in the team's queue.
    const [sorry] = await answers(ws, unknown.id);
    assert.match(sorry!.text ?? '', /don't have that information/);
    const c = await eventually(async () => {
      const conv = await get(ws, unknown.id);
      return conv.ai_paused ? conv : null;
    }, 15_000);
    assert.match(c.handoff.reason, /Could not answer/);
    // The person taking over reads a summary first (the built-in engine's, without an LLM).
    const summary = await eventually(
      async () => (await get(ws, unknown.id)).analysis?.summary ?? null,
      15_000,
    );
    assert.match(summary, /old sofas/);

    // Marked urgent by the automation: handed to a person, the customer told, first in the queue.
    let seen: unknown;
    const urgent = await eventually(async () => {
      const conv = await get(ws, leak.id);
      seen = conv;
      return conv.priority === 'urgent' && conv.ai_paused ? conv : null;
    }, 15_000).catch((err) => assert.fail(`${err.message}: ${JSON.stringify(seen)}`));
    assert.equal(urgent.handoff.reason, 'Marked urgent');
    // The customer is answered: the notice that a person will reply, or the AI's answer when it was
    // already answering as the automation ran (the conversation is queued either way).
    await answers(ws, leak.id);
    let ids: string[] = [];
    const waiting = await eventually(async () => {
      ids = await queue(ws, teamId);
      return ids.includes(unknown.id) && ids.includes(leak.id) ? ids : null;
    }, 15_000).catch((err) => assert.fail(`${err.message}: the queue is ${JSON.stringify(ids)}`));
    assert.equal(waiting[0], leak.id, 'urgent first');
    assert.ok(!waiting.includes(hours.id));
  });

  it("the clinic's day: an agent that keeps two misses, and urgency that stays with the AI", async () => {
    const { ws, teamId } = await business('Smile Dental', {
      handoff: { max_unanswered: 2 },
      handoff_policy: { urgent_to_person: false },
    });
    const rule = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: {
        name: 'Pain is urgent',
        event: 'message.received',
        conditions: [{ field: 'text', op: 'contains_word', value: 'pain' }],
        actions: [{ type: 'set_priority', priority: 'urgent' }],
      },
    });
    assert.equal(rule.status, 201, rule.text);

    const patient = await inbound(ws, 'do you have parking for two wheelers?');
    await answers(ws, patient.id);
    assert.equal((await get(ws, patient.id)).ai_paused, false, 'one miss of two: still the AI');
    await inbound(ws, 'is there a lift in the building for my grandmother?', patient.from);
    await eventually(async () => ((await get(ws, patient.id)).ai_paused ? true : null), 15_000);

    // The agent's policy keeps urgent conversations with the AI: the priority changes, no handoff.
    const pain = await inbound(ws, 'I have tooth pain, what are your opening hours?');
    await answers(ws, pain.id);
    const p = await eventually(async () => {
      const conv = await get(ws, pain.id);
      return conv.priority === 'urgent' ? conv : null;
    }, 15_000);
    assert.equal(p.ai_paused, false);
    assert.ok(!(await queue(ws, teamId)).includes(pain.id));
  });

  it('max_unanswered 0 never hands off for unanswered messages; bad values are refused', async () => {
    const { ws } = await business('Quiet Shop', { handoff: { max_unanswered: 0 } });
    const c = await inbound(ws, 'do you take old sofas back when I buy a new one?');
    await answers(ws, c.id);
    await inbound(ws, 'and do you deliver on sundays to the airport hotels?', c.from);
    await answers(ws, c.id, 2);
    assert.equal((await get(ws, c.id)).ai_paused, false);
    const bad = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Bad', handoff: { max_unanswered: -1 } },
    });
    assert.equal(bad.status, 400, bad.text);
    const badPolicy = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { urgent_to_person: 'yes' },
    });
    assert.equal(badPolicy.status, 400, badPolicy.text);
  });
});
