import type { AgentTurn } from './agent-turn.ts';
import { BargeIn } from './barge-in.ts';
import { CallLog } from './call-log.ts';
import { EndOfTurn } from './end-of-turn.ts';
import { screeningDriver } from './screener.ts';
import type {
  CallerSpeech,
  SessionEnd,
  SessionHooks,
  SessionParts,
  SessionState,
  TranscriptTurn,
  TurnStart,
} from './session-types.ts';
import { Silence } from './silence.ts';
import { Speaker } from './speaking.ts';
import { SpeechGate } from './speech-gate.ts';
import { Transfer } from './transfer.ts';
import type { CallerTurn, DriverChunk, Timer, TransportSink } from './types.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';
import { VoiceActivityDetector } from './vad.ts';

export {
  defaultSessionSettings,
  type SessionEnd,
  type SessionParts,
  type SessionRecorder,
  type SessionSettings,
  type TranscriptTurn,
  type TurnTiming,
} from './session-types.ts';

/**
 * One live call: listens (VAD, speech-to-text, end of turn), asks the driver what to say,
 * speaks it sentence by sentence (text-to-speech), lets the caller cut in (barge-in) and keeps
 * the transcript. All timing goes through the scheduler, so a simulated call runs on virtual time.
 *
 * Composed of parts that know only the session's hooks (session-types.ts `SessionHooks`), as
 * LiveKit's agents wire audio recognition to the agent activity: the transcript and counts
 * (call-log.ts), the agent speaking (speaking.ts), barge-in (barge-in.ts), the end of the
 * caller's turn (end-of-turn.ts), silence (silence.ts), transfers (transfer.ts), and the call
 * screener around the driver (screener.ts). The session
 * holds the call's phase, routes the far end's events to them and runs the call's life.
 */
export class CallSession {
  readonly callId: string;
  readonly done: Promise<void>;
  readonly #p: SessionParts;
  #phase: SessionState = 'connecting';
  readonly #log: CallLog;
  readonly #caller: CallerSpeech = { utterance: null, speaking: false, stt: null };
  readonly #speaker: Speaker;
  readonly #bargeIn: BargeIn;
  readonly #endOfTurn: EndOfTurn;
  readonly #silence: Silence;
  readonly #transfer: Transfer;
  #maxTimer: Timer | null = null;
  #vad: VoiceActivityDetector | null = null;
  /** For a recogniser of whole utterances: the audio before speech starts (speech-gate.ts). */
  #gate: SpeechGate | null = null;
  #pendingAudio: Int16Array[] | null = null;
  #ended: Promise<void> | null = null;
  #endedResolve!: () => void;

  constructor(given: SessionParts) {
    this.callId = given.callId;
    const screener = given.screener;
    const parts: SessionParts = screener
      ? {
          ...given,
          driver: screeningDriver(given.driver, {
            ...screener,
            now: () => given.scheduler.now(),
            note: (text) => this.note(text),
          }),
        }
      : given;
    this.#p = parts;
    this.done = new Promise((r) => {
      this.#endedResolve = r;
    });
    const hooks = this.#hooks();
    this.#log = new CallLog(parts);
    this.#speaker = new Speaker(parts, this.#log, hooks);
    this.#bargeIn = new BargeIn(parts, this.#log, this.#speaker, this.#caller, hooks);
    this.#endOfTurn = new EndOfTurn(parts, this.#log, this.#caller, hooks);
    this.#silence = new Silence(parts, this.#caller, hooks);
    this.#transfer = new Transfer(parts, hooks);
  }

  get state() {
    return this.#phase;
  }
  get transcript(): readonly TranscriptTurn[] {
    return this.#log.lines;
  }
  /** Turn-taking counts (interruptions, false ones, backchannels, recoveries) so far. */
  get turnCounts() {
    return this.#log.counts;
  }

