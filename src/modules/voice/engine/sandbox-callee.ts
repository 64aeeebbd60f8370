import { sandboxScreenerLines, sandboxWarmDial } from './sandbox-transfer.ts';
import { speakingMs } from './speech-text.ts';
import type {
  CallTransport,
  Carrier,
  DialHooks,
  DialRequest,
  OutSegment,
  SandboxLine,
  SandboxScript,
  Scheduler,
  SessionNotice,
  Timer,
  TransportSink,
  WarmDialRequest,
  WarmDialResult,
} from './types.ts';

/** When the simulated phone network does what (ms after the dial job starts). */
export const sandboxTimeline = {
  ringingAfterMs: 400,
  answerAfterMs: 2_500,
  busyAfterMs: 1_500,
  noAnswerAfterMs: 25_000,
  invalidAfterMs: 200,
  voicemailAfterMs: 4_000,
  /** The callee's reaction time before a line (when the line gives no `after_ms`). */
  replyAfterMs: 700,
  /** How long after the agent starts talking a `barge_in` line cuts in (no `after_ms`). */
  bargeInAfterMs: 1_200,
  /** How long a `[cough]`-style sound line lasts. */
  soundMs: 500,
};

/**
 * Test numbers by last digit (SPEC section 6): 1 busy, 2 no answer, 3 voicemail, 4 invalid, else
 * answers. A script with `lines` to say answers unless it names another outcome.
 */
export function scriptFor(
  to: string | null,
  given: SandboxScript | null,
): Required<Pick<SandboxScript, 'outcome'>> & SandboxScript {
  if (given)
    return { ...given, outcome: given.outcome ?? (given.lines?.length ? 'answer' : outcomeByDigit(to)) };
  return { outcome: outcomeByDigit(to) };
}

function outcomeByDigit(to: string | null): NonNullable<SandboxScript['outcome']> {
  const last = to?.slice(-1);
  if (last === '1') return 'busy';
  if (last === '2') return 'no_answer';
  if (last === '3') return 'voicemail';
  if (last === '4') return 'invalid';
  return 'answer';
}

export const defaultCalleeLines: SandboxLine[] = ['Hello?'];

/** The simulated phone network of test mode: rings, and answers (or not) as the script says. */
export const sandboxCarrier: Carrier = {
  provider: 'sandbox',
  async dial(call: DialRequest, hooks: DialHooks) {
    const script = scriptFor(call.to, call.sandbox);
    const sched = hooks.scheduler;
    const timers: Timer[] = [];
    let cancelled = false;
    hooks.onCancel(() => {
      cancelled = true;
      for (const t of timers) t.cancel();
    });
    const at = (ms: number, fn: () => Promise<void>) =>
      timers.push(
        sched.after(ms, () => {
          // The hooks log a failed write themselves; the simulated network has nobody to tell.
          if (!cancelled) sched.track(fn()).catch(() => {});
        }),
      );
    await hooks.progress({ status: 'dialing', providerCallId: `SBX${call.callId.slice(5)}` });
    const t = sandboxTimeline;
    if (script.outcome === 'invalid') {
      at(t.invalidAfterMs, () =>
        hooks.progress({
          status: 'failed',
          endedReason: 'invalid_number',
          error: {
            code: 'invalid_number',
            message: `The sandbox number ${call.to} does not exist (it ends in 4).`,
          },
        }),
      );
      return;
    }
    at(t.ringingAfterMs, () => hooks.progress({ status: 'ringing' }));
    if (script.outcome === 'busy')
      at(t.busyAfterMs, () => hooks.progress({ status: 'busy', endedReason: 'busy' }));
    else if (script.outcome === 'no_answer')
      at(t.noAnswerAfterMs, () => hooks.progress({ status: 'no_answer', endedReason: 'no_answer' }));
    else if (script.outcome === 'voicemail')
      at(t.voicemailAfterMs, () =>
        hooks.connect(new SandboxCallee(sched, { lines: [] }), { answeredBy: 'machine' }),
      );
    else at(t.answerAfterMs, () => hooks.connect(new SandboxCallee(sched, script), { answeredBy: 'human' }));
  },
};

