import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../agents/index.ts';
import { builtinReply } from './builtin.ts';
import type { AgentTools, EngineInput } from './engine.ts';
import { couldNotAnswerReason, handoffAfter, withoutTeamOffer } from './unanswered.ts';

/** Nobody unseen (issue 62), as units: when the built-in engine hands off, and what it says. */
const agent = (maxUnanswered: number) =>
  ({
    id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    name: 'Glow Salon',
    languages: ['en', 'hi'],
    tools: ['knowledge', 'booking', 'handoff'],
    handoff: { keywords: ['human'], max_unanswered: maxUnanswered },
    business: { timezone: 'Asia/Kolkata', services: [], holidays: [], hours: {} },
    leadFields: [],
  }) as unknown as AgentConfig;
const input = (maxUnanswered: number, extra: Partial<EngineInput> = {}): EngineInput => ({
  agent: agent(maxUnanswered),
  messages: [''],
  history: [],
  variables: {},
  now: new Date('2026-11-23T04:30:00Z'),
  defaultCountry: 'IN',
  ...extra,
});
/** The story mention is answered before any tool: every tool call is a failure of the test. */
const noTools = new Proxy({} as AgentTools, {
  get: (_, name) => () => {
    throw new Error(`no tool should run (${String(name)})`);
  },
});

describe('nobody unseen: the built-in engine', () => {
  it('hands off at the agent setting in chat, and at the second miss at the earliest on a call', () => {
    assert.equal(handoffAfter(input(1)), 1);
    assert.equal(handoffAfter(input(3)), 3);
    assert.equal(handoffAfter(input(0)), 0, '0: never');
    assert.equal(handoffAfter(input(1, { channel: 'voice' })), 2);
    assert.equal(handoffAfter(input(0, { channel: 'voice' })), 0);
  });

  it('names the handoff for the inbox and offers the team once', () => {
    assert.equal(couldNotAnswerReason(1), 'Could not answer a question');
    assert.equal(couldNotAnswerReason(3), 'Could not answer 3 questions in a row');
    assert.equal(
      withoutTeamOffer(
        "I'm sorry, I don't have that information. I'm not sure we offer haircut. Would you like me to connect you with our team?",
      ),
      "I'm sorry, I don't have that information. I'm not sure we offer haircut.",
    );
    assert.equal(
      withoutTeamOffer(
        'Maaf kijiye, spa ki jaankari mere paas nahi hai. Kya main aapko team se connect karun?',
      ),
      'Maaf kijiye, spa ki jaankari mere paas nahi hai.',
    );
  });

  it('thanks an Instagram story mention instead of "I can only read text"', async () => {
    const r = await builtinReply(input(1, { storyMention: true, unsupportedMedia: true }), noTools);
    assert.match(r.reply, /mentioning us in your story/);
    assert.doesNotMatch(r.reply, /only read text/);
    const plain = await builtinReply(input(1, { unsupportedMedia: true }), noTools);
    assert.match(plain.reply, /only read text/);
  });
});