  /** A line in the transcript saying what happened (`[...]`, as the agent's): screeners, transfers. */
  note(text: string, at = this.#log.relNow()) {
    if (this.#phase !== 'ended')
      this.#log.record({ role: 'agent', text, start_ms: at, end_ms: at, interrupted: false });
  }

  /** The call is connected: attach the far end and let the driver open. */
  start() {
    const sched = this.#p.scheduler;
    this.#log.answeredAt = sched.now();
    this.#p.transport.attach(this.#sink());
    this.#maxTimer = sched.after(this.#p.settings.maxDurationMs, () => {
      void this.end({ reason: 'max_duration', status: 'completed' });
    });
    this.#log.notify({ type: 'status', status: 'in_progress' });
    this.#speak(this.#p.driver.start(new AbortController().signal), null);
  }

  /** Ends the call (idempotent): hangs up the far end and records how it ended. */
  end(end: SessionEnd): Promise<void> {
    if (this.#ended) return this.#ended;
    // An agent turn under way when the call ends is kept as far as it was heard.
    if (this.#speaker.turn && !this.#speaker.turn.finished) this.#speaker.cut();
    this.#phase = 'ended';
    for (const part of [this.#bargeIn, this.#endOfTurn, this.#silence, this.#maxTimer]) part?.cancel();
    this.#ended = this.#p.scheduler.track(
      (async () => {
        try {
          this.#log.notify({ type: 'ended', status: end.status, ended_reason: end.reason });
          this.#caller.stt?.close();
          this.#vad?.close();
          // The end is written before the far end is hung up: the carrier's own "completed"
          // callback for our hangup must not get there first and record it as the caller's.
          await this.#p.recorder.ended(end, this.#log.lines).catch((err) => this.#p.onError?.(err));
          await this.#p.transport.hangup().catch((err) => this.#p.onError?.(err));
        } catch (err) {
          this.#p.onError?.(err);
        } finally {
          this.#p.scheduler.dispose();
          this.#endedResolve();
        }
      })(),
    );
    return this.#ended;
  }

  /** Stops without recording an end (the call was ended elsewhere, e.g. `POST .../hangup`). */
  stop(reason: 'canceled' | 'server_shutdown' = 'canceled') {
    return this.end(reason === 'canceled' ? { reason, status: 'canceled' } : { reason, status: 'failed' });
  }

  // ------------------------------------------------------------------ the parts' hooks

  #hooks(): SessionHooks {
    return {
      phase: () => this.#phase,
      speak: (source, after) => this.#speak(source, after),
      listen: () => this.#listen(),
      end: (end) => this.end(end),
      speaking: (turn) => this.#speaking(turn),
      finished: (action) => this.#afterTurn(action),
      interrupted: () => {
        this.#phase = 'listening';
        this.#log.notify({ type: 'listening' });
      },
      awaitEndOfTurn: () => this.#endOfTurn.arm(),
      said: (text, speechEnd, eouMs) => {
        // Fillers only, turn after turn: from the third in a row they count as silence.
        if (!this.#silence.fillerTurn(text)) this.#respond({ text }, speechEnd, eouMs);
      },
      answer: (turn, speechEnd, eouMs) => this.#respond(turn, speechEnd, eouMs),
      quiet: () => this.#silence.arm(),
      note: (text) => this.note(text),
    };
  }

  #speak(source: AsyncIterable<DriverChunk>, after: TurnStart | null) {
    if (this.#phase === 'ended') return;
    this.#phase = 'thinking';
    this.#silence.cancel();
    this.#speaker.speak(source, after);
  }

  #respond(turn: CallerTurn, speechEnd: number, eouMs: number) {
    const abort = new AbortController();
    this.#speak(this.#p.driver.reply(turn, abort.signal), { speechEnd, eouMs, abort });
  }

  /** The agent's first audio of a turn; an answer after an interruption is a recovery. */
  #speaking(turn: AgentTurn) {
    this.#phase = 'speaking';
    if (turn.speechEnd !== null && this.#bargeIn.recovered()) this.#log.event('recoveries');
  }

  #afterTurn(action: AgentTurn['action']) {
    if (action?.type === 'end_call') {
      void this.end(
        action.reason === 'llm_error'
          ? { reason: 'llm_error', status: 'failed', error: action.error }
          : { reason: action.reason ?? 'agent_ended_call', status: 'completed' },
      );
      return;
    }
    if (action?.type === 'transfer') {
      // Not tracked as a whole: a warm transfer waits (on the call's time) for the person to answer.
      void this.#transfer.run(action).catch((err) => this.#p.onError?.(err));
      return;
    }
    this.#listen();
  }

  /** The agent is done: the caller has the floor. */
  #listen() {
    if (this.#phase === 'ended') return;
    this.#phase = 'listening';
    this.#log.notify({ type: 'listening' });
    const caller = this.#caller;
    const u = caller.utterance;
    if (u && !u.ignored) {
      // The caller started talking while the agent finished: their turn goes on.
      if (u.end !== null && !caller.speaking) this.#endOfTurn.arm();
      return;
    }
    caller.utterance = null;
    if (!caller.speaking) this.#silence.arm();
  }

  // ------------------------------------------------------------------ input

  #sink(): TransportSink {
    return {
      audio: (pcm) => this.#onAudio(pcm),
      speech: (e) => (e.type === 'start' ? this.#speechStart(e.text) : this.#speechEnd()),
      text: (text) => this.#onText(text),
      dtmf: (digit) => this.#onDtmf(digit),
      played: (id) => this.#speaker.played(id),
      hungUp: () => {
        void this.end({ reason: 'customer_ended_call', status: 'completed' });
      },
    };
  }

  /** The caller starts speaking: barge-in's while the agent has the floor, else the turn's. */
  #speechStart(text: string | undefined) {
    if (this.#phase === 'ended') return;
    this.#caller.speaking = true;
    this.#silence.cancel();
    this.#endOfTurn.cancel();
    if (!this.#bargeIn.speechStart(text)) this.#endOfTurn.speechStart(text);
  }

  #speechEnd() {
    if (this.#phase === 'ended') return;
    const caller = this.#caller;
    caller.speaking = false;
    const u = caller.utterance;
    if (!u) return;
    u.end = this.#p.scheduler.now();
    u.eotDone = false;
    // Shorter than the barge-in minimum while the agent spoke (a cough), or words that were no turn.
    const tooShort = this.#bargeIn.tooShort();
    if (tooShort || u.ignored) {
      caller.utterance = null;
      caller.stt?.finalize();
      if (!tooShort && this.#phase === 'listening') this.#silence.arm();
      return;
    }
    if (this.#bargeIn.soundEnded()) return;
    if (this.#phase === 'listening') this.#endOfTurn.arm();
    if (caller.stt) {
      u.awaitingFinal = true;
      caller.stt.finalize();
    }
  }

  #onFinal(text: string) {
    if (!this.#endOfTurn.final(text)) return;
    if (this.#speaker.turn?.paused) this.#bargeIn.settle();
    else this.#endOfTurn.wordsKnown();
  }

  #onText(text: string) {
    if (this.#phase === 'ended' || this.#transfer.holding || !text.trim()) return;
    if (this.#speaker.turn && !this.#bargeIn.cutsIn(text)) return;
    this.#silence.cancel();
    this.#endOfTurn.typed(text);
  }

  #onDtmf(digit: string) {
    if (this.#phase === 'ended' || this.#transfer.holding) return;
    if (this.#speaker.turn) this.#bargeIn.interrupt();
    this.#silence.cancel();
    this.#endOfTurn.pressed(digit);
  }

  /**
   * A frame of the caller's audio (a view of the socket's bytes: used at once, not kept). A
   * streaming recogniser gets every frame; one of whole utterances gets speech only (and the
   * moment before it, from the gate); the VAD hears every frame.
   */
  #onAudio(pcm: Int16Array) {
    if (this.#phase === 'ended') return;
    const vad = this.#vad;
    if (!vad) {
      // Set up on the first audio: transports with recognised speech (sandbox) never need it.
      void this.#p.scheduler.track(this.#openAudioInput(pcm));
      return;
    }
    const stt = this.#caller.stt;
    if (stt) {
      if (!this.#gate || vad.speaking) stt.push(pcm);
      else this.#gate.keep(pcm);
    }
    vad.push(pcm, this.#onVoice);
  }

  /** The VAD's verdict (one function for the call, not one made per frame). */
  readonly #onVoice = (speaking: boolean) => {
    if (!speaking) return this.#speechEnd();
    if (this.#gate && this.#caller.stt) this.#gate.flush(this.#caller.stt);
    this.#speechStart(undefined);
  };

  async #openAudioInput(first: Int16Array) {
    if (this.#pendingAudio) {
      this.#pendingAudio.push(first);
      return;
    }
    this.#pendingAudio = [first];
    try {
      const vad = await VoiceActivityDetector.create();
      const stt = this.#p.stt.open(
        { sampleRate: ENGINE_SAMPLE_RATE, language: this.#p.settings.language },
        {
          partial: (text) => this.#endOfTurn.partial(text),
          final: (text) => this.#onFinal(text),
          error: (err) => {
            this.#p.onError?.(err);
            void this.end({ reason: 'stt_error', status: 'failed', error: err.message });
          },
        },
      );
      this.#caller.stt = stt;
      if (stt.speechOnly) this.#gate = new SpeechGate();
      this.#vad = vad;
      const queued = this.#pendingAudio;
      this.#pendingAudio = null;
      for (const pcm of queued) this.#onAudio(pcm);
    } catch (err) {
      this.#p.onError?.(err);
      void this.end({ reason: 'stt_error', status: 'failed', error: (err as Error).message });
    }
  }
}
