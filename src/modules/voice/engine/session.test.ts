/**
 * The call session as a unit: fake transport, fake recogniser and driver, the real VAD, on the
 * virtual clock (no server, no real sleeps). Turn-taking scenarios with the sandbox callee are in
 * turn-taking.test.ts; these are the seams: audio in, VAD, recogniser, end of turn, barge-in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxTts } from '../speech/sandbox.ts';
import { VirtualScheduler } from './scheduler.ts';
import { memoryRecorder, FakeTransport as SharedFakeTransport } from './session.testing.ts';
import { CallSession, defaultSessionSettings } from './session.ts';
import { PRE_ROLL_MS, SpeechGate } from './speech-gate.ts';
import type { CallDriver, CallerTurn, SttEngine } from './types.ts';

const FRAME = 320;
const silence = (ms: number) => new Int16Array((ms / 20) * FRAME);
/** A voice-like sound (a 150 Hz buzz with its harmonics, its loudness moving at 4 Hz): voiced to the VAD throughout. */
const voice = (ms: number) =>
  Int16Array.from({ length: (ms / 20) * FRAME }, (_, i) => {
    const t = i / 16_000;
    let s = 0;
    for (let h = 1; h <= 10; h++) s += Math.sin(2 * Math.PI * 150 * h * t) / h;
    return Math.round(5000 * s * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t)));
  });

/** The shared fake transport, fed caller audio in 20 ms frames as a socket would. */
class FakeTransport extends SharedFakeTransport {
  audio(pcm: Int16Array) {
    for (let off = 0; off < pcm.length; off += FRAME) this.sink!.audio(pcm.subarray(off, off + FRAME));
  }
}

/** A recogniser that counts the samples it was given and says `words` for each utterance. */
function fakeStt(words: string, speechOnly: boolean) {
  const seen = { samples: 0, utterances: [] as number[] };
  let since = 0;
  const engine: SttEngine = {
    name: 'fake',
    open: (_o, listener) => ({
      ...(speechOnly ? { speechOnly: true } : {}),
      push(pcm) {
        seen.samples += pcm.length;
        since += pcm.length;
      },
      finalize() {
        seen.utterances.push(since);
        since = 0;
        void Promise.resolve().then(() => listener.final(words));
      },
      close() {},
    }),
  };
  return { engine, seen };
}

function call(opts: {
  stt?: SttEngine;
  greeting?: string;
  settings?: Partial<typeof defaultSessionSettings>;
}) {
  const sched = new VirtualScheduler();
  const transport = new FakeTransport(sched);
  const turns: CallerTurn[] = [];
  const interrupted: string[] = [];
  const memory = memoryRecorder();
  let replied: (() => void) | null = null;
  const reply = new Promise<void>((r) => {
    replied = r;
  });
  const driver: CallDriver = {
    async *start() {
      yield { type: 'say', text: opts.greeting ?? 'Hello, how can I help?' };
    },
    async *reply(turn) {
      turns.push(turn);
      replied?.();
      yield { type: 'say', text: 'Sure.' };
    },
    async *reprompt() {
      yield { type: 'say', text: 'Are you still there?' };
    },
    interrupted: (heard) => interrupted.push(heard),
  };
  const session = new CallSession({
    callId: 'call_unit',
    transport,
    driver,
    stt: opts.stt ?? fakeStt('', false).engine,
    tts: sandboxTts,
    scheduler: sched,
    settings: { ...defaultSessionSettings, ...opts.settings },
    recorder: memory.recorder,
  });
  return {
    sched,
    transport,
    session,
    turns,
    interrupted,
    transcript: memory.transcript,
    reply,
    end: memory.end,
  };
}

