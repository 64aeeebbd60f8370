import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxStt, sandboxTts } from '../speech/sandbox.ts';
import { heardText } from './heard-text.ts';
import { SandboxCallee } from './sandbox-callee.ts';
import { VirtualScheduler } from './scheduler.ts';
import { memoryRecorder } from './session.testing.ts';
import { CallSession, defaultSessionSettings, type SessionSettings } from './session.ts';
import { endOfTurnMs, turnShape } from './turn-taking.ts';
import type { CallDriver, SandboxScript } from './types.ts';

const greeting = 'Hello, this is Glow Salon. How can I help you today?';

/** One simulated call on virtual time: a scripted driver, the sandbox callee, the real session. */
async function simulate(script: SandboxScript, settings: Partial<SessionSettings> = {}) {
  const sched = new VirtualScheduler();
  const callee = new SandboxCallee(sched, script);
  const memory = memoryRecorder();
  const heardByDriver: string[] = [];
  const driver: CallDriver = {
    async *start() {
      yield { type: 'say', text: greeting };
    },
    async *reply(turn) {
      yield { type: 'say', text: `You said ${turn.text}. Anything else I can do for you?` };
    },
    async *reprompt() {
      yield { type: 'say', text: 'Are you still there?' };
    },
    interrupted(heard) {
      heardByDriver.push(heard);
    },
  };
  const session = new CallSession({
    callId: 'call_test',
    transport: callee,
    driver,
    stt: sandboxStt,
    tts: sandboxTts,
    scheduler: sched,
    settings: { ...defaultSessionSettings, ...settings },
    recorder: memory.recorder,
  });
  session.start();
  await session.done;
  return {
    transcript: memory.transcript,
    callee,
    heardByDriver,
    counts: session.turnCounts,
    end: memory.end(),
  };
}

describe('end of turn from the words said so far', () => {
  it('waits longer for a sentence that trails off, less for a complete question', () => {
    for (const t of [
      "I'd like to book a",
      'and um',
      'haircut for the',
      'mujhe kal ka',
      'so I was thinking...',
    ])
      assert.equal(turnShape(t), 'incomplete', t);
    for (const t of ['What time do you close?', 'when do you open on sunday', 'kya aap sunday ko khule ho'])
      assert.equal(turnShape(t), 'question', t);
    for (const t of ['Haircut tomorrow at 5', 'yes please', 'ok']) assert.equal(turnShape(t), 'statement', t);
    assert.equal(endOfTurnMs("I'd like to book a", { baseMs: 500 }), 1500);
    assert.equal(endOfTurnMs("I'd like to book a", { baseMs: 1200 }), 3000);
    assert.equal(endOfTurnMs('What time do you close?', { baseMs: 500 }), 250);
    assert.equal(endOfTurnMs('Haircut tomorrow', { baseMs: 500 }), 500);
    assert.equal(endOfTurnMs("I'd like to book a", { baseMs: 500, heuristic: false }), 500);
  });
});

describe('what the caller heard of a cut turn', () => {
  const seg = (id: string, text: string, playStart: number, durationMs: number) => ({
    id,
    text,
    durationMs,
    playStart,
    playEnd: playStart + durationMs,
    played: false,
    open: false,
    samples: 0,
  });
  it('takes the frames the transport sent over the clock, whole sentences and the words of the one under way', () => {
    const segs = [
      seg('a', 'Hello, this is Glow Salon.', 0, 1800),
      seg('b', 'How can I help you today?', 1800, 2160),
    ];
    // By the clock 2300 ms had played; the transport sent only 1000 ms of the first sentence.
    assert.equal(heardText(segs, 2300).text, 'Hello, this is Glow Salon. How');
    const sent: Record<string, number> = { a: 1000, b: 0 };
    assert.equal(heardText(segs, 2300, (id) => sent[id]).text, 'Hello, this is');
    assert.equal(heardText(segs, 100, () => 0).heardAny, false);
  });
});

