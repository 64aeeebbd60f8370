/**
 * The seams of the call engine. One `CallSession` runs per live call and talks to three things
 * through these interfaces:
 * - a `CallTransport`: the far end of the call (the sandbox callee, a browser or the CLI on
 *   Parley's media WebSocket, later Twilio Media Streams or LiveKit);
 * - speech engines (`SttEngine`, `TtsEngine`), chosen per agent;
 * - a `CallDriver`: what speaks for the business (the AI agent, or a voice flow).
 * Audio inside the engine is always 16 kHz, 16-bit signed mono PCM; transports convert.
 */

export const ENGINE_SAMPLE_RATE = 16_000;
/** Samples in one 20 ms frame at the engine's rate. */
export const FRAME_SAMPLES = 320;

// ---------------------------------------------------------------- speech

export interface SttOptions {
  sampleRate: number;
  language?: string;
  /** Phrases the caller is likely to say (a grammar for engines that take one, a prompt for others). */
  hints?: { phrases?: string[]; keywords?: string[] };
}

export interface SttListener {
  /** A provisional transcript of the utterance so far (engines that stream). */
  partial?(text: string): void;
  /** The transcript of one utterance, after `finalize()` (or an engine's own endpoint). */
  final(text: string): void;
  error(err: Error): void;
}

/** One recognition stream for a call: caller audio in, transcripts out. */
export interface SttStream {
  /**
   * The stream recognises whole utterances and needs no audio between them: the session feeds it
   * the caller's speech (and a moment before it, speech-gate.ts), not the silence between turns.
   * A streaming recogniser (its own endpointing, a connection kept alive by audio) leaves it unset.
   */
  readonly speechOnly?: boolean;
  push(pcm: Int16Array): void;
  /** The caller stopped speaking: produce the final transcript of what was pushed since the last one. */
  finalize(): void;
  close(): void;
}

export interface SttEngine {
  /** `sandbox`, `builtin`, `openai_compatible`, ... */
  readonly name: string;
  open(options: SttOptions, listener: SttListener): SttStream;
}

export interface TtsOptions {
  sampleRate: number;
  voice?: string;
  language?: string;
  signal?: AbortSignal;
}

export interface TtsEngine {
  readonly name: string;
  /**
   * Speech for one sentence, as PCM chunks at `sampleRate`. An engine with no audio (sandbox)
   * yields nothing; the session then counts the sentence's speaking time from its words.
   */
  synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array>;
}

// ---------------------------------------------------------------- transport

/** One piece of agent speech (a sentence) handed to the transport to play. */
export interface OutSegment {
  id: string;
  text: string;
  /** 16 kHz PCM; absent when the speech engine made none (text-only). */
  audio?: Int16Array;
  /** How long it plays (for an `open` segment: an estimate; `finish` gives the real length). */
  durationMs: number;
  /**
   * The segment's audio is still being synthesised: `audio` is its first part, the rest comes
   * through `append`, and `finish` marks its end. Only sent to a transport that has both.
   */
  open?: boolean;
}

/** Where a transport delivers what happens at the far end. Implemented by the session. */
export interface TransportSink {
  /** Caller audio, 16 kHz PCM (any length; the session frames it). */
  audio(pcm: Int16Array): void;
  /**
   * Caller speech already recognised (the sandbox callee, which needs no audio engine): `start`
   * carries the words, `end` marks when the caller stopped talking.
   */
  speech(event: { type: 'start'; text: string } | { type: 'end' }): void;
  /** A whole caller turn given as text (a text client); it is taken at once. */
  text(text: string): void;
  dtmf(digit: string): void;
  /** The segment finished playing at the far end (Twilio's `mark`). */
  played(segmentId: string): void;
  /** The far end hung up. */
  hungUp(): void;
}

