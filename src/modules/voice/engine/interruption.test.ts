/**
 * Interruption (barge-in), as a unit: the speaker and barge-in objects on the virtual clock, the
 * session's hooks faked; then the whole session for what follows an interruption (a recovery).
 * False interruptions (pause and resume) are in false-interruption.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BargeIn } from './barge-in.ts';
import { VirtualScheduler } from './scheduler.ts';
import { at, FakeTransport, fakeHooks, newCaller, partsOf, scriptedDriver } from './session.testing.ts';
import { CallSession } from './session.ts';
import type { SessionSettings } from './session-types.ts';
import { Speaker } from './speaking.ts';
import type { DriverChunk } from './types.ts';

const greeting = 'Hello and welcome to Glow Salon. We cut, colour and style hair every day of the week.';

/** The agent speaking `say` from 0 ms, and barge-in watching over it. */
function agentSpeaking(say: string | DriverChunk[] = greeting, settings: Partial<SessionSettings> = {}) {
  const sched = new VirtualScheduler();
  const transport = new FakeTransport(sched);
  const script = scriptedDriver({ greeting: say });
  const { parts, log } = partsOf(sched, transport, script.driver, settings);
  const caller = newCaller();
  const h = fakeHooks('thinking');
  const speaker = new Speaker(parts, log, h.hooks);
  const bargeIn = new BargeIn(parts, log, speaker, caller, h.hooks);
  transport.attach({
    played: (id) => speaker.played(id),
    audio() {},
    speech() {},
    text() {},
    dtmf() {},
    hungUp() {},
  });
  speaker.speak(script.driver.start(new AbortController().signal), null);
  /** The caller starts or stops speaking, routed as the session routes it while the agent has the floor. */
  const caller_ = {
    start(text: string | undefined) {
      caller.speaking = true;
      return bargeIn.speechStart(text);
    },
    stop() {
      caller.speaking = false;
      if (caller.utterance) caller.utterance.end = sched.now();
      return bargeIn.tooShort();
    },
  };
  return { sched, transport, log, caller, speaker, bargeIn, h, heard: script.heard, talk: caller_ };
}