describe('turn-taking on a simulated call', () => {
  it('a backchannel said over the agent never stops it', async () => {
    const r = await simulate({
      lines: [{ text: 'haan ji', barge_in: true, after_ms: 600 }],
      hangup_after_lines: true,
    });
    assert.equal(r.transcript[0].text, greeting);
    assert.equal(r.transcript[0].interrupted, false);
    assert.deepEqual(r.callee.heard, ['Hello, this is Glow Salon.', 'How can I help you today?']);
    assert.equal(r.counts.backchannels, 1);
    assert.equal(r.counts.interruptions, 0);
  });

  it('a cough pauses the agent, which resumes the sentence it was in (not the whole reply)', async () => {
    // The first sentence plays 0-1800 ms; the cough starts at 2000 ms, in the second one.
    const r = await simulate({
      lines: [{ text: '[cough]', barge_in: true, after_ms: 2000 }],
      hangup_after_lines: true,
    });
    assert.deepEqual(r.callee.heard, [
      'Hello, this is Glow Salon.',
      'How can I help you today?',
      'How can I help you today?',
    ]);
    assert.equal(r.transcript[0].text, greeting);
    assert.equal(r.transcript[0].interrupted, false);
    // Resumed the moment the cough ended (500 ms long): 2500 + the second sentence's 2160 ms.
    assert.equal(r.transcript[0].end_ms, 2500 + 2160);
    assert.deepEqual(r.counts, { interruptions: 0, false_interruptions: 1, backchannels: 0, recoveries: 0 });
    assert.ok(!r.transcript.some((t) => t.role === 'customer'), 'a cough is no turn');
  });

  it('a long noise with no words: the agent resumes after the pause limit, and the rest of it is no turn', async () => {
    const r = await simulate({
      lines: [{ text: '[music 4000]', barge_in: true, after_ms: 2000 }],
      hangup_after_lines: true,
    });
    assert.equal(r.transcript[0].text, greeting);
    assert.equal(r.transcript[0].interrupted, false);
    // Paused at 2300 ms, resumed at the 1500 ms limit (3800 ms): the second sentence again, whole.
    assert.equal(r.transcript[0].end_ms, 3800 + 2160);
    assert.equal(r.counts.false_interruptions, 1);
    assert.ok(!r.transcript.some((t) => t.role === 'customer'));
  });

  it('a real interruption cuts the turn to what was heard, and the next answer counts as a recovery', async () => {
    const r = await simulate({
      lines: [{ text: 'Sorry, can I book a haircut tomorrow', barge_in: true, after_ms: 2000 }],
      hangup_after_lines: true,
    });
    const [agent, customer, answer] = r.transcript;
    // Cut 300 ms after the caller started (the barge-in minimum): 500 ms into the second sentence.
    assert.equal(agent.text, 'Hello, this is Glow Salon. How');
    assert.equal(agent.interrupted, true);
    assert.deepEqual(r.heardByDriver, ['Hello, this is Glow Salon. How']);
    assert.equal(customer.text, 'Sorry, can I book a haircut tomorrow');
    assert.match(answer.text, /^You said Sorry/);
    assert.deepEqual(r.counts, { interruptions: 1, false_interruptions: 0, backchannels: 0, recoveries: 1 });
  });

  it('a caller who trails off is waited for; without the heuristic the agent cuts them off', async () => {
    const script: SandboxScript = {
      lines: ["I'd like to book a...", { text: 'haircut tomorrow at 5', after_ms: 900 }],
      hangup_after_lines: true,
    };
    const withIt = await simulate(script);
    assert.equal(withIt.callee.stats.cutOffs, 0);
    assert.equal(withIt.transcript[1].text, "I'd like to book a haircut tomorrow at 5");
    const without = await simulate(script, { endOfTurnHeuristic: false });
    assert.equal(without.callee.stats.cutOffs, 1);
    assert.equal(without.transcript[1].text, "I'd like to book a");
  });

  it('a complete question is answered sooner than the end-of-turn silence', async () => {
    const q = await simulate({ lines: ['What time do you close?'], hangup_after_lines: true });
    const s = await simulate({ lines: ['Haircut tomorrow at five'], hangup_after_lines: true });
    assert.deepEqual(q.callee.stats.gapsMs, [250]);
    assert.deepEqual(s.callee.stats.gapsMs, [500]);
  });

  it('a caller who only says fillers: from the third in a row they count as silence (re-prompt, then silence_timeout)', async () => {
    const r = await simulate({ lines: ['hmm', 'hmm', 'okay', 'hmm'] });
    assert.deepEqual(
      r.transcript.map((t) => `${t.role}: ${t.text}`),
      [
        `agent: ${greeting}`,
        'customer: hmm',
        'agent: You said hmm. Anything else I can do for you?',
        'customer: hmm',
        'agent: You said hmm. Anything else I can do for you?',
        'customer: okay',
        'agent: Are you still there?',
        'customer: hmm',
      ],
    );
    assert.equal(r.end?.reason, 'silence_timeout');
  });

  it('a caller who interrupts every sentence: each turn is stored cut and interrupted, the call ends on silence', async () => {
    const cut = { text: 'wait, what about the price', barge_in: true, after_ms: 600 } as const;
    const r = await simulate({ lines: [cut, cut, cut] });
    const agentTurns = r.transcript.filter((t) => t.role === 'agent');
    assert.deepEqual(
      agentTurns.map((t) => t.interrupted),
      [true, true, true, false, false],
      JSON.stringify(r.transcript),
    );
    assert.equal(agentTurns.at(-1)?.text, 'Are you still there?');
    assert.equal(r.end?.reason, 'silence_timeout');
    assert.deepEqual(r.counts, { interruptions: 3, false_interruptions: 0, backchannels: 0, recoveries: 3 });
  });
});
