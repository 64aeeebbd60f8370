import { voiceDefaults } from '../../agents/index.ts';
import type { EndedReason } from '../calls.reasons.ts';
import type { CallStatus } from '../voice.tables.ts';
import {
  type AgentTurn,
  closeFirm,
  falseInterruptionMaxMs,
  falseInterruptionWaitMs,
  inFirmSentence,
  openFirm,
  type PlayedSegment,
  replayFrom,
  synthesizeAll,
} from './agent-turn.ts';
import { currentSegment, heardText, samplesMs } from './heard-text.ts';
import { defaultBackchannels, isBackchannel, sentences, speakable, speakingMs } from './speech-text.ts';
import {
  emptyTurnCounts,
  endOfTurnMs,
  fillerTurnsLimit,
  type TurnEvent,
  type Utterance,
  utterance,
} from './turn-taking.ts';
import type {
  CallDriver,
  CallerTurn,
  CallTransport,
  DriverChunk,
  Scheduler,
  SttEngine,
  SttStream,
  Timer,
  TransportSink,
  TtsEngine,
} from './types.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';
import { VoiceActivityDetector } from './vad.ts';
import { transferCall } from './warm-transfer.ts';

export interface SessionSettings {
  /** Silence after the caller's speech that ends their turn (a shorter pause does not). */
  endOfTurnSilenceMs: number;
  /** No caller speech this long while listening: one re-prompt, then the call ends. */
  silenceTimeoutMs: number;
  maxDurationMs: number;
  /** `ignoreWords`: the backchannels in effect (turn-taking.ts `backchannelWords`). */
  interruptions: { enabled: boolean; minSpeechMs: number; ignoreWords: string[] };
  /** Off: silence alone ends a caller turn (no end-of-turn heuristic; the benchmark's "before"). */
  endOfTurnHeuristic?: boolean;
  language?: string;
  voice?: string;
}

/** The agents API's defaults (an agent's voice settings), as the engine takes them. */
export const defaultSessionSettings: SessionSettings = {
  endOfTurnSilenceMs: voiceDefaults.endOfTurnSilenceMs,
  silenceTimeoutMs: voiceDefaults.silenceTimeoutMs,
  maxDurationMs: voiceDefaults.maxDurationMs,
  interruptions: { enabled: true, minSpeechMs: voiceDefaults.minSpeechMs, ignoreWords: defaultBackchannels },
};

export interface TranscriptTurn {
  role: 'customer' | 'agent';
  text: string;
  start_ms: number;
  end_ms: number;
  interrupted: boolean;
}

export interface TurnTiming {
  eou_ms: number;
  agent_ms: number;
  tts_ms: number;
  turn_ms: number;
  voice_to_voice_ms: number;
}

/** How a call ended (`error`: the cause, for the engine and provider errors). */
export type SessionEnd = {
  reason: Exclude<EndedReason, 'invalid_number' | 'no_answer' | 'busy' | 'failed_to_connect'>;
  status: CallStatus;
  error?: string;
};

/** What the session writes down; the voice module stores it (messages, call row, events). */
export interface SessionRecorder {
  turn(turn: TranscriptTurn): Promise<void>;
  latency(timing: TurnTiming): void;
  /** An interruption, a false one (paused, then resumed), a backchannel or a recovery (turn-taking.ts). */
  turnEvent?(event: TurnEvent): void;
  transfer?(to: string | undefined, human: boolean, reason: string | undefined): Promise<void>;
  /** The carrier refused the transfer recorded above: the call goes on with the agent. */
  transferFailed?(): Promise<void>;
  ended(end: SessionEnd, transcript: TranscriptTurn[]): Promise<void>;
}

export interface SessionParts {
  callId: string;
  transport: CallTransport;
  driver: CallDriver;
  stt: SttEngine;
  tts: TtsEngine;
  scheduler: Scheduler;
  settings: SessionSettings;
  recorder: SessionRecorder;
  onError?(err: unknown): void;
}

type State = 'connecting' | 'thinking' | 'speaking' | 'listening' | 'ended';