/** What the session tells a transport besides audio (the web socket forwards these as JSON). */
export type SessionNotice =
  | { type: 'status'; status: string }
  | { type: 'transcript'; role: 'customer' | 'agent'; text: string; final: boolean; interrupted?: boolean }
  | { type: 'agent_text'; text: string; segment_id: string }
  | { type: 'listening' }
  | { type: 'ended'; status: string; ended_reason: string }
  | { type: 'notice'; code: string; message: string };

/**
 * The far end of one live call. A transport is attached to a session once the call is
 * connected; `play` queues audio in order (a transport with `append`/`finish` takes a segment in
 * pieces, as it is synthesised), `clear` drops everything queued or playing at once (barge-in),
 * and the transport reports each fully played segment back through `played`.
 */
export interface CallTransport {
  readonly kind: string;
  attach(sink: TransportSink): void;
  play(segment: OutSegment): void;
  /**
   * Streaming playback (optional): more audio for an `open` segment, in order, as the speech
   * engine makes it. The first frames play at once; a transport that runs out waits for more.
   */
  append?(segmentId: string, pcm: Int16Array): void;
  /** The `open` segment's audio is complete (`durationMs` in all): it plays out, then `played`. */
  finish?(segmentId: string, durationMs: number): void;
  clear(): void;
  /**
   * How much of a segment has reached the caller, in ms (the frames actually sent), when the
   * transport counts it; the session cuts an interrupted turn there (else it uses its own clock).
   */
  heardMs?(segmentId: string): number | null;
  notify?(notice: SessionNotice): void;
  /** Ends the call at the far end (idempotent). */
  hangup(): Promise<void>;
  /** Transfers the caller to a number; false when this transport cannot. */
  transfer?(to: string): Promise<boolean>;
  sendDtmf?(digits: string): Promise<void>;
  /** Hold audio for the caller on (within a frame) or off (a warm transfer's wait). */
  hold?(on: boolean): void;
  /**
   * A warm transfer's second leg: dial `to`, tell them `whisper`, and resolve once they are ready
   * to take the caller (`answered`, with `join`) or will not (`no_answer`, `busy`, ...). `join`
   * connects the caller to them; true when done (the session then ends `transferred`).
   */
  dialWarm?(request: WarmDialRequest): Promise<WarmDialResult>;
}

export interface WarmDialRequest {
  to: string;
  /** What the person hears before the caller is joined: who is calling and why. */
  whisper: string;
  /** How long it rings before `no_answer`. */
  ringSeconds: number;
}

export type WarmDialOutcome = 'answered' | 'no_answer' | 'busy' | 'declined' | 'invalid_number' | 'failed';

export interface WarmDialResult {
  outcome: WarmDialOutcome;
  join?(): Promise<boolean>;
  /** The second leg is dropped (the caller hung up while it rang): hang it up. */
  cancel?(): Promise<void>;
}

/**
 * Places outbound phone calls for one provider (`sandbox` here; Twilio and LiveKit add theirs).
 * `dial` runs in the call's start job: it reports progress (dialing, ringing, or an outcome such
 * as busy) through `hooks.progress` and, once the callee answers, hands a transport to
 * `hooks.connect`, which starts the session. Work it leaves running (timers, sockets) stops when
 * the function given to `hooks.onCancel` is called (the call was hung up through the API).
 */
export interface Carrier {
  readonly provider: string;
  dial(call: DialRequest, hooks: DialHooks): Promise<void>;
}

export interface DialRequest {
  callId: string;
  workspaceId: string;
  livemode: boolean;
  from: string | null;
  to: string | null;
  channelId: string | null;
  /** The test-mode callee script, when the call was created with one. */
  sandbox: SandboxScript | null;
}

export interface DialProgress {
  status: 'dialing' | 'ringing' | 'busy' | 'no_answer' | 'failed' | 'canceled';
  endedReason?: 'busy' | 'no_answer' | 'invalid_number' | 'failed_to_connect' | 'provider_error' | 'canceled';
  providerCallId?: string;
  error?: { code: string; message: string };
}