describe('session: audio in, VAD, recogniser, end of turn', () => {
  it('a recogniser of whole utterances gets the speech and the moment before it, not the silence', async () => {
    const stt = fakeStt('book a haircut', true);
    const c = call({ stt: stt.engine });
    const listening = c.transport.next('listening');
    c.session.start();
    await listening;
    // 5 s of silence, 1 s of speech, 1 s of silence: 350 frames in all.
    c.transport.audio(silence(5000));
    c.transport.audio(voice(1000));
    c.transport.audio(silence(1000));
    await c.reply;
    assert.deepEqual(c.turns, [{ text: 'book a haircut' }]);
    assert.equal(stt.seen.utterances.length, 1);
    const got = stt.seen.utterances[0]!;
    // The pre-roll, the second of speech and the VAD's hangover (its own, then our 4 frames): not
    // the 5 s of silence before it (112,000 samples were fed in all).
    assert.ok(got >= 16_000 && got <= PRE_ROLL_MS * 16 + 16_000 + 12 * FRAME, `${got} samples`);
    assert.equal(c.transcript[1]?.role, 'customer');
    assert.equal(c.transcript[1]?.text, 'book a haircut');
    await c.session.stop();
    await c.session.done;
  });

  it('a streaming recogniser (no speechOnly) gets every frame, silence included', async () => {
    const stt = fakeStt('hello', false);
    const c = call({ stt: stt.engine });
    const listening = c.transport.next('listening');
    c.session.start();
    await listening;
    c.transport.audio(silence(2000));
    c.transport.audio(voice(600));
    c.transport.audio(silence(400));
    await c.reply;
    assert.equal(stt.seen.samples >= 3000 * 16 - FRAME, true, `${stt.seen.samples}`);
    await c.session.stop();
  });

  it('the end of turn waits for the silence after speech: a short pause is the same turn', async () => {
    const stt = fakeStt('I would like to book', true);
    const c = call({ stt: stt.engine, settings: { endOfTurnSilenceMs: 500 } });
    const listening = c.transport.next('listening');
    c.session.start();
    await listening;
    // Two bursts 200 ms apart (shorter than the end-of-turn silence): one caller turn.
    c.transport.audio(voice(400));
    c.transport.audio(silence(200));
    c.transport.audio(voice(400));
    c.transport.audio(silence(600));
    await c.reply;
    assert.equal(c.turns.length, 1);
    assert.equal(c.transcript.filter((t) => t.role === 'customer').length, 1);
    await c.session.stop();
  });
});

describe('session: barge-in', () => {
  it('words over the agent past the minimum cut it where the caller heard it', async () => {
    const c = call({
      greeting: 'Hello and welcome to Glow Salon. We cut, colour and style hair every day of the week.',
    });
    c.session.start();
    // The caller talks over the greeting 1 s in, for 600 ms (past the 300 ms minimum).
    c.sched.after(1000, () => c.transport.sink!.speech({ type: 'start', text: 'I need a haircut' }));
    c.sched.after(1600, () => c.transport.sink!.speech({ type: 'end' }));
    await c.reply;
    assert.equal(c.transport.clears, 1);
    assert.equal(c.interrupted.length, 1);
    const agent = c.transcript.find((t) => t.role === 'agent');
    assert.equal(agent?.interrupted, true);
    // Cut when the barge-in was decided (1 s + the 300 ms minimum), not at the greeting's end.
    assert.equal(agent?.end_ms, 1300);
    assert.deepEqual(c.turns, [{ text: 'I need a haircut' }]);
    assert.equal(c.session.turnCounts.interruptions, 1);
    await c.session.stop();
  });

  it('a backchannel over the agent is no interruption: the agent goes on to the end', async () => {
    const c = call({
      greeting: 'Hello and welcome to Glow Salon. We cut, colour and style hair every day of the week.',
    });
    const listening = c.transport.next('listening');
    c.session.start();
    c.sched.after(1000, () => c.transport.sink!.speech({ type: 'start', text: 'mhm' }));
    c.sched.after(1500, () => c.transport.sink!.speech({ type: 'end' }));
    await listening;
    assert.equal(c.transport.clears, 0);
    assert.equal(c.session.turnCounts.backchannels, 1);
    assert.equal(c.transcript[0]?.interrupted, false);
    assert.equal(c.turns.length, 0);
    await c.session.stop();
  });

  it('with interruptions off, the caller speaking over the agent is not a turn', async () => {
    const c = call({
      greeting: 'Hello and welcome to Glow Salon. We cut, colour and style hair every day of the week.',
      settings: { interruptions: { ...defaultSessionSettings.interruptions, enabled: false } },
    });
    const listening = c.transport.next('listening');
    c.session.start();
    c.sched.after(1000, () => c.transport.sink!.speech({ type: 'start', text: 'I need a haircut' }));
    c.sched.after(1600, () => c.transport.sink!.speech({ type: 'end' }));
    await listening;
    assert.equal(c.transport.clears, 0);
    assert.equal(c.turns.length, 0);
    await c.session.stop();
    assert.deepEqual(c.end(), { reason: 'canceled', status: 'canceled' });
  });
});

describe('speech gate (pre-roll)', () => {
  it('keeps the last PRE_ROLL_MS, hands it over oldest first across the ring edge, then empties', () => {
    const gate = new SpeechGate(1000);
    const frame = new Int16Array(FRAME);
    for (let i = 0; i < 7; i++) gate.keep(frame.fill(i)); // 2,240 samples into a ring of 1,000
    assert.equal(gate.kept, 1000);
    const out: number[] = [];
    gate.flush({ push: (pcm) => out.push(...pcm), finalize() {}, close() {} });
    assert.equal(out.length, 1000);
    // The newest 1,000: the last 40 of frame 3, then frames 4, 5 and 6.
    assert.deepEqual([out[0], out[39], out[40], out[999]], [3, 3, 4, 6]);
    assert.equal(gate.kept, 0);
    gate.flush({ push: () => assert.fail('nothing kept'), finalize() {}, close() {} });
  });
});