/**
 * One live call: listens (VAD, speech-to-text, end of turn), asks the driver what to say,
 * speaks it sentence by sentence (text-to-speech), lets the caller cut in (barge-in) and keeps
 * the transcript. All timing goes through the scheduler, so a simulated call runs on virtual time.
 */
export class CallSession {
  readonly callId: string;
  readonly #p: SessionParts;
  readonly #s: SessionSettings;
  #state: State = 'connecting';
  #turn: AgentTurn | null = null;
  #utterance: Utterance | null = null;
  #callerSpeaking = false;
  #bargeTimer: Timer | null = null;
  #eotTimer: Timer | null = null;
  #silenceTimer: Timer | null = null;
  #maxTimer: Timer | null = null;
  #reprompted = false;
  #fillerTurns = 0;
  /** A real interruption happened: the agent's next answer counts as a recovery. */
  #recovering = false;
  #counts = emptyTurnCounts();

  #holding = false; // a warm transfer dials: the caller is on hold, their words are no turn
  #transcript: TranscriptTurn[] = [];
  #answeredAt = 0;
  #segSeq = 0;
  #vad: VoiceActivityDetector | null = null;
  #stt: SttStream | null = null;
  #ended: Promise<void> | null = null;
  #endedResolve!: () => void;
  readonly done: Promise<void>;

  constructor(parts: SessionParts) {
    this.callId = parts.callId;
    this.#p = parts;
    this.#s = parts.settings;
    this.done = new Promise((r) => {
      this.#endedResolve = r;
    });
  }

  get state() {
    return this.#state;
  }
  get transcript(): readonly TranscriptTurn[] {
    return this.#transcript;
  }