export interface DialHooks {
  progress(change: DialProgress): Promise<void>;
  connect: ConnectFn;
  onCancel(fn: () => void): void;
  /** The time the call runs on (the sandbox may run on virtual time). */
  scheduler: Scheduler;
}

export type ConnectFn = (
  transport: CallTransport,
  opts?: { answeredBy?: 'human' | 'machine' },
) => Promise<void>;

// ---------------------------------------------------------------- the driver

/** A caller turn handed to the driver: what they said, or keys they pressed. */
export interface CallerTurn {
  text: string;
  dtmf?: string;
}

/** What the driver says, sentence by sentence, and what it does after. */
export type DriverChunk =
  /** `interruptible: false` (a voice flow's legal notice): the caller's speech never cuts these sentences. */
  | { type: 'say'; text: string; interruptible?: boolean }
  /**
   * Hang up after speaking; a voice flow ends with `flow_ended`, anything else with
   * `agent_ended_call`, or `llm_error` (the call `failed`, with `error`) when the AI provider failed.
   */
  | { type: 'end_call'; reason?: 'flow_ended' | 'llm_error' | 'call_screener'; error?: string }
  /**
   * Transfer the caller. `warm` (with `to`): hold, dial `to` first and tell them `whisper`, then
   * join the caller (transfer.ts); otherwise the call is sent to `to` at once.
   */
  | {
      type: 'transfer';
      to?: string;
      human?: boolean;
      reason?: string;
      mode?: 'cold' | 'warm';
      whisper?: string;
    };

export interface CallDriver {
  /** The opening words when the call connects (nothing: wait for the caller). */
  start(signal: AbortSignal): AsyncIterable<DriverChunk>;
  /** The answer to one caller turn; `signal` aborts on barge-in or hangup. */
  reply(turn: CallerTurn, signal: AbortSignal): AsyncIterable<DriverChunk>;
  /**
   * The caller said nothing for the silence timeout: the re-prompt. Once, then a second silence
   * ends the call `silence_timeout`, unless the driver `handlesSilence()`.
   */
  reprompt(signal: AbortSignal): AsyncIterable<DriverChunk>;
  /**
   * While the driver waits for the caller, its own silence rules (a voice flow's ask node): how
   * long a silence lasts before `reprompt`, which is then called on every silence (the driver
   * counts its retries and ends the call itself). Nothing: the agent's silence timeout, once.
   */
  handlesSilence?(): { timeoutMs: number } | null;
  /**
   * The transport could not transfer the call (the carrier refused): what to say and do instead
   * (a voice flow's transfer `on_fail`). Nothing: the call goes on listening.
   */
  transferFailed?(signal: AbortSignal): AsyncIterable<DriverChunk>;
  /** The agent's last turn was cut: the caller heard `heard` of it. */
  interrupted?(heard: string): void;
  /** Voicemail reached: what to leave (nothing: hang up). */
  voicemail?(): string | null;
}

// ---------------------------------------------------------------- time

export interface Timer {
  cancel(): void;
}

/**
 * The session's time. The real one follows the wall clock; the virtual one (sandbox calls in
 * tests) jumps to the next timer as soon as no work is under way, so a 30-second call takes
 * milliseconds and stays deterministic.
 */
export interface Scheduler {
  /** Milliseconds since the scheduler started. */
  now(): number;
  after(ms: number, fn: () => void): Timer;
  /** Work the session waits on: virtual time does not move while any is under way. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Stops all timers. */
  dispose(): void;
}

// ---------------------------------------------------------------- sandbox callee

export type SandboxLine = string | { text: string; after_ms?: number; barge_in?: boolean } | { dtmf: string };

export interface SandboxScript {
  outcome?: 'answer' | 'busy' | 'no_answer' | 'voicemail' | 'invalid' | 'call_screener';
  lines?: SandboxLine[];
  hangup_after_lines?: boolean;
  /** What the person a warm transfer dials does (default: from that number's last digit). */
  transfer_answer?: 'answer' | 'no_answer' | 'decline';
}
