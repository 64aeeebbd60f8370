import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../agents/index.ts';
import {
  type DialogueState,
  freshState,
  heardState,
  lastQuestion,
  newTransition,
  nextState,
  stateFromHistory,
  type Transition,
  taskWords,
} from './dialogue.ts';

/*
 * The built-in agent's dialogue steps as data (dialogue.ts), without a database, an agent run or
 * HTTP: each reply is a transition from one state to the next. test/ai/builtin-dialogue.test.ts runs
 * whole conversations through the agent; this file pins the transitions themselves.
 */

const step = (over: Partial<Transition>): Transition => ({ ...newTransition(), ...over });
const booking = (awaiting: 'slot' | 'confirm' | null, slots = {}): Transition =>
  step({ step: { task: 'booking', awaiting, slots, locale: 'en' } });

/** Only `business.services` is read (the services a reply names). */
const agent = {
  business: {
    services: [
      { id: 'svc_cut', name: 'Haircut', duration_minutes: 30 },
      { id: 'svc_nail', name: 'Nail Trim', duration_minutes: 20 },
    ],
  },
} as unknown as AgentConfig;

describe('lastQuestion', () => {
  it('keeps a short question with the sentence that sets it up', () => {
    assert.equal(
      lastQuestion('Thanks! 17:00 on Monday is free. Shall I book it?'),
      '17:00 on Monday is free. Shall I book it?',
    );
  });
  it('keeps a long question alone, and the whole text when nothing is asked', () => {
    const long = 'We are open till seven. Which day and time would you like for your haircut appointment?';
    assert.equal(lastQuestion(long), 'Which day and time would you like for your haircut appointment?');
    assert.equal(lastQuestion('Your booking is made.'), 'Your booking is made.');
  });
});

describe('nextState: a reply step moves the task on', () => {
  it('starts a task from a fresh state, keeping what the reply waits for and the question', () => {
    const s = nextState(
      freshState(),
      booking('slot', { serviceId: 'svc_cut' }),
      ['haircut please'],
      'Sure. Which day?',
      true,
    );
    assert.equal(s.task, 'booking');
    assert.equal(s.awaiting, 'slot');
    assert.deepEqual(s.slots, { serviceId: 'svc_cut' });
    assert.equal(s.prompt, 'Sure. Which day?');
    assert.deepEqual(s.said, [['haircut please']]);
    assert.equal(s.unanswered, 0);
  });

  it('gathers slots of the same task across turns and keeps the last three bursts', () => {
    let s = nextState(freshState(), booking('slot', { serviceId: 'svc_cut' }), ['a'], 'Which day?', true);
    s = nextState(s, booking('slot', { date: '2026-11-24' }), ['b'], 'Which time?', true);
    s = nextState(s, booking('slot'), ['c'], 'Which time?', true);
    s = nextState(
      s,
      booking('confirm', { time: '17:00' }),
      ['d', 'e'],
      '17:00 is free. Shall I book it?',
      true,
    );
    assert.deepEqual(s.slots, { serviceId: 'svc_cut', date: '2026-11-24', time: '17:00' });
    assert.equal(s.awaiting, 'confirm');
    assert.deepEqual(s.said, [['b'], ['c'], ['d', 'e']]);
    assert.deepEqual(taskWords(s), ['e', 'd', 'c']);
  });

  it("drops the slots of another task but keeps the customer's lead fields", () => {
    const withLead = nextState(
      freshState(),
      step({ lead: { name: 'Asha', phone: '+919800000000' } }),
      ['Asha'],
      'Thanks Asha.',
      true,
    );
    assert.equal(withLead.task, 'lead');
    let s = nextState(withLead, booking('slot', { serviceId: 'svc_cut' }), ['haircut'], 'Which day?', true);
    s = nextState(
      s,
      step({ step: { task: 'cancel', awaiting: 'confirm', locale: 'en' } }),
      ['cancel it'],
      'Would you like me to cancel it?',
      true,
    );
    assert.equal(s.task, 'cancel');
    assert.deepEqual(s.slots, { name: 'Asha', phone: '+919800000000' });
    assert.deepEqual(s.said, [['cancel it']]);
  });

  it('a side question (keep) leaves the task where it was and asks its question again', () => {
    const s0 = nextState(
      freshState(),
      booking('confirm', { time: '17:00' }),
      ['book 5pm'],
      'Shall I book it?',
      true,
    );
    const s = nextState(s0, step({ keep: true }), ['how much is it?'], 'It is ₹500. Shall I book it?', true);
    assert.equal(s.task, 'booking');
    assert.equal(s.awaiting, 'confirm');
    assert.deepEqual(s.slots, { time: '17:00' });
    assert.deepEqual(s.said, s0.said, 'a side question is not part of the task');
    assert.equal(s.prompt, 'It is ₹500. Shall I book it?');
  });

  it('no step ends the task; an offer to connect with the team is kept with its question', () => {
    const s0 = nextState(freshState(), booking('slot'), ['book'], 'Which day?', true);
    const ended = nextState(s0, newTransition(), ['thanks'], 'You are welcome.', true);
    assert.equal(ended.task, null);
    assert.equal(ended.prompt, '');
    const offered = nextState(
      s0,
      step({ offer: 'handoff' }),
      ['?'],
      'Sorry. Shall I connect you with our team?',
      false,
    );
    assert.equal(offered.task, null);
    assert.equal(offered.offer, 'handoff');
    assert.equal(offered.prompt, 'Shall I connect you with our team?');
  });

  it('counts replies that could not answer in a row, and starts again at an answer', () => {
    let s = freshState();
    s = nextState(s, newTransition(), ['x'], "I'm sorry, I don't have that information.", false);
    s = nextState(s, newTransition(), ['y'], "I'm sorry, I don't have that information.", false);
    assert.equal(s.unanswered, 2);
    s = nextState(s, newTransition(), ['z'], 'We open at ten.', true);
    assert.equal(s.unanswered, 0);
  });

  it('keeps the booking made last until another is made or it is cancelled', () => {
    const booked = { bookingId: 'bkg_1', serviceId: 'svc_cut', date: '2026-11-24', time: '17:00' };
    let s = nextState(freshState(), step({ booked }), ['yes'], 'Booked!', true);
    assert.deepEqual(s.booked, booked);
    s = nextState(s, newTransition(), ['thanks'], 'You are welcome.', true);
    assert.deepEqual(s.booked, booked, 'a later turn that books nothing keeps it');
    s = nextState(s, step({ booked: null }), ['cancel it'], 'Cancelled.', true);
    assert.equal(s.booked ?? null, null);
  });
});

