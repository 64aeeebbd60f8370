/**
 * `npm run bench -- turns`: turn-taking (issue #30), in process, on the real call session.
 * - `end of turn`: scripted sandbox callers who pause inside sentences ("I'd like to book a...",
 *   then the rest after 600-2,000 ms), ask questions, or answer plainly; each script runs with
 *   silence alone ending the turn (before) and with the end-of-turn heuristic (after). Counted:
 *   cut-offs (the agent started talking in a pause inside the caller's sentence) and dead air
 *   (the wait from the end of the caller's words to the agent's first audio). Virtual time, so
 *   the figures are exact and do not depend on the machine.
 * - `resume`: real time. `BENCH_RESUME_CALLS` (default 8) calls at once; 2 s into the greeting
 *   the "microphone" sends 500 ms of a voiced sound, then silence, as 20 ms frames paced in real
 *   time, through the real VAD and the sandbox recogniser (no words). Measured: from the first
 *   silent frame to the agent's sentence being handed to the transport again. Goal: < 300 ms.
 */

import { SandboxCallee } from '../src/modules/voice/engine/sandbox-callee.ts';
import { RealScheduler, VirtualScheduler } from '../src/modules/voice/engine/scheduler.ts';
import {
  CallSession,
  defaultSessionSettings,
  type TranscriptTurn,
} from '../src/modules/voice/engine/session.ts';
import type {
  CallDriver,
  CallTransport,
  OutSegment,
  SandboxScript,
  TransportSink,
} from '../src/modules/voice/engine/types.ts';
import { sandboxStt, sandboxTts } from '../src/modules/voice/speech/sandbox.ts';

const greeting = 'Hello, this is Glow Salon. How can I help you today?';
const driver = (): CallDriver => ({
  async *start() {
    yield { type: 'say', text: greeting };
  },
  async *reply() {
    yield { type: 'say', text: 'Sure. Anything else?' };
  },
  async *reprompt() {
    yield { type: 'say', text: 'Are you still there?' };
  },
});
const recorder = (transcript: TranscriptTurn[] = []) => ({
  async turn(t: TranscriptTurn) {
    transcript.push(t);
  },
  latency() {},
  async ended() {},
});

const r1 = (n: number) => Math.round(n * 10) / 10;
function pct(values: number[], q: number) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : Number.NaN;
}

// ------------------------------------------------------------------------------ end of turn

const cont = (first: string, rest: string, pauseMs: number): SandboxScript => ({
  lines: [`${first}...`, { text: rest, after_ms: pauseMs }],
  hangup_after_lines: true,
});
const plain = (...lines: string[]): SandboxScript => ({ lines, hangup_after_lines: true });
const scripts: SandboxScript[] = [
  cont("I'd like to book a", 'haircut tomorrow at 5', 900),
  cont('Can I come in on', 'Saturday morning', 1100),
  cont('My name is', 'Asha Verma', 700),
  cont('I want a facial and um', 'a manicure too', 1200),
  cont('mujhe kal ka', 'appointment chahiye', 1000),
  cont("I'd like the", 'same stylist as last time', 1400),
  cont('Book it for the', 'afternoon', 600),
  cont('And the price for', 'a hair spa', 800),
  cont('I was thinking maybe', 'next week', 1300),
  cont('Can you move it to', 'Friday', 2000),
  plain('What time do you close?'),
  plain('How much is a haircut?'),
  plain('when do you open on sunday'),
  plain('Haircut tomorrow at five'),
  plain('yes please'),
  plain('Is there parking near the salon?'),
];

async function simulate(script: SandboxScript, heuristic: boolean) {
  const sched = new VirtualScheduler();
  const callee = new SandboxCallee(sched, script);
  const session = new CallSession({
    callId: 'call_bench',
    transport: callee,
    driver: driver(),
    stt: sandboxStt,
    tts: sandboxTts,
    scheduler: sched,
    settings: { ...defaultSessionSettings, endOfTurnHeuristic: heuristic },
    recorder: recorder(),
  });
  session.start();
  await session.done;
  // The greeting is not an answer to anything: only gaps after the caller's lines count.
  return callee.stats;
}

