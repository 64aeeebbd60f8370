import { sandboxTts } from '../speech/sandbox.ts';
import type { AgentTurn } from './agent-turn.ts';
import { CallLog } from './call-log.ts';
import type { VirtualScheduler } from './scheduler.ts';
import {
  type CallerSpeech,
  defaultSessionSettings,
  type SessionEnd,
  type SessionHooks,
  type SessionParts,
  type SessionRecorder,
  type SessionSettings,
  type SessionState,
  type TranscriptTurn,
} from './session-types.ts';
import type {
  CallDriver,
  CallTransport,
  DriverChunk,
  OutSegment,
  SttEngine,
  TransportSink,
} from './types.ts';

/**
 * What the call engine's unit tests share: a transport that plays on the call's (virtual) clock,
 * a driver of scripted lines, the session's hooks as a recording fake, and waiting for a moment
 * of virtual time. No server, no real sleeps.
 */

/**
 * A transport that plays its segments one after another, each for its duration on the call's
 * clock (`clear` drops what is queued or playing), and records what it was asked.
 */
export class FakeTransport implements CallTransport {
  readonly kind = 'fake';
  sink: TransportSink | null = null;
  played: OutSegment[] = [];
  clears = 0;
  notices: string[] = [];
  holds: boolean[] = [];
  onNotice: ((type: string) => void) | null = null;
  readonly sched: VirtualScheduler;
  constructor(sched: VirtualScheduler) {
    this.sched = sched;
  }
  attach(sink: TransportSink) {
    this.sink = sink;
  }
  #busyUntil = 0;
  play(seg: OutSegment) {
    this.played.push(seg);
    const cleared = this.clears;
    this.#busyUntil = Math.max(this.sched.now(), this.#busyUntil) + seg.durationMs;
    this.sched.after(this.#busyUntil - this.sched.now(), () => {
      if (this.clears === cleared) this.sink?.played(seg.id);
    });
  }
  clear() {
    this.clears++;
    this.#busyUntil = this.sched.now();
  }
  hold(on: boolean) {
    this.holds.push(on);
  }
  notify(n: { type: string }) {
    this.notices.push(n.type);
    this.onNotice?.(n.type);
  }
  async hangup() {}
  /** The next notice of this type (`listening`, `ended`, ...). */
  next(type: string) {
    return new Promise<void>((resolve) => {
      this.onNotice = (t) => {
        if (t === type) {
          this.onNotice = null;
          resolve();
        }
      };
    });
  }
}

/** Resolves once the call's clock reaches `ms` (timers due before it have run). */
export function at(sched: VirtualScheduler, ms: number): Promise<void> {
  return new Promise((resolve) => {
    sched.after(Math.max(0, ms - sched.now()), resolve);
  });
}

/** Everything a driver's turn yields. */
export async function drain(source: AsyncIterable<DriverChunk>): Promise<DriverChunk[]> {
  const out: DriverChunk[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

/** A driver that greets, answers every turn the same way and re-prompts; it keeps what it was told. */
export function scriptedDriver(
  opts: {
    greeting?: string | DriverChunk[];
    answer?: DriverChunk[] | ((text: string) => DriverChunk[]);
  } = {},
) {
  const turns: { text: string; dtmf?: string }[] = [];
  const heard: string[] = [];
  const chunks = (x: string | DriverChunk[]): DriverChunk[] =>
    typeof x === 'string' ? [{ type: 'say', text: x }] : x;
  const driver: CallDriver = {
    async *start() {
      yield* chunks(opts.greeting ?? 'Hello, how can I help?');
    },
    async *reply(turn) {
      turns.push(turn);
      const a = opts.answer;
      yield* typeof a === 'function' ? a(turn.text) : (a ?? chunks('Sure.'));
    },
    async *reprompt() {
      yield { type: 'say', text: 'Are you still there?' };
    },
    interrupted: (text) => heard.push(text),
  };
  return { driver, turns, heard };
}

/**
 * A session recorder for unit tests: keeps the turns as they are recorded and how the call ended
 * (what the calls module would write to the call's row).
 */
export function memoryRecorder() {
  const transcript: TranscriptTurn[] = [];
  let end: SessionEnd | null = null;
  const recorder: SessionRecorder = {
    async turn(t) {
      transcript.push(t);
    },
    latency() {},
    async ended(e) {
      end = e;
    },
  };
  return { recorder, transcript, end: () => end };
}

/** A recogniser that is never fed (the transports here give recognised speech). */
export const silentStt: SttEngine = { name: 'none', open: () => ({ push() {}, finalize() {}, close() {} }) };

/** A session's parts on virtual time, with a memory recorder. */
export function partsOf(
  sched: VirtualScheduler,
  transport: CallTransport,
  driver: CallDriver,
  settings: Partial<SessionSettings> = {},
) {
  const memory = memoryRecorder();
  const parts: SessionParts = {
    callId: 'call_unit',
    transport,
    driver,
    stt: silentStt,
    tts: sandboxTts,
    scheduler: sched,
    settings: { ...defaultSessionSettings, ...settings },
    recorder: memory.recorder,
  };
  return { parts, memory, log: new CallLog(parts) };
}

export const newCaller = (): CallerSpeech => ({ utterance: null, speaking: false, stt: null });

/**
 * The session's hooks as a recording fake: each call is kept (`calls`, by hook name), the phase
 * follows what the session would do, and `on` lets a test answer one (e.g. `finished`).
 */
export function fakeHooks(phase: SessionState = 'listening') {
  const calls: { hook: keyof SessionHooks; args: unknown[] }[] = [];
  const on: Partial<SessionHooks> = {};
  const state = { phase };
  const seen =
    <K extends keyof SessionHooks>(hook: K, then?: (...args: Parameters<SessionHooks[K]>) => void) =>
    (...args: Parameters<SessionHooks[K]>) => {
      calls.push({ hook, args });
      then?.(...args);
      (on[hook] as ((...a: Parameters<SessionHooks[K]>) => void) | undefined)?.(...args);
    };
  const hooks: SessionHooks = {
    phase: () => state.phase,
    speak: seen('speak', () => {
      state.phase = 'thinking';
    }),
    listen: seen('listen', () => {
      state.phase = 'listening';
    }),
    end: async (end) => {
      calls.push({ hook: 'end', args: [end] });
      state.phase = 'ended';
    },
    speaking: seen('speaking', () => {
      state.phase = 'speaking';
    }),
    finished: seen('finished', (_action: AgentTurn['action']) => {
      state.phase = 'listening';
    }),
    interrupted: seen('interrupted', () => {
      state.phase = 'listening';
    }),
    awaitEndOfTurn: seen('awaitEndOfTurn'),
    said: seen('said'),
    answer: seen('answer'),
    quiet: seen('quiet'),
    note: seen('note'),
  };
  const named = (hook: keyof SessionHooks) => calls.filter((c) => c.hook === hook).map((c) => c.args);
  return { hooks, calls, named, on, state };
}