describe('heardState: a reply the caller cut off', () => {
  const asked: DialogueState = {
    ...freshState(),
    task: 'booking',
    awaiting: 'confirm',
    prompt: '17:00 is free. Shall I book it?',
    offer: 'handoff',
  };
  it('keeps the question pending when the caller heard it', () => {
    assert.equal(heardState(asked, '17:00 is free. Shall I book it?'), asked);
  });
  it('marks the question unheard (and drops the offer) when the cut came before it', () => {
    const s = heardState(asked, '17:00 is free.');
    assert.equal(s.unheard, true);
    assert.equal(s.offer, null);
    assert.equal(s.task, 'booking');
  });
  it('changes nothing when nothing was asked', () => {
    const none = freshState();
    assert.equal(heardState(none, ''), none);
  });
});

describe('stateFromHistory: histories that come without a state', () => {
  it('reads a pending confirmation and the one service the agent named', () => {
    const s = stateFromHistory(
      [
        { role: 'customer', text: 'haircut tomorrow 5pm' },
        { role: 'agent', text: 'A Haircut at 17:00 tomorrow is free. Shall I book it?' },
      ],
      agent,
    );
    assert.equal(s.task, 'booking');
    assert.equal(s.awaiting, 'confirm');
    assert.deepEqual(s.slots, { serviceId: 'svc_cut' });
    assert.deepEqual(s.said, [['haircut tomorrow 5pm']]);
  });
  it('reads a move, a cancel offer and a team offer', () => {
    const last = (text: string) =>
      stateFromHistory(
        [
          { role: 'customer', text: 'hi' },
          { role: 'agent', text },
        ],
        agent,
      );
    const move = last('What new day and time would suit you?');
    assert.deepEqual([move.task, move.awaiting], ['reschedule', 'slot']);
    const cancel = last('Your booking is on Tuesday. Would you like me to cancel it?');
    assert.deepEqual([cancel.task, cancel.awaiting, cancel.said], ['cancel', 'confirm', []]);
    const team = last('I cannot help with that. Shall I connect you with our team?');
    assert.deepEqual([team.task, team.offer], [null, 'handoff']);
    assert.notEqual(team.prompt, '');
  });
  it('counts the unanswered streak at the end of the history and asks nothing after a plain reply', () => {
    const sorry = "I'm sorry, I don't have that information.";
    const s = stateFromHistory(
      [
        { role: 'customer', text: 'a' },
        { role: 'agent', text: 'We open at ten.' },
        { role: 'customer', text: 'b' },
        { role: 'agent', text: sorry },
        { role: 'customer', text: 'c' },
        { role: 'agent', text: sorry },
      ],
      agent,
    );
    assert.equal(s.unanswered, 2);
    assert.equal(s.task, null);
    assert.equal(s.prompt, '');
  });
});
