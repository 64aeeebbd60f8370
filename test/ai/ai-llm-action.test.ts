import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { LLM_FALLBACK_EN, llmReply } from '../../src/modules/ai/llm.ts';
import { allowedActions, parseAnswer } from '../../src/modules/ai/llm-action.ts';
import { ApiError } from '../../src/platform/errors.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';

const now = new Date('2026-05-10T03:30:00Z');

/**
 * Issue 32: the LLM's reply and its action are separate structured fields, and only the action
 * field does anything. The model here is a local fake OpenAI-compatible server.
 */
describe('LLM structured answer: reply and action apart', () => {
  let fake: FakeLlm;
  let world: World;
  let agent: AgentConfig;
  let handoffs: string[];
  let leads: Array<Record<string, unknown>>;

  before(async () => {
    fake = await startFakeLlm();
    agent = salonAgent({
      model: { provider: 'openai_compatible', name: 'llama3', baseUrl: '', apiKey: 'sk-local' },
    });
    agent.model.baseUrl = fake.url;
    world = await createWorld(agent);
    const handoff = world.tools.handoff;
    world.tools.handoff = async (reason) => {
      handoffs.push(reason);
      return handoff(reason);
    };
    world.tools.captureLead = async (lead) => {
      leads.push(lead);
      return { id: 'lead_1' };
    };
  });
  beforeEach(() => {
    handoffs = [];
    leads = [];
    fake.script.length = 0;
    fake.requests.length = 0;
  });
  after(async () => {
    await world.close();
    await fake.close();
  });

  const input = (message: string, a: AgentConfig = agent) => ({
    agent: a,
    messages: [message],
    history: [],
    variables: {},
    now,
    defaultCountry: 'IN',
  });

  it('words that say "I have handed you over" with action answer do NOT hand off', async () => {
    fake.script.push(
      say("I've handed you over to our team; they will reply here shortly.", { type: 'answer' }),
    );
    const r = await llmReply(input('can I talk to a person?'), world.tools, { timeoutMs: 3000 });
    assert.equal(r.handedOff, false);
    assert.deepEqual(handoffs, []);
    assert.ok(!r.actions.some((a) => a.type === 'handoff'));
    assert.equal(r.engine, 'openai_compatible');
  });

  it('action handoff hands off, whatever the words', async () => {
    fake.script.push(say('Sure.', { type: 'handoff', reason: 'asked for a person' }));
    const r = await llmReply(input('can I talk to a person?'), world.tools, { timeoutMs: 3000 });
    assert.equal(r.handedOff, true);
    assert.deepEqual(handoffs, ['asked for a person']);
    assert.equal(r.reply, 'Sure.');
    assert.equal(r.actions.find((a) => a.type === 'handoff')?.data.reason, 'asked for a person');
  });

  it('invalid JSON: one retry that says why, and the retried answer is used', async () => {
    fake.script.push({ content: 'Sure, we are open till 7.' }, say('We are open till 7 pm.'));
    const r = await llmReply(input('till when are you open?'), world.tools, { timeoutMs: 3000 });
    assert.equal(r.reply, 'We are open till 7 pm.');
    assert.equal(fake.requests.length, 2);
    const retry = fake.requests[1].messages;
    assert.equal(retry.at(-2).role, 'assistant');
    assert.equal(retry.at(-2).content, 'Sure, we are open till 7.');
    assert.equal(retry.at(-1).role, 'user');
    assert.match(retry.at(-1).content, /could not be used \(no JSON object\)/);
    assert.deepEqual(handoffs, []);
  });

  it('invalid JSON twice: the documented fallback (apology, handoff to a person), no third request', async () => {
    fake.script.push({ content: '{"reply": "hi", "action": ' }, { content: "I've booked you in!" });
    const r = await llmReply(input('book me at 5'), world.tools, { timeoutMs: 3000 });
    assert.equal(fake.requests.length, 2);
    assert.equal(r.reply, LLM_FALLBACK_EN);
    assert.equal(r.engine, 'fallback');
    assert.equal(r.handedOff, true);
    assert.match(handoffs[0], /unreadable answer twice/);
    assert.ok(!r.actions.some((a) => a.type === 'booking_created'), 'the words booked nothing');
  });

  it('an action the agent does not have is an unreadable answer (retried), never executed', async () => {
    const noHandoff = { ...agent, tools: ['knowledge' as const] };
    fake.script.push(say('Connecting you.', { type: 'handoff' }), say("I can't connect you, sorry."));
    const r = await llmReply(input('a human please', noHandoff), world.tools, { timeoutMs: 3000 });
    assert.equal(r.reply, "I can't connect you, sorry.");
    assert.deepEqual(handoffs, []);
    assert.match(fake.requests[1].messages.at(-1).content, /action handoff is not available/);
    assert.doesNotMatch(fake.requests[0].messages[0].content, /"handoff" with/);
  });

  it('a booking the calendar refuses replaces the reply: the customer is not told it was booked', async () => {
    const book = world.tools.book;
    world.tools.book = async () => {
      throw new ApiError('conflict', 'The slot overlaps another booking.');
    };
    try {
      fake.script.push(say('Booked for 3 pm!', { type: 'book', start_at: '2026-05-11T09:30:00Z' }));
      const r = await llmReply(input('book 3pm tomorrow'), world.tools, { timeoutMs: 3000 });
      assert.match(r.reply, /couldn't book that time: The slot overlaps another booking/);
      assert.ok(!r.actions.some((a) => a.type === 'booking_created'));
      assert.equal(r.handedOff, false);
    } finally {
      world.tools.book = book;
    }
  });

  it('cancel with no booking says so; a lead given alongside is saved', async () => {
    fake.script.push(
      say('Cancelled!', { type: 'cancel' }, { name: 'Ravi', email: 'ravi@example.com', phone: '' }),
    );
    const r = await llmReply(input("I'm Ravi, ravi@example.com, cancel my booking"), world.tools, {
      timeoutMs: 3000,
    });
    assert.equal(r.reply, "I couldn't find an upcoming booking to cancel.");
    assert.deepEqual(leads, [{ name: 'Ravi', email: 'ravi@example.com' }]);
  });

  it('accepts the object inside a ```json fence and an action given as a bare string', async () => {
    fake.script.push({ content: '```json\n{"reply": "Hello!", "action": "answer"}\n```' });
    const r = await llmReply(input('hi'), world.tools, { timeoutMs: 3000 });
    assert.equal(r.reply, 'Hello!');
    assert.equal(fake.requests.length, 1);
  });

  it('on a call: end_call and transfer come from the field; chat never has them', () => {
    assert.deepEqual(allowedActions(agent, undefined), [
      'answer',
      'book',
      'reschedule',
      'cancel',
      'handoff',
      'capture_lead',
    ]);
    const onCall = allowedActions(agent, { transferTo: null, human: true });
    assert.ok(onCall.includes('end_call') && onCall.includes('transfer'));
    assert.equal(
      parseAnswer('{"reply":"bye","action":{"type":"end_call"}}', allowedActions(agent, undefined)).ok,
      false,
    );
    const ok = parseAnswer('{"reply":"bye","action":{"type":"end_call"}}', onCall);
    assert.ok(ok.ok && ok.answer.action.type === 'end_call');
    assert.equal(
      parseAnswer('{"reply":"x","action":{"type":"book"}}', onCall).ok,
      false,
      'book needs start_at',
    );
  });
});
