import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import { type DialogueState, heardState } from '../../src/modules/ai/dialogue.ts';
import type { EngineResult, Turn } from '../../src/modules/ai/engine.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/**
 * The built-in agent's dialogue state (issue #28): where a booking, a move, a cancellation offer or
 * an offer to connect with the team stands is data handed from one turn to the next, never read
 * from the wording of the agent's earlier replies. Every reply is reworded before it goes into the
 * history the agent reads, and each flow still completes; read from that history instead (as the
 * agent did before), the same flows break.
 */

// Monday 23 November 2026, 10:30 in Bengaluru: "tomorrow" is a Tuesday, open 10:00-19:00.
const now = new Date('2026-11-23T05:00:00Z');

interface Talk {
  results: EngineResult[];
  state: DialogueState | null;
  history: Turn[];
}

/**
 * Sends each message as a turn. Each reply is put in the history reworded (nothing of its words
 * kept); with `keepState` the state the reply left goes with the next turn.
 */
async function talk(world: World, messages: string[], keepState = true): Promise<Talk> {
  const history: Turn[] = [];
  const results: EngineResult[] = [];
  let state: DialogueState | null = null;
  for (const [i, message] of messages.entries()) {
    const r = await builtinReply(
      {
        agent: world.agent,
        messages: [message],
        history: [...history],
        variables: {},
        now,
        defaultCountry: 'IN',
        ...(keepState ? { state } : {}),
      },
      world.tools,
    );
    results.push(r);
    state = r.state ?? null;
    history.push({ role: 'customer', text: message }, { role: 'agent', text: `(reply ${i + 1}, reworded)` });
  }
  return { results, state, history };
}

const did = (t: Talk, type: string) => t.results.flatMap((r) => r.actions).filter((a) => a.type === type);

describe('the built-in agent keeps its dialogue state as data', () => {
  let world: World;
  before(async () => {
    world = await createWorld(salonAgent());
  });
  after(() => world.close());

  it('books after a "Shall I book it?" whatever its words, and not when the state is read from them', async () => {
    world.booked.clear();
    const t = await talk(world, ['can I come tomorrow at 5 pm for a haircut?', 'yes']);
    assert.equal(t.results[0].state?.task, 'booking');
    assert.equal(t.results[0].state?.awaiting, 'confirm');
    assert.deepEqual(
      { serviceId: t.results[0].state?.slots.serviceId, time: t.results[0].state?.slots.time },
      { serviceId: world.agent.business.services[0].id, time: '17:00' },
    );
    assert.equal(did(t, 'booking_created').length, 1, t.results.map((r) => r.reply).join('\n'));
    assert.equal(t.state?.task, null, 'nothing pending once booked');

    world.booked.clear();
    const fromWords = await talk(world, ['can I come tomorrow at 5 pm for a haircut?', 'yes'], false);
    assert.equal(did(fromWords, 'booking_created').length, 0, 'the reworded question is not understood');
  });

  it('asks for the service, then the day, then books: every step from the state', async () => {
    world.booked.clear();
    const t = await talk(world, ['I want to book an appointment', 'Facial', 'tomorrow at 3 pm']);
    assert.match(t.results[0].reply, /Which service/);
    assert.match(t.results[1].reply, /What day and time would you like for your Facial/);
    const made = did(t, 'booking_created');
    assert.equal(made.length, 1, t.results.map((r) => r.reply).join('\n'));
    assert.equal(made[0].data.service_id, world.agent.business.services[1].id);
    assert.equal(made[0].data.start_at, '2026-11-24T09:30:00Z');
  });

  it('answers a side question in the middle of a booking and asks its question again', async () => {
    world.booked.clear();
    const t = await talk(world, ['can I come tomorrow at 5 pm for a haircut?', 'how much is it?', 'yes']);
    assert.match(t.results[1].reply, /500/);
    assert.match(t.results[1].reply, /Shall I book it\?/);
    assert.equal(did(t, 'booking_created').length, 1);
  });

  it('moves a booking on the yes to "Shall I move it?"', async () => {
    world.booked.clear();
    world.booked.add('2026-11-25T05:30:00Z');
    const t = await talk(world, ['can I shift my appointment to tomorrow at 4 pm?', 'yes']);
    assert.equal(t.results[0].state?.task, 'reschedule');
    assert.equal(t.results[0].state?.awaiting, 'confirm');
    const moved = did(t, 'booking_rescheduled');
    assert.equal(moved.length, 1, t.results.map((r) => r.reply).join('\n'));
    assert.equal(moved[0].data.start_at, '2026-11-24T10:30:00Z');
  });

  it('cancels on the yes to the offer made after the cancellation policy', async () => {
    world.booked.clear();
    world.booked.add('2026-11-25T05:30:00Z');
    const t = await talk(world, ['what if I need to cancel?', 'yes please']);
    assert.equal(t.results[0].state?.task, 'cancel');
    assert.equal(did(t, 'booking_cancelled').length, 1, t.results.map((r) => r.reply).join('\n'));
  });

  it('keeps the lead’s details as slots and connects to the team on the yes to its offer', async () => {
    world.booked.clear();
    const t = await talk(world, ['I am Asha, 9876543210', 'do you do tattoos?', 'yes']);
    assert.equal(t.results[0].state?.task, 'lead');
    assert.equal(t.results[0].state?.slots.phone, '+919876543210');
    assert.equal(t.results[1].state?.offer, 'handoff');
    assert.equal(t.results[1].state?.slots.name, 'Asha', 'the details stay with the conversation');
    assert.equal(t.results[2].handedOff, true, t.results.map((r) => r.reply).join('\n'));
  });

  it('on a call, a confirmation question the caller never heard is not confirmed by a later yes', async () => {
    world.booked.clear();
    const first = await talk(world, ['can I come tomorrow at 5 pm for a haircut?']);
    const asked = first.state!;
    const reply = first.results[0].reply;
    const question = /Shall I book it\?/.exec(reply);
    assert.ok(question, reply);
    // Cut before the question: the yes answers nothing heard, so the question is asked again.
    const cut = heardState(asked, reply.slice(0, question.index).trim());
    assert.equal(cut.unheard, true);
    const yes = await builtinReply(
      {
        agent: world.agent,
        messages: ['yes'],
        history: first.history,
        variables: {},
        now,
        defaultCountry: 'IN',
        state: cut,
      },
      world.tools,
    );
    assert.equal(yes.actions.filter((a) => a.type === 'booking_created').length, 0, yes.reply);
    assert.match(yes.reply, /Shall I book it\?/);
    const again = await builtinReply(
      {
        agent: world.agent,
        messages: ['yes'],
        history: first.history,
        variables: {},
        now,
        defaultCountry: 'IN',
        state: yes.state,
      },
      world.tools,
    );
    assert.equal(again.actions.filter((a) => a.type === 'booking_created').length, 1, again.reply);

    // Heard to its end, the question stands: the yes books.
    world.booked.clear();
    assert.equal(heardState(asked, reply).unheard, undefined);
    const whole = await builtinReply(
      {
        agent: world.agent,
        messages: ['yes'],
        history: first.history,
        variables: {},
        now,
        defaultCountry: 'IN',
        state: asked,
      },
      world.tools,
    );
    assert.equal(whole.actions.filter((a) => a.type === 'booking_created').length, 1, whole.reply);
  });
});
