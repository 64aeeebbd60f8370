/**
 * End of turn, as a unit: the end-of-turn object on the virtual clock with the session's hooks
 * faked. The wait after the caller stops depends on what they said (turn-taking.ts rules: longer
 * when trailing off, shorter after a question), on the recogniser's final words, and on the phase.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndOfTurn } from './end-of-turn.ts';
import { VirtualScheduler } from './scheduler.ts';
import { at, FakeTransport, fakeHooks, newCaller, partsOf, scriptedDriver } from './session.testing.ts';
import { CallSession } from './session.ts';
import type { SessionSettings } from './session-types.ts';

/** The caller has the floor (the agent listens), end of turn at 500 ms of silence unless said otherwise. */
function listening(settings: Partial<SessionSettings> = {}, opts: { recogniser?: boolean } = {}) {
  const sched = new VirtualScheduler();
  const { parts, log } = partsOf(sched, new FakeTransport(sched), scriptedDriver().driver, {
    endOfTurnSilenceMs: 500,
    ...settings,
  });
  const caller = newCaller();
  if (opts.recogniser) caller.stt = { push() {}, finalize() {}, close() {} };
  const h = fakeHooks('listening');
  const eot = new EndOfTurn(parts, log, caller, h.hooks);
  const saidAt: number[] = [];
  h.on.said = () => saidAt.push(sched.now());
  /** The caller's speech as the session routes it while they have the floor. */
  const talk = {
    start(text?: string) {
      caller.speaking = true;
      eot.cancel();
      eot.speechStart(text);
    },
    stop() {
      caller.speaking = false;
      const u = caller.utterance!;
      u.end = sched.now();
      u.eotDone = false;
      eot.arm();
      if (caller.stt) u.awaitingFinal = true;
    },
  };
  return { sched, log, caller, h, eot, talk, saidAt };
}

describe('end of turn', () => {
  it('a statement ends at the end-of-turn silence, and is written down and handed on', async () => {
    const c = listening();
    await at(c.sched, 1000);
    c.talk.start('Haircut tomorrow at five');
    await at(c.sched, 2000);
    c.talk.stop();
    await at(c.sched, 2499);
    assert.deepEqual(c.h.named('said'), []);
    await at(c.sched, 2500);
    assert.deepEqual(c.h.named('said'), [['Haircut tomorrow at five', 2000, 500]]);
    assert.deepEqual(c.log.lines, [
      {
        role: 'customer',
        text: 'Haircut tomorrow at five',
        start_ms: 1000,
        end_ms: 2000,
        interrupted: false,
      },
    ]);
    assert.equal(c.caller.utterance, null);
  });

  it('waits longer for words that trail off, less after a complete question', async () => {
    for (const [text, waitMs] of [
      ["I'd like to book a", 1500],
      ['so I was thinking...', 1500],
      ['What time do you close?', 250],
      ['kya aap sunday ko khule ho', 250],
      ['yes please', 500],
    ] as const) {
      const c = listening();
      c.talk.start(text);
      await at(c.sched, 1000);
      c.talk.stop();
      await at(c.sched, 3000);
      assert.deepEqual(c.saidAt, [1000 + waitMs], text);
    }
  });

  it('with the heuristic off, silence alone ends the turn', async () => {
    const c = listening({ endOfTurnHeuristic: false });
    c.talk.start("I'd like to book a");
    await at(c.sched, 1000);
    c.talk.stop();
    await at(c.sched, 3000);
    assert.deepEqual(c.saidAt, [1500]);
  });

  it('a pause shorter than the end-of-turn silence is the same turn', async () => {
    const c = listening();
    c.talk.start('Haircut tomorrow');
    await at(c.sched, 1000);
    c.talk.stop();
    await at(c.sched, 1300);
    c.talk.start('at five');
    await at(c.sched, 2000);
    c.talk.stop();
    await at(c.sched, 5000);
    assert.deepEqual(c.h.named('said'), [['Haircut tomorrow at five', 2000, 500]]);
    assert.equal(c.log.lines.length, 1);
  });

  it("waits for the recogniser's final words; once known, the wait counts from when the caller stopped", async () => {
    const c = listening({}, { recogniser: true });
    c.talk.start();
    c.eot.partial('book a hair');
    await at(c.sched, 1000);
    c.talk.stop();
    await at(c.sched, 1800);
    assert.deepEqual(c.h.named('said'), [], 'the silence passed, the words are not final yet');
    assert.equal(c.eot.final('book a haircut'), true);
    c.eot.wordsKnown();
    await at(c.sched, 1801);
    assert.deepEqual(c.h.named('said'), [['book a haircut', 1000, 800]]);
  });

  it('a final result replaces the partial words it completes', async () => {
    const c = listening({}, { recogniser: true });
    c.talk.start();
    c.eot.partial('what time');
    assert.equal(c.eot.final('what time do you open tomorrow'), true);
    assert.deepEqual(c.caller.utterance?.texts, ['what time do you open tomorrow']);
  });

  it('no turn is taken while the agent has the floor; nothing said is silence', async () => {
    const c = listening();
    c.h.state.phase = 'thinking';
    c.talk.start('and another thing');
    c.talk.stop();
    await at(c.sched, 5000);
    assert.deepEqual(c.h.named('said'), []);
    c.h.state.phase = 'listening';
    c.caller.utterance = null;
    c.talk.start(undefined);
    c.talk.stop();
    await at(c.sched, 10_000);
    assert.deepEqual(c.h.named('said'), []);
    assert.equal(c.h.named('quiet').length, 1);
  });

  it('typed text and keys are turns at once', async () => {
    const c = listening();
    await at(c.sched, 700);
    c.eot.typed('  book me in  ');
    assert.deepEqual(c.h.named('said'), [['book me in', 700, 0]]);
    c.eot.pressed('5');
    assert.deepEqual(c.h.named('answer'), [[{ text: '', dtmf: '5' }, 700, 0]]);
    assert.deepEqual(
      c.log.lines.map((l) => l.text),
      ['book me in', '[pressed 5]'],
    );
  });
});

describe('end of turn, in the session', () => {
  it('a question is answered 250 ms after the caller stops, a trailing-off sentence 1.5 s after', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const answeredAt: number[] = [];
    const script = scriptedDriver({
      greeting: 'Hi.',
      answer: () => {
        answeredAt.push(sched.now());
        return [{ type: 'say', text: 'Okay.' }];
      },
    });
    const { parts } = partsOf(sched, transport, script.driver, { endOfTurnSilenceMs: 500 });
    const session = new CallSession(parts);
    session.start();
    await transport.next('listening');
    const t0 = sched.now();
    sched.after(100, () => transport.sink!.speech({ type: 'start', text: 'What time do you close?' }));
    sched.after(1100, () => transport.sink!.speech({ type: 'end' }));
    await transport.next('listening');
    const t1 = sched.now();
    sched.after(100, () => transport.sink!.speech({ type: 'start', text: "I'd like to book a" }));
    sched.after(1100, () => transport.sink!.speech({ type: 'end' }));
    await at(sched, t1 + 5000);
    assert.deepEqual(answeredAt, [t0 + 1100 + 250, t1 + 1100 + 1500]);
    assert.deepEqual(
      script.turns.map((t) => t.text),
      ['What time do you close?', "I'd like to book a"],
    );
    await session.stop();
  });
});
