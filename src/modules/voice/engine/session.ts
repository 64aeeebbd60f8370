import { voiceDefaults } from '../../agents/index.ts';
import type { EndedReason } from '../calls.reasons.ts';
import type { CallStatus } from '../voice.tables.ts';
import {
  defaultBackchannels,
  heardPart,
  isBackchannel,
  sentences,
  speakable,
  speakingMs,
} from './speech-text.ts';
import type {
  CallDriver,
  CallerTurn,
  CallTransport,
  DriverChunk,
  OutSegment,
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
  interruptions: { enabled: boolean; minSpeechMs: number; ignoreWords: string[] };
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

interface PlayedSegment extends OutSegment {
  playStart: number;
  /** When it stops playing (an open segment: when the audio received so far does). */
  playEnd: number;
  played: boolean;
  /** Still being synthesised (streamed to the transport as it comes). */
  open: boolean;
  /** Audio handed to the transport so far (samples). */
  samples: number;
}

interface AgentTurn {
  abort: AbortController;
  segments: PlayedSegment[];
  generated: boolean;
  action: Extract<DriverChunk, { type: 'end_call' | 'transfer' }> | null;
  /** Timing marks: real time (performance.now) for Parley's work, scheduler time for the caller's. */
  speechEnd: number | null;
  committedReal: number | null;
  firstSentenceReal: number | null;
  firstAudioReal: number | null;
  eouMs: number;
  firstPlay: number | null;
  finished: boolean;
}

interface Utterance {
  start: number;
  end: number | null;
  texts: string[];
  /** Words heard while the agent spoke that turned out to be a backchannel: not a turn. */
  ignored: boolean;
  awaitingFinal: boolean;
  /** The end-of-turn silence has passed since the caller last stopped. */
  eotDone: boolean;
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
    this.#vad.push(pcm, (speaking) => (speaking ? this.#speechStart(undefined) : this.#speechEnd()));
  }

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
    if (agentActive) {
      if (!this.#s.interruptions.enabled) {
        // The agent keeps the floor: what the caller says over it is not a turn.
        this.#utterance = {
          start: now,
          end: null,
          texts: [],
          ignored: true,
          awaitingFinal: false,
          eotDone: false,
        };
        return;
      }
      this.#utterance = {
        start: now,
        end: null,
        texts: text ? [text] : [],
        ignored: false,
        awaitingFinal: false,
        eotDone: false,
      };
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
    this.#utterance = {
      start: now,
      end: null,
      texts: text ? [text] : [],
      ignored: false,
      awaitingFinal: false,
      eotDone: false,
    };
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
    if (this.#state === 'listening') this.#armEndOfTurn();
    if (this.#stt) {
      u.awaitingFinal = true;
      this.#stt.finalize();
    }
  }

  #armEndOfTurn() {
    this.#eotTimer?.cancel();
    this.#eotTimer = this.#p.scheduler.after(this.#s.endOfTurnSilenceMs, () => {
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
    // A backchannel recognised after the barge-in check: drop it.
    if (this.#state === 'listening' && u.eotDone) this.#maybeCommit();
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
      return;
    }
    this.#interrupt();
  }

  /** Barge-in: the agent stops at once; its turn is kept as far as the caller heard it. */
  #interrupt() {
    const turn = this.#turn;
    if (!turn) return;
    this.#p.transport.clear();
    const text = this.#cutTurn(turn);
    this.#p.driver.interrupted?.(text);
    this.#state = 'listening';
    this.#notify({ type: 'listening' });
  }

  /** Stops an agent turn and records what the caller heard of it (interrupted); returns that text. */
  #cutTurn(turn: AgentTurn): string {
    turn.abort.abort();
    turn.finished = true;
    if (this.#turn === turn) this.#turn = null;
    const now = this.#p.scheduler.now();
    const heard: string[] = [];
    for (const seg of turn.segments) {
      if (seg.open) {
        // Cut while still being synthesised: heard as far as its audio played, out of an
        // estimated whole (what had come, or the words' speaking time if that is longer).
        const heardMs = Math.min(now - seg.playStart, samplesMs(seg.samples));
        const whole = Math.max(samplesMs(seg.samples), speakingMs(seg.text));
        if (heardMs > 0) heard.push(heardPart(seg.text, heardMs / whole));
      } else if (seg.played || seg.playEnd <= now) heard.push(seg.text);
      else if (seg.playStart < now) heard.push(heardPart(seg.text, (now - seg.playStart) / seg.durationMs));
    }
    const text = heard.join(' ').trim();
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
      if (!this.#s.interruptions.enabled) return;
      this.#interrupt();
    }
    this.#silenceTimer?.cancel();
    const now = this.#p.scheduler.now();
    this.#utterance = {
      start: now,
      end: now,
      texts: [text.trim()],
      ignored: false,
      awaitingFinal: false,
      eotDone: true,
    };
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
    this.#reprompted = false;
    const end = u.end ?? now;
    this.#record({
      role: 'customer',
      text,
      start_ms: this.#rel(u.start),
      end_ms: this.#rel(end),
      interrupted: false,
    });
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
        for (const sentence of sentences(speakable(chunk.text))) {
          if (turn.abort.signal.aborted) break;
          turn.firstSentenceReal ??= performance.now();
          if (this.#streams()) {
            await this.#synthesizeStreaming(turn, sentence);
            if (turn.abort.signal.aborted || this.#turn !== turn) break;
            continue;
          }
          const audio = await this.#synthesize(sentence, turn.abort.signal);
          if (turn.abort.signal.aborted || this.#turn !== turn) break;
          this.#play(turn, sentence, audio);
        }
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
        transport.append!(seg.id, pcm);
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
    transport.finish!(seg.id, seg.durationMs);
  }

  async #synthesize(text: string, signal: AbortSignal): Promise<Int16Array | undefined> {
    const chunks: Int16Array[] = [];
    let total = 0;
    try {
      for await (const pcm of this.#p.tts.synthesize(text, {
        sampleRate: ENGINE_SAMPLE_RATE,
        voice: this.#s.voice,
        language: this.#s.language,
        signal,
      })) {
        chunks.push(pcm);
        total += pcm.length;
      }
    } catch (err) {
      if (signal.aborted) return undefined;
      throw Object.assign(err as Error, { stage: 'tts' });
    }
    if (total === 0) return undefined;
    const out = new Int16Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  #play(turn: AgentTurn, text: string, audio: Int16Array | undefined, open = false): PlayedSegment {
    const now = this.#p.scheduler.now();
    // An open segment's length is not known yet: what it has so far, until `finish`.
    const durationMs = audio ? Math.round(samplesMs(audio.length)) : speakingMs(text);
    const last = turn.segments[turn.segments.length - 1];
    const playStart = Math.max(now, last?.playEnd ?? now);
    const seg: PlayedSegment = {
      id: `${this.callId}:${++this.#segSeq}`,
      text,
      audio,
      durationMs,
      playStart,
      playEnd: playStart + durationMs,
      played: false,
      open,
      samples: audio?.length ?? 0,
    };
    turn.segments.push(seg);
    if (turn.firstPlay === null) {
      turn.firstPlay = now;
      turn.firstAudioReal = performance.now();
      this.#state = 'speaking';
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
      if (this.#state !== 'listening' || this.#callerSpeaking) return;
      if (this.#reprompted && !own) {
        void this.end({ reason: 'silence_timeout', status: 'completed' });
        return;
      }
      this.#reprompted = true;
      this.#speak(this.#p.driver.reprompt(new AbortController().signal), null);
    });
  }

  // ------------------------------------------------------------------ bookkeeping

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
const samplesMs = (samples: number) => (samples / ENGINE_SAMPLE_RATE) * 1000;