/**
 * The simulated person on a sandbox call. It needs no audio: each line reaches the session as
 * recognised speech (start with its words, end after the time it takes to say them). It says
 * one line per agent turn, a `barge_in` line while the agent is talking, presses keys for
 * `{dtmf}` lines, then stays silent (or hangs up, with `hangup_after_lines`).
 */
export class SandboxCallee implements CallTransport {
  readonly kind = 'sandbox';
  readonly #sched: Scheduler;
  readonly #lines: SandboxLine[];
  readonly #hangupAfter: boolean;
  #sink: TransportSink | null = null;
  #next = 0;
  #speaking = false;
  #awaitingAgent = false;
  #agentTalking = false;
  #pending: Timer | null = null;
  #playheadEnd = 0;
  #playTimers = new Map<string, Timer>();
  #done = false;
  readonly #script: SandboxScript;
  /** Lines after which the agent is expected to stay silent (a screener's "stay on the line"). */
  #noReplyAfter = -1;
  /** What the callee heard: each segment's text, in order (tests read it). */
  readonly heard: string[] = [];
  /** Turn-taking as the callee lived it (the turn-taking benchmark reads it): cut off mid-sentence, and waits for an answer. */
  readonly stats = { cutOffs: 0, gapsMs: [] as number[] };
  /** A line ending in "..." was said: the rest comes after a pause, whatever the agent does. */
  #continuing = false;
  #lineEndedAt: number | null = null;

  /** When hold audio started and stopped (the call's time), for a warm transfer. */
  readonly holds: Array<{ on: boolean; at: number }> = [];

  constructor(sched: Scheduler, script: SandboxScript) {
    this.#sched = sched;
    this.#script = script;
    const lines = script.lines ?? defaultCalleeLines;
    // A screening assistant answers first, then hands over to the person (who says the lines).
    this.#lines = script.outcome === 'call_screener' ? [...sandboxScreenerLines, ...lines] : lines;
    if (script.outcome === 'call_screener') this.#noReplyAfter = sandboxScreenerLines.length - 1;
    this.#hangupAfter = script.hangup_after_lines === true;
  }