console.log('--- end of turn: scripted callers with pauses inside sentences (virtual time) ---');
for (const heuristic of [false, true]) {
  let cutOffs = 0;
  const gaps: number[] = [];
  for (const s of scripts) {
    const st = await simulate(s, heuristic);
    cutOffs += st.cutOffs;
    gaps.push(...st.gapsMs);
  }
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  console.log(
    `${heuristic ? 'after (heuristic)' : 'before (silence only)'}: ${scripts.length} callers, ` +
      `${cutOffs} cut-offs; dead air before the agent's answer: n=${gaps.length} p50=${pct(gaps, 0.5)} ms ` +
      `p95=${pct(gaps, 0.95)} ms mean=${r1(mean)} ms max=${Math.max(...gaps)} ms`,
  );
}

// ------------------------------------------------------------------------------ resume

/** 20 ms of a voiced sound (harmonics of 140 Hz) or of silence, 16 kHz PCM. */
function frame(voiced: boolean, t0: number): Int16Array {
  const pcm = new Int16Array(320);
  if (voiced)
    for (let i = 0; i < pcm.length; i++) {
      const t = (t0 + i) / 16000;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
      pcm[i] = Math.round(v * 6000);
    }
  return pcm;
}

/** A far end that plays segments for their length and streams a microphone on cue. */
class MicTransport implements CallTransport {
  readonly kind = 'bench-mic';
  sink: TransportSink | null = null;
  readonly plays: Array<{ text: string; at: number }> = [];
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #playhead = 0;
  attach(sink: TransportSink) {
    this.sink = sink;
  }
  play(seg: OutSegment) {
    const now = performance.now();
    this.plays.push({ text: seg.text, at: now });
    this.#playhead = Math.max(now, this.#playhead) + seg.durationMs;
    this.#timers.set(
      seg.id,
      setTimeout(() => this.sink?.played(seg.id), this.#playhead - now),
    );
  }
  clear() {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#playhead = performance.now();
  }
  async hangup() {
    this.clear();
  }
}

async function resumeOnce(): Promise<number | null> {
  const mic = new MicTransport();
  const session = new CallSession({
    callId: 'call_resume',
    transport: mic,
    driver: driver(),
    stt: sandboxStt,
    tts: sandboxTts,
    scheduler: new RealScheduler(),
    settings: defaultSessionSettings,
    recorder: recorder(),
  });
  session.start();
  await new Promise((r) => setTimeout(r, 2000));
  let sample = 0;
  let noiseEnd = 0;
  const start = performance.now();
  const plan: boolean[] = [...Array(25).fill(true), ...Array(50).fill(false)];
  for (const [i, voiced] of plan.entries()) {
    if (!voiced && !noiseEnd) noiseEnd = performance.now();
    mic.sink?.audio(frame(voiced, sample));
    sample += 320;
    await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - performance.now())));
  }
  const resumed = mic.plays.find((p, i) => i >= 2 && p.at >= noiseEnd);
  mic.sink?.hungUp();
  await session.done;
  if (session.turnCounts.false_interruptions !== 1) return null;
  return resumed ? resumed.at - noiseEnd : null;
}

const CALLS = Number(process.env.BENCH_RESUME_CALLS ?? 8);
console.log(`\n--- resume after a false interruption: ${CALLS} calls at once (real time) ---`);
const results = await Promise.all(Array.from({ length: CALLS }, () => resumeOnce()));
const ms = results.filter((x): x is number => x !== null).map(r1);
console.log(
  `resumed ${ms.length}/${CALLS}; noise end -> sentence replayed: p50=${pct(ms, 0.5)} ms ` +
    `p95=${pct(ms, 0.95)} ms max=${Math.max(...ms)} ms (goal < 300 ms)`,
);
process.exit(ms.length === CALLS && Math.max(...ms) < 300 ? 0 : 1);