  /** The call is connected: attach the far end and let the driver open. */
  start() {
    const sched = this.#p.scheduler;
    this.#answeredAt = sched.now();
    this.#p.transport.attach(this.#sink());
    this.#maxTimer = sched.after(this.#s.maxDurationMs, () => {
      void this.end({ reason: 'max_duration', status: 'completed' });
    });
    this.#notify({ type: 'status', status: 'in_progress' });
    this.#speak(this.#p.driver.start(new AbortController().signal), null);
  }

  /** Ends the call (idempotent): hangs up the far end and records how it ended. */
  end(end: SessionEnd): Promise<void> {
    if (this.#ended) return this.#ended;
    // An agent turn under way when the call ends is kept as far as it was heard.
    if (this.#turn && !this.#turn.finished) this.#cutTurn(this.#turn);
    this.#state = 'ended';
    for (const t of [this.#bargeTimer, this.#eotTimer, this.#silenceTimer, this.#maxTimer]) t?.cancel();
    this.#ended = this.#p.scheduler.track(
      (async () => {
        try {
          this.#notify({ type: 'ended', status: end.status, ended_reason: end.reason });
          this.#stt?.close();
          this.#vad?.close();
          // The end is written before the far end is hung up: the carrier's own "completed"
          // callback for our hangup must not get there first and record it as the caller's.
          await this.#p.recorder.ended(end, this.#transcript).catch((err) => this.#p.onError?.(err));
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

  // ------------------------------------------------------------------ input

  #sink(): TransportSink {
    return {
      audio: (pcm) => this.#onAudio(pcm),
      speech: (e) => (e.type === 'start' ? this.#speechStart(e.text) : this.#speechEnd()),
      text: (text) => this.#onText(text),
      dtmf: (digit) => this.#onDtmf(digit),
      played: (id) => this.#onPlayed(id),
      hungUp: () => {
        void this.end({ reason: 'customer_ended_call', status: 'completed' });
      },
    };
  }

  #onAudio(pcm: Int16Array) {
    if (this.#state === 'ended') return;
    if (!this.#vad) {
      // Set up on the first audio: transports with recognised speech (sandbox) never need it.
      this.#vad = null;
      void this.#p.scheduler.track(this.#openAudioInput(pcm));
      return;
    }
    this.#stt?.push(pcm);
    this.#vad.push(pcm, this.#onVoice);
  }

  /** The VAD's verdict (one function for the call, not one made per frame). */
  readonly #onVoice = (speaking: boolean) => (speaking ? this.#speechStart(undefined) : this.#speechEnd());

  #pendingAudio: Int16Array[] | null = null;
  async #openAudioInput(first: Int16Array) {
    if (this.#pendingAudio) {
      this.#pendingAudio.push(first);
      return;
    }
    this.#pendingAudio = [first];
    try {
      const vad = await VoiceActivityDetector.create();
      this.#stt = this.#p.stt.open(
        { sampleRate: ENGINE_SAMPLE_RATE, language: this.#s.language },
        {
          partial: (text) => {
            if (this.#utterance) this.#utterance.texts = [text];
          },
          final: (text) => this.#onFinal(text),
          error: (err) => {
            this.#p.onError?.(err);
            void this.end({ reason: 'stt_error', status: 'failed', error: err.message });
          },
        },
      );
      this.#vad = vad;
      const queued = this.#pendingAudio;
      this.#pendingAudio = null;
      for (const pcm of queued) this.#onAudio(pcm);
    } catch (err) {
      this.#p.onError?.(err);
      void this.end({ reason: 'stt_error', status: 'failed', error: (err as Error).message });
    }
  }

  #speechStart(text: string | undefined) {
    if (this.#state === 'ended') return;
    this.#callerSpeaking = true;
    this.#silenceTimer?.cancel();
    this.#eotTimer?.cancel();
    const now = this.#p.scheduler.now();
    const agentActive = this.#state === 'speaking' || this.#state === 'thinking';
    const held = this.#turn?.paused;
    if (held && this.#utterance) {
      // More of the sound that paused the agent: still undecided.
      held.timer?.cancel();
      this.#utterance.end = null;
      if (text) this.#utterance.texts.push(text);
      return;
    }
    if (agentActive) {
      // With barge-in off the agent keeps the floor: what the caller says over it is not a turn.
      const on = this.#s.interruptions.enabled && !inFirmSentence(this.#turn, now);
      this.#utterance = utterance(now, on ? text : undefined, !on);
      if (!on) return;
      this.#bargeTimer?.cancel();
      this.#bargeTimer = this.#p.scheduler.after(this.#s.interruptions.minSpeechMs, () =>
        this.#checkBargeIn(),
      );
      return;
    }
    if (this.#utterance && !this.#utterance.ignored && this.#utterance.end !== null) {
      // A pause shorter than the end-of-turn silence: the same turn goes on.
      this.#utterance.end = null;
      this.#utterance.eotDone = false;
      if (text) this.#utterance.texts.push(text);
      return;
    }
    this.#utterance = utterance(now, text);
  }

  #speechEnd() {
    if (this.#state === 'ended') return;
    this.#callerSpeaking = false;
    const u = this.#utterance;
    if (!u) return;
    u.end = this.#p.scheduler.now();
    u.eotDone = false;
    if (this.#bargeTimer) {
      // Shorter than the barge-in minimum while the agent spoke: a cough, a short "hmm".
      this.#bargeTimer.cancel();
      this.#bargeTimer = null;
      this.#utterance = null;
      this.#stt?.finalize();
      return;
    }
    if (u.ignored) {
      this.#utterance = null;
      this.#stt?.finalize();
      if (this.#state === 'listening') this.#armSilence();
      return;
    }
    const held = this.#turn?.paused;
    if (held) {
      // The sound that paused the agent ended: its words (if any) decide, or a short wait for them.
      if (!this.#stt) return this.#settlePause();
      held.timer = this.#p.scheduler.after(falseInterruptionWaitMs, () => this.#settlePause());
    }
    if (this.#state === 'listening') this.#armEndOfTurn();
    if (this.#stt) {
      u.awaitingFinal = true;
      this.#stt.finalize();
    }
  }

  /** Waits for the end of the caller's turn: longer when they trail off, shorter after a question. */
  #armEndOfTurn() {
    this.#eotTimer?.cancel();
    const u = this.#utterance;
    const now = this.#p.scheduler.now();
    const rules = { baseMs: this.#s.endOfTurnSilenceMs, heuristic: this.#s.endOfTurnHeuristic };
    const waitMs = endOfTurnMs(u?.texts.join(' ') ?? '', rules) - (now - (u?.end ?? now));
    this.#eotTimer = this.#p.scheduler.after(Math.max(0, waitMs), () => {
      this.#eotTimer = null;
      if (this.#utterance) this.#utterance.eotDone = true;
      this.#maybeCommit();
    });
  }

  #onFinal(text: string) {
    const u = this.#utterance;
    if (!u || u.ignored) return;
    u.awaitingFinal = false;
    // The final result replaces the provisional (partial) text it completes.
    if (text.trim()) u.texts = [...u.texts.filter((t) => t !== text && !text.startsWith(t)), text];
    if (this.#turn?.paused) this.#settlePause();
    // The words are known: the end-of-turn wait is measured again from when the caller stopped.
    else if (this.#state === 'listening' && u.end !== null && !this.#callerSpeaking) this.#armEndOfTurn();
  }

  #checkBargeIn() {
    this.#bargeTimer = null;
    const u = this.#utterance;
    const turn = this.#turn;
    if (!u || !turn || !this.#callerSpeaking || (this.#state !== 'speaking' && this.#state !== 'thinking'))
      return;
    const said = u.texts.join(' ');
    if (said && isBackchannel(said, this.#s.interruptions.ignoreWords)) {
      u.ignored = true;
      this.#event('backchannels');
      return;
    }
    if (said) this.#interrupt();
    else this.#pause(turn);
  }

  /** Sound with no words yet: the agent holds its speech until the words (or none) decide. */
  #pause(turn: AgentTurn) {
    this.#p.transport.clear();
    const at = this.#p.scheduler.now();
    const limit = this.#p.scheduler.after(falseInterruptionMaxMs, () => this.#settlePause(true));
    turn.paused = { at, index: currentSegment(turn.segments, at), timer: null, limit };
  }

  /** A paused agent goes on with the sentence it was in (noise, a filler), or is cut (words). */
  #settlePause(limit = false) {
    const turn = this.#turn;
    const u = this.#utterance;
    if (!turn?.paused || (this.#callerSpeaking && !limit)) return;
    turn.paused.timer?.cancel();
    turn.paused.limit.cancel();
    if (u && !isBackchannel(u.texts.join(' '), this.#s.interruptions.ignoreWords)) {
      this.#interrupt();
      u.awaitingFinal = false;
      return this.#armEndOfTurn();
    }
    // Still no words after the limit (a long noise): the agent goes on; the rest of it is no turn.
    if (u && this.#callerSpeaking) u.ignored = true;
    else this.#utterance = null;
    this.#event('false_interruptions');
    const { index } = turn.paused;
    turn.paused = null;
    replayFrom(turn, index, this.#p.scheduler.now(), this.#p.transport, () => this.#nextSegmentId());
    this.#maybeFinishTurn(turn);
  }

  /** Barge-in: the agent stops at once; its turn is kept as far as the caller heard it. */
  #interrupt() {
    const turn = this.#turn;
    if (!turn) return;
    this.#p.transport.clear();
    const text = this.#cutTurn(turn);
    this.#event('interruptions');
    this.#recovering = true;
    this.#p.driver.interrupted?.(text);
    this.#state = 'listening';
    this.#notify({ type: 'listening' });
  }

  /** Stops an agent turn and records what the caller heard of it (interrupted); returns that text. */
  #cutTurn(turn: AgentTurn): string {
    turn.abort.abort();
    turn.finished = true;
    turn.paused?.timer?.cancel();
    turn.paused?.limit.cancel();
    if (this.#turn === turn) this.#turn = null;
    // Cut where it stopped (a paused turn: when it paused), as far as the transport played it.
    const now = turn.paused?.at ?? this.#p.scheduler.now();
    const { text } = heardText(turn.segments, now, (id) => this.#p.transport.heardMs?.(id));
    if (turn.firstPlay !== null && text) {
      this.#record({
        role: 'agent',
        text,
        start_ms: this.#rel(turn.firstPlay),
        end_ms: this.#rel(now),
        interrupted: true,
      });
    }
    return text;
  }

  #onText(text: string) {
    if (this.#state === 'ended' || this.#holding || !text.trim()) return;
    if (this.#turn) {
      if (isBackchannel(text, this.#s.interruptions.ignoreWords)) return;
      if (!this.#s.interruptions.enabled || inFirmSentence(this.#turn, this.#p.scheduler.now())) return;
      this.#interrupt();
    }
    this.#silenceTimer?.cancel();
    const now = this.#p.scheduler.now();
    this.#utterance = { ...utterance(now, text.trim()), end: now, eotDone: true };
    this.#commit();
  }

  #onDtmf(digit: string) {
    if (this.#state === 'ended' || this.#holding) return;
    if (this.#turn) this.#interrupt();
    this.#silenceTimer?.cancel();
    const now = this.#p.scheduler.now();
    this.#utterance = null;
    this.#record({
      role: 'customer',
      text: `[pressed ${digit}]`,
      start_ms: this.#rel(now),
      end_ms: this.#rel(now),
      interrupted: false,
    });
    this.#respond({ text: '', dtmf: digit }, now, 0);
  }

  #maybeCommit() {
    const u = this.#utterance;
    if (!u || !u.eotDone || this.#callerSpeaking || u.awaitingFinal || this.#state !== 'listening') return;
    this.#commit();
  }

  #commit() {
    const u = this.#utterance;
    this.#utterance = null;
    if (!u) return;
    const text = u.texts.join(' ').replace(/\s+/g, ' ').trim();
    const now = this.#p.scheduler.now();
    if (!text) {
      this.#armSilence();
      return;
    }
    const end = u.end ?? now;
    this.#record({
      role: 'customer',
      text,
      start_ms: this.#rel(u.start),
      end_ms: this.#rel(end),
      interrupted: false,
    });
    // Fillers only, turn after turn: from the third in a row they count as silence (re-prompt, then end).
    const filler = isBackchannel(text, this.#s.interruptions.ignoreWords);
    this.#fillerTurns = filler ? this.#fillerTurns + 1 : 0;
    if (this.#fillerTurns >= fillerTurnsLimit)
      return this.#onSilence(this.#p.driver.handlesSilence?.() ?? null);
    this.#reprompted = false;
    this.#respond({ text }, end, Math.max(0, now - end));
  }

  #respond(turn: CallerTurn, speechEnd: number, eouMs: number) {
    const abort = new AbortController();
    this.#speak(this.#p.driver.reply(turn, abort.signal), { speechEnd, eouMs, abort });
  }

  // ------------------------------------------------------------------ output

  /** Speaks what the driver yields, sentence by sentence, as soon as each is ready. */
  #speak(
    source: AsyncIterable<DriverChunk>,
    after: { speechEnd: number; eouMs: number; abort: AbortController } | null,
  ) {
    if (this.#state === 'ended') return;
    const turn: AgentTurn = {
      abort: after?.abort ?? new AbortController(),
      segments: [],
      generated: false,
      action: null,
      speechEnd: after?.speechEnd ?? null,
      eouMs: after?.eouMs ?? 0,
      committedReal: performance.now(),
      firstSentenceReal: null,
      firstAudioReal: null,
      firstPlay: null,
      finished: false,
      paused: null,
    };
    this.#turn = turn;
    this.#state = 'thinking';
    this.#silenceTimer?.cancel();
    void this.#p.scheduler.track(this.#runTurn(source, turn));
  }

  async #runTurn(source: AsyncIterable<DriverChunk>, turn: AgentTurn) {
    try {
      for await (const chunk of source) {
        if (turn.abort.signal.aborted) break;
        if (chunk.type !== 'say') {
          turn.action = chunk;
          continue;
        }
        if (chunk.interruptible === false) openFirm(turn);
        for (const sentence of sentences(speakable(chunk.text))) {
          if (turn.abort.signal.aborted) break;
          turn.firstSentenceReal ??= performance.now();
          if (this.#streams()) {
            await this.#synthesizeStreaming(turn, sentence);
            if (turn.abort.signal.aborted || this.#turn !== turn) break;
            continue;
          }
          const audio = await synthesizeAll(this.#p.tts, sentence, this.#s, turn.abort.signal);
          if (turn.abort.signal.aborted || this.#turn !== turn) break;
          this.#play(turn, sentence, audio);
        }
        closeFirm(turn);
      }
    } catch (err) {
      if (turn.abort.signal.aborted) return;
      this.#p.onError?.(err);
      const reason = (err as { stage?: string }).stage === 'tts' ? 'tts_error' : 'llm_error';
      await this.end({ reason, status: 'failed', error: (err as Error).message });
      return;
    }
    if (turn.abort.signal.aborted || this.#turn !== turn) return;
    turn.generated = true;
    this.#maybeFinishTurn(turn);
  }

  /** The transport takes a segment in pieces (`append`/`finish`): speech plays as it is synthesised. */
  #streams() {
    const t = this.#p.transport;
    return typeof t.append === 'function' && typeof t.finish === 'function';
  }

  /**
   * One sentence, played as the speech engine makes it: its first chunk opens the segment (the
   * turn's first audio, for the latency parts), later chunks are appended, and the end of the
   * stream finishes it with its real duration. An engine with no audio plays the sentence as text.
   */
  async #synthesizeStreaming(turn: AgentTurn, text: string) {
    const signal = turn.abort.signal;
    const transport = this.#p.transport;
    let seg: PlayedSegment | null = null;
    try {
      for await (const pcm of this.#p.tts.synthesize(text, {
        sampleRate: ENGINE_SAMPLE_RATE,
        voice: this.#s.voice,
        language: this.#s.language,
        signal,
      })) {
        if (signal.aborted || this.#turn !== turn) return;
        if (!pcm.length) continue;
        if (!seg) {
          seg = this.#play(turn, text, pcm, true);
          continue;
        }
        seg.samples += pcm.length;
        seg.playEnd = seg.playStart + samplesMs(seg.samples);
        seg.more.push(pcm);
        if (!turn.paused) transport.append!(seg.id, pcm);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw Object.assign(err as Error, { stage: 'tts' });
    }
    if (signal.aborted || this.#turn !== turn) return;
    if (!seg) {
      this.#play(turn, text, undefined);
      return;
    }
    seg.open = false;
    seg.durationMs = Math.round(samplesMs(seg.samples));
    seg.playEnd = seg.playStart + seg.durationMs;
    if (!turn.paused) transport.finish!(seg.id, seg.durationMs);
  }

  #play(turn: AgentTurn, text: string, audio: Int16Array | undefined, open = false): PlayedSegment {
    const now = this.#p.scheduler.now();
    // An open segment's length is not known yet: what it has so far, until `finish`.
    const durationMs = audio ? Math.round(samplesMs(audio.length)) : speakingMs(text);
    const last = turn.segments[turn.segments.length - 1];
    const playStart = Math.max(now, last?.playEnd ?? now);
    const seg: PlayedSegment = {
      id: this.#nextSegmentId(),
      text,
      audio,
      durationMs,
      playStart,
      playEnd: playStart + durationMs,
      played: false,
      open,
      samples: audio?.length ?? 0,
      more: [],
    };
    turn.segments.push(seg);
    if (turn.firstPlay === null) {
      turn.firstPlay = now;
      turn.firstAudioReal = performance.now();
      this.#state = 'speaking';
      if (turn.speechEnd !== null && this.#recovering) {
        this.#recovering = false;
        this.#event('recoveries');
      }
      if (turn.speechEnd !== null && turn.committedReal !== null) {
        const turnMs = turn.firstAudioReal - turn.committedReal;
        const agentMs = (turn.firstSentenceReal ?? turn.firstAudioReal) - turn.committedReal;
        this.#p.recorder.latency({
          eou_ms: Math.round(turn.eouMs),
          agent_ms: round1(agentMs),
          tts_ms: round1(turnMs - agentMs),
          turn_ms: round1(turnMs),
          voice_to_voice_ms: round1(turn.eouMs + turnMs),
        });
      }
    }
    this.#notify({ type: 'agent_text', text, segment_id: seg.id });
    // Held (a possible false interruption): it plays when the agent resumes.
    if (!turn.paused)
      this.#p.transport.play(
        open
          ? { id: seg.id, text, audio, durationMs: Math.max(durationMs, speakingMs(text)), open: true }
          : { id: seg.id, text, audio, durationMs },
      );
    return seg;
  }

  #onPlayed(segmentId: string) {
    const turn = this.#turn;
    if (!turn) return;
    const seg = turn.segments.find((s) => s.id === segmentId);
    if (!seg) return;
    seg.played = true;
    this.#maybeFinishTurn(turn);
  }

  #maybeFinishTurn(turn: AgentTurn) {
    if (turn.finished || !turn.generated || !turn.segments.every((s) => s.played)) return;
    turn.finished = true;
    if (this.#turn === turn) this.#turn = null;
    const now = this.#p.scheduler.now();
    const text = turn.segments.map((s) => s.text).join(' ');
    if (text && turn.firstPlay !== null) {
      this.#record({
        role: 'agent',
        text,
        start_ms: this.#rel(turn.firstPlay),
        end_ms: this.#rel(now),
        interrupted: false,
      });
    }
    const action = turn.action;
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
      void this.#transfer(action).catch((err) => this.#p.onError?.(err));
      return;
    }
    this.#listen();
  }

  async #transfer(action: Extract<DriverChunk, { type: 'transfer' }>) {
    this.#holding = action.mode === 'warm';
    const ended = () => this.#state === 'ended';
    const next = await transferCall({ ...this.#p, note: (text) => this.note(text), ended }, action);
    this.#holding = false;
    if (ended()) return;
    if (next === 'transferred') await this.end({ reason: 'transferred', status: 'completed' });
    else if (next) this.#speak(next, null);
    else this.#listen();
  }

  #listen() {
    if (this.#state === 'ended') return;
    this.#state = 'listening';
    this.#notify({ type: 'listening' });
    const u = this.#utterance;
    if (u && !u.ignored) {
      // The caller started talking while the agent finished: their turn goes on.
      if (u.end !== null && !this.#callerSpeaking) this.#armEndOfTurn();
      return;
    }
    this.#utterance = null;
    if (!this.#callerSpeaking) this.#armSilence();
  }

  #armSilence() {
    this.#silenceTimer?.cancel();
    const own = this.#p.driver.handlesSilence?.() ?? null;
    this.#silenceTimer = this.#p.scheduler.after(own?.timeoutMs ?? this.#s.silenceTimeoutMs, () => {
      this.#silenceTimer = null;
      if (this.#state === 'listening' && !this.#callerSpeaking) this.#onSilence(own);
    });
  }

  #onSilence(own: { timeoutMs: number } | null) {
    if (this.#reprompted && !own) return void this.end({ reason: 'silence_timeout', status: 'completed' });
    this.#reprompted = true;
    this.#speak(this.#p.driver.reprompt(new AbortController().signal), null);
  }

  /** Turn-taking counts (interruptions, false ones, backchannels, recoveries) so far. */
  get turnCounts() {
    return { ...this.#counts };
  }

  #event(e: TurnEvent) {
    this.#counts[e]++;
    this.#p.recorder.turnEvent?.(e);
  }

  // ------------------------------------------------------------------ bookkeeping

  #nextSegmentId = () => `${this.callId}:${++this.#segSeq}`;

  /** A line in the transcript saying what happened (`[...]`, as the agent's): screeners, transfers. */
  note(text: string, at = this.#rel(this.#p.scheduler.now())) {
    if (this.#state !== 'ended')
      this.#record({ role: 'agent', text, start_ms: at, end_ms: at, interrupted: false });
  }

  #rel(t: number) {
    return Math.max(0, Math.round(t - this.#answeredAt));
  }

  #record(turn: TranscriptTurn) {
    this.#transcript.push(turn);
    this.#notify({
      type: 'transcript',
      role: turn.role,
      text: turn.text,
      final: true,
      ...(turn.interrupted ? { interrupted: true } : {}),
    });
    void this.#p.scheduler.track(
      this.#p.recorder.turn(turn).catch((err) => {
        this.#p.onError?.(err);
      }),
    );
  }

  #notify(n: Parameters<NonNullable<CallTransport['notify']>>[0]) {
    try {
      this.#p.transport.notify?.(n);
    } catch (err) {
      this.#p.onError?.(err);
    }
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