describe('interruption', () => {
  it('words over the agent past the minimum cut it at once, where the caller heard it', async () => {
    const a = agentSpeaking();
    await at(a.sched, 1000);
    assert.equal(a.h.state.phase, 'speaking');
    assert.equal(
      a.talk.start('I need a haircut'),
      true,
      'the agent has the floor: barge-in takes the speech',
    );
    await at(a.sched, 1299);
    assert.equal(a.transport.clears, 0, 'not before the minimum');
    await at(a.sched, 1300);
    assert.equal(a.transport.clears, 1);
    assert.equal(a.speaker.turn, null);
    assert.equal(a.h.named('interrupted').length, 1);
    assert.deepEqual(a.heard, ['Hello and welcome to']);
    assert.deepEqual(a.log.lines, [
      { role: 'agent', text: 'Hello and welcome to', start_ms: 0, end_ms: 1300, interrupted: true },
    ]);
    assert.equal(a.log.counts.interruptions, 1);
    assert.equal(a.h.named('finished').length, 0, 'a cut turn has no action');
    assert.equal(a.bargeIn.recovered(), true, 'the next answer is a recovery');
    assert.equal(a.bargeIn.recovered(), false, 'once');
  });

  it('a sound shorter than the minimum (a cough) is nothing: the agent speaks to the end', async () => {
    const a = agentSpeaking();
    await at(a.sched, 1000);
    a.talk.start('hm');
    await at(a.sched, 1200);
    assert.equal(a.talk.stop(), true, 'too short');
    await at(a.sched, 20_000);
    assert.equal(a.transport.clears, 0);
    assert.equal(a.h.named('finished').length, 1);
    assert.equal(a.log.lines[0]?.interrupted, false);
    assert.equal(a.log.counts.interruptions, 0);
  });

  it('a backchannel over the agent is counted and ignored', async () => {
    const a = agentSpeaking();
    await at(a.sched, 1000);
    a.talk.start('mhm');
    await at(a.sched, 1400);
    assert.equal(a.caller.utterance?.ignored, true);
    assert.equal(a.log.counts.backchannels, 1);
    await at(a.sched, 20_000);
    assert.equal(a.transport.clears, 0);
    assert.equal(a.h.named('finished').length, 1);
  });

  it('a sentence said `interruptible: false` is not cut; the caller speaking over it is no turn', async () => {
    const a = agentSpeaking([
      { type: 'say', text: 'This call is recorded for quality.', interruptible: false },
    ]);
    await at(a.sched, 500);
    assert.equal(a.talk.start('stop talking'), true);
    assert.equal(a.caller.utterance?.ignored, true);
    await at(a.sched, 20_000);
    assert.equal(a.transport.clears, 0);
    assert.equal(a.log.counts.interruptions, 0);
  });

  it('with interruptions off, nothing the caller says over the agent cuts it', async () => {
    const a = agentSpeaking(greeting, {
      interruptions: { enabled: false, minSpeechMs: 300, ignoreWords: [] },
    });
    await at(a.sched, 1000);
    a.talk.start('I need a haircut');
    await at(a.sched, 20_000);
    assert.equal(a.transport.clears, 0);
    assert.equal(a.caller.utterance?.ignored, true);
  });

  it('typed words cut in at once; a typed backchannel does not', async () => {
    const a = agentSpeaking();
    await at(a.sched, 1000);
    assert.equal(a.bargeIn.cutsIn('ok'), false);
    assert.equal(a.transport.clears, 0);
    assert.equal(a.bargeIn.cutsIn('actually, Saturday'), true);
    assert.equal(a.transport.clears, 1);
    assert.equal(a.log.lines[0]?.end_ms, 1000);
    assert.equal(a.log.lines[0]?.interrupted, true);
  });

  it('when the caller is idle, barge-in does not take their speech (the turn is theirs)', async () => {
    const a = agentSpeaking();
    await at(a.sched, 20_000);
    assert.equal(a.h.state.phase, 'listening');
    assert.equal(a.talk.start('hello'), false);
  });
});

describe('interruption, in the session', () => {
  it('the answer to the interrupting turn counts as a recovery, and the transcript reads in order', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const script = scriptedDriver({ greeting, answer: [{ type: 'say', text: 'A haircut, sure.' }] });
    const { parts, memory } = partsOf(sched, transport, script.driver);
    const session = new CallSession(parts);
    session.start();
    sched.after(1000, () => transport.sink!.speech({ type: 'start', text: 'I need a haircut' }));
    sched.after(1600, () => transport.sink!.speech({ type: 'end' }));
    await at(sched, 10_000);
    assert.deepEqual(script.turns, [{ text: 'I need a haircut' }]);
    assert.deepEqual(session.turnCounts, {
      interruptions: 1,
      false_interruptions: 0,
      backchannels: 0,
      recoveries: 1,
    });
    assert.deepEqual(
      memory.transcript.map((t) => [t.role, t.text, t.interrupted]),
      [
        ['agent', 'Hello and welcome to', true],
        ['customer', 'I need a haircut', false],
        ['agent', 'A haircut, sure.', false],
      ],
    );
    await session.stop();
  });

  it('keys pressed over the agent cut it and are a turn at once', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const script = scriptedDriver({ greeting });
    const { parts, memory } = partsOf(sched, transport, script.driver);
    const session = new CallSession(parts);
    session.start();
    sched.after(700, () => transport.sink!.dtmf('1'));
    await at(sched, 5_000);
    assert.deepEqual(script.turns, [{ text: '', dtmf: '1' }]);
    assert.equal(memory.transcript[0]?.interrupted, true);
    assert.equal(memory.transcript[1]?.text, '[pressed 1]');
    assert.equal(session.turnCounts.interruptions, 1);
    await session.stop();
  });
});
