/**
 * False interruption and resume, as a unit: a sound over the agent with no words yet pauses it;
 * the words (or none) then decide: none or a backchannel, and the agent resumes the sentence it
 * was in from its start; words, and it is cut where it paused. The speaker and barge-in objects
 * on the virtual clock, the session's hooks faked; then once through the whole session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BargeIn } from './barge-in.ts';
import { VirtualScheduler } from './scheduler.ts';
import { at, FakeTransport, fakeHooks, newCaller, partsOf, scriptedDriver } from './session.testing.ts';
import { CallSession } from './session.ts';
import { Speaker } from './speaking.ts';

// Two sentences: 6 words (2,160 ms of speech) and 11 words (3,960 ms).
const greeting = 'Hello and welcome to Glow Salon. We cut, colour and style hair every day of the week.';
const first = 2160;
const second = 3960;

/** The agent speaking the greeting from 0 ms; the caller makes a sound at 1 s (no words): paused at 1.3 s. */
async function pausedAgent(opts: { recogniser: boolean }) {
  const sched = new VirtualScheduler();
  const transport = new FakeTransport(sched);
  const script = scriptedDriver({ greeting });
  const { parts, log } = partsOf(sched, transport, script.driver);
  const caller = newCaller();
  if (opts.recogniser) caller.stt = { push() {}, finalize() {}, close() {} };
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
  const talk = {
    start() {
      caller.speaking = true;
      return bargeIn.speechStart(undefined);
    },
    /** The sound ends (as the session routes it): true when the pause was settled at once. */
    stop() {
      caller.speaking = false;
      caller.utterance!.end = sched.now();
      assert.equal(bargeIn.tooShort(), false);
      return bargeIn.soundEnded();
    },
  };
  await at(sched, 1000);
  talk.start();
  await at(sched, 1300);
  assert.equal(transport.clears, 1, 'paused: what was queued is dropped');
  assert.ok(speaker.turn?.paused, 'paused');
  assert.equal(speaker.turn?.paused?.index, 0, 'in the first sentence');
  return { sched, transport, log, caller, speaker, bargeIn, h, talk, heard: script.heard };
}

describe('false interruption and resume', () => {
  it('a sound with no words: the agent resumes the sentence it was in from its start', async () => {
    const a = await pausedAgent({ recogniser: false });
    await at(a.sched, 1500);
    assert.equal(a.talk.stop(), true, 'no recogniser to wait for: settled at once');
    assert.equal(a.speaker.turn?.paused, null);
    assert.equal(a.log.counts.false_interruptions, 1);
    assert.equal(a.log.counts.interruptions, 0);
    // Both sentences again, under new segment ids, from 1.5 s.
    assert.equal(a.transport.played.length, 4);
    const [s1, s2, r1, r2] = a.transport.played;
    assert.deepEqual([r1?.text, r2?.text], [s1?.text, s2?.text]);
    assert.notEqual(r1?.id, s1?.id);
    await at(a.sched, 20_000);
    assert.equal(a.h.named('finished').length, 1);
    assert.deepEqual(a.log.lines, [
      { role: 'agent', text: greeting, start_ms: 0, end_ms: 1500 + first + second, interrupted: false },
    ]);
    assert.deepEqual(a.heard, [], 'the driver was never told of a cut');
  });

  it('with a recogniser, the agent stays paused a short while for the words; none came: it resumes', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 1500);
    assert.equal(a.talk.stop(), false, 'waiting for the words');
    await at(a.sched, 2299);
    assert.ok(a.speaker.turn?.paused);
    await at(a.sched, 2300);
    assert.equal(a.speaker.turn?.paused, null);
    assert.equal(a.log.counts.false_interruptions, 1);
    assert.equal(a.caller.utterance, null, 'the sound is no turn');
  });

  it('words that come while paused cut the agent where it paused, and the caller has the turn', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 1500);
    a.talk.stop();
    await at(a.sched, 1700);
    a.caller.utterance!.texts = ['wait, make it Saturday'];
    a.caller.utterance!.awaitingFinal = false;
    a.bargeIn.settle();
    assert.equal(a.log.counts.interruptions, 1);
    assert.equal(a.log.counts.false_interruptions, 0);
    assert.equal(a.h.named('interrupted').length, 1);
    assert.equal(a.h.named('awaitEndOfTurn').length, 1, 'their turn now ends as any other');
    assert.deepEqual(a.log.lines, [
      { role: 'agent', text: 'Hello and welcome to', start_ms: 0, end_ms: 1300, interrupted: true },
    ]);
    assert.deepEqual(a.heard, ['Hello and welcome to']);
  });

  it('a backchannel heard while paused is a false interruption too', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 1500);
    a.talk.stop();
    a.caller.utterance!.texts = ['mhm'];
    a.bargeIn.settle();
    assert.equal(a.log.counts.false_interruptions, 1);
    assert.equal(a.speaker.turn?.paused, null);
  });

  it('more sound while paused is still undecided: the wait for words starts again when it ends', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 1500);
    a.talk.stop(); // would settle at 2,300
    await at(a.sched, 1800);
    assert.equal(a.talk.start(), true);
    await at(a.sched, 1900);
    assert.equal(a.talk.stop(), false); // now settles at 2,700
    await at(a.sched, 2300);
    assert.ok(a.speaker.turn?.paused, 'the first wait was called off');
    await at(a.sched, 2699);
    assert.ok(a.speaker.turn?.paused);
    await at(a.sched, 2700);
    assert.equal(a.speaker.turn?.paused, null);
    assert.equal(a.log.counts.false_interruptions, 1);
  });

  it('the pause never outlasts 1.5 s, however the sound goes on and off', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 1500);
    a.talk.stop();
    await at(a.sched, 2200);
    a.talk.start();
    await at(a.sched, 2400);
    a.talk.stop(); // would settle at 3,200
    await at(a.sched, 2799);
    assert.ok(a.speaker.turn?.paused);
    await at(a.sched, 2800);
    assert.equal(a.speaker.turn?.paused, null);
    assert.equal(a.log.counts.false_interruptions, 1);
  });

  it('a long noise: after 1.5 s paused the agent goes on, and the rest of the noise is no turn', async () => {
    const a = await pausedAgent({ recogniser: true });
    await at(a.sched, 2799);
    assert.ok(a.speaker.turn?.paused);
    await at(a.sched, 2800);
    assert.equal(a.speaker.turn?.paused, null);
    assert.equal(a.caller.utterance?.ignored, true);
    assert.equal(a.log.counts.false_interruptions, 1);
    await at(a.sched, 20_000);
    assert.equal(a.log.lines[0]?.end_ms, 2800 + first + second);
  });
});

describe('false interruption, in the session', () => {
  it('a sound over the greeting pauses it, it resumes, and the transcript keeps one whole agent line', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const script = scriptedDriver({ greeting });
    const { parts, memory } = partsOf(sched, transport, script.driver);
    const session = new CallSession(parts);
    const listening = transport.next('listening');
    session.start();
    sched.after(1000, () => transport.sink!.speech({ type: 'start', text: '' }));
    sched.after(1500, () => transport.sink!.speech({ type: 'end' }));
    await listening;
    assert.equal(sched.now(), 1500 + first + second);
    assert.deepEqual(session.turnCounts, {
      interruptions: 0,
      false_interruptions: 1,
      backchannels: 0,
      recoveries: 0,
    });
    assert.deepEqual(
      memory.transcript.map((t) => [t.role, t.text, t.interrupted]),
      [['agent', greeting, false]],
    );
    assert.deepEqual(script.turns, []);
    await session.stop();
  });
});