  hold(on: boolean) {
    this.holds.push({ on, at: this.#sched.now() });
  }

  dialWarm(request: WarmDialRequest): Promise<WarmDialResult> {
    return sandboxWarmDial(this.#sched, request, this.#script.transfer_answer);
  }

  attach(sink: TransportSink) {
    this.#sink = sink;
  }

  play(segment: OutSegment) {
    if (this.#done) return;
    const now = this.#sched.now();
    this.#playheadEnd = Math.max(now, this.#playheadEnd) + segment.durationMs;
    this.heard.push(segment.text);
    this.#playTimers.set(
      segment.id,
      this.#sched.after(this.#playheadEnd - now, () => {
        this.#playTimers.delete(segment.id);
        this.#sink?.played(segment.id);
      }),
    );
  }

  clear() {
    for (const t of this.#playTimers.values()) t.cancel();
    this.#playTimers.clear();
    this.#playheadEnd = this.#sched.now();
  }

  notify(n: SessionNotice) {
    if (this.#done) return;
    if (n.type === 'agent_text') {
      if (!this.#agentTalking) {
        const gap = noteAgentStart(this.stats, this.#continuing, this.#lineEndedAt, this.#sched.now());
        this.#lineEndedAt = gap;
        this.#agentTalking = true;
        this.#awaitingAgent = false;
        const line = this.#lines[this.#next];
        if (
          line &&
          typeof line === 'object' &&
          'text' in line &&
          line.barge_in &&
          !this.#speaking &&
          !this.#pending
        )
          this.#schedule(line.after_ms ?? sandboxTimeline.bargeInAfterMs);
      }
      return;
    }
    if (n.type === 'listening') {
      this.#agentTalking = false;
      if (this.#speaking || this.#awaitingAgent || this.#pending) return;
      if (this.#next >= this.#lines.length) {
        if (this.#hangupAfter && this.#lines.length > 0)
          this.#pending = this.#sched.after(500, () => {
            this.#pending = null;
            this.#sink?.hungUp();
          });
        return;
      }
      const line = this.#lines[this.#next];
      const after =
        typeof line === 'object' && 'after_ms' in line && line.after_ms !== undefined
          ? line.after_ms
          : undefined;
      this.#schedule(after ?? sandboxTimeline.replyAfterMs);
    }
  }

  #schedule(ms: number) {
    this.#pending = this.#sched.after(ms, () => {
      this.#pending = null;
      this.#continuing = false;
      this.#sayNext();
    });
  }

  #sayNext() {
    if (this.#done || !this.#sink) return;
    const index = this.#next++;
    const line = this.#lines[index];
    if (line === undefined) return;
    if (typeof line === 'object' && 'dtmf' in line) {
      const digits = [...line.dtmf];
      digits.forEach((d, i) => {
        this.#sched.after(i * 150, () => this.#sink?.dtmf(d));
      });
      this.#awaitingAgent = true;
      return;
    }
    const said = spokenLine(typeof line === 'string' ? line : line.text);
    this.#speaking = true;
    this.#sink.speech({ type: 'start', text: said.words });
    this.#sched.after(said.ms, () => {
      this.#speaking = false;
      this.#continuing = said.continues && this.#next < this.#lines.length;
      this.#lineEndedAt = said.continues || this.#agentTalking ? null : this.#sched.now();
      if (this.#continuing) {
        // A pause inside the sentence: the rest follows after the next line's `after_ms`.
        const rest = this.#lines[this.#next];
        this.#sink?.speech({ type: 'end' });
        return this.#schedule(
          (typeof rest === 'object' && 'after_ms' in rest ? rest.after_ms : undefined) ??
            sandboxTimeline.replyAfterMs,
        );
      }
      // Said over the agent and ignored (a backchannel): the agent's next pause is our cue.
      this.#awaitingAgent = !this.#agentTalking && index !== this.#noReplyAfter;
      this.#sink?.speech({ type: 'end' });
    });
  }

  async hangup() {
    this.#done = true;
    this.#pending?.cancel();
    this.clear();
  }

  async transfer() {
    return true;
  }
}

/**
 * A line as the callee says it: `[cough]`, `[noise 3000]` (brackets, an optional length in ms)
 * is a sound with no words (the session hears speech it cannot put words to); a line ending in "..." trails off, and the
 * next line goes on with the sentence after its `after_ms`, whether or not the agent has
 * started talking in that pause (the agent cutting in there is a cut-off).
 */
export function spokenLine(text: string): { words: string; ms: number; continues: boolean } {
  const t = text.trim();
  const sound = /^\[[^\]\d]*(\d+)?\s*(?:ms)?\]$/.exec(t);
  if (sound) return { words: '', ms: Number(sound[1] ?? sandboxTimeline.soundMs), continues: false };
  const continues = /(\.\.\.|…)$/.test(t);
  const words = continues ? t.replace(/\s*(\.\.\.|…)$/, '') : t;
  return { words, ms: speakingMs(words), continues };
}

/** The agent started a turn: a cut-off when the callee was pausing mid-sentence, else the gap it waited. */
function noteAgentStart(
  stats: { cutOffs: number; gapsMs: number[] },
  continuing: boolean,
  lineEndedAt: number | null,
  now: number,
): null {
  if (continuing) stats.cutOffs++;
  else if (lineEndedAt !== null) stats.gapsMs.push(now - lineEndedAt);
  return null;
}
