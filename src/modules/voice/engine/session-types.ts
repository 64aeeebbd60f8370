import { voiceDefaults } from '../../agents/index.ts';
import type { CallStatus, EndedReason } from '../voice.tables.ts';
import type { AgentTurn } from './agent-turn.ts';
import type { ScreenerSettings } from './screener.ts';
import { defaultBackchannels } from './speech-text.ts';
import type { TurnEvent, Utterance } from './turn-taking.ts';
import type {
  CallDriver,
  CallerTurn,
  CallTransport,
  DriverChunk,
  Scheduler,
  SttEngine,
  SttStream,
  TtsEngine,
} from './types.ts';

/** What a call session is given, and what it hands back: its settings, transcript and end. */

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
  /**
   * A call a screening assistant may answer (outbound phone calls): the session puts the screener
   * around the driver (screener.ts), on its own clock and transcript.
   */
  screener?: ScreenerSettings;
  onError?(err: unknown): void;
}

export type SessionState = 'connecting' | 'thinking' | 'speaking' | 'listening' | 'ended';

/** When the agent's turn answers a caller's turn: when they stopped, how long the end of turn took. */
export interface TurnStart {
  speechEnd: number;
  eouMs: number;
  abort: AbortController;
}

/** What the caller is doing: the utterance being heard, whether they speak now, the recogniser. */
export interface CallerSpeech {
  utterance: Utterance | null;
  speaking: boolean;
  /** The call's speech-to-text stream, once audio has opened it. */
  stt: SttStream | null;
}

/**
 * The one interface through which the session's parts reach the session (as LiveKit's agents
 * wire their audio recognition to the agent activity). Each part takes the slice it uses
 * (`Pick<SessionHooks, ...>`): the speaker, barge-in, end of turn, silence and transfer never
 * know one another, only the session does.
 */
export interface SessionHooks {
  phase(): SessionState;
  /** The agent speaks what `source` yields (an answer, a re-prompt, what follows a transfer). */
  speak(source: AsyncIterable<DriverChunk>, after: TurnStart | null): void;
  /** The agent is done: the caller has the floor. */
  listen(): void;
  end(end: SessionEnd): Promise<void>;
  /** The agent's turn made its first audio: the agent is speaking. */
  speaking(turn: AgentTurn): void;
  /** The agent's turn played out (and was written down): its action follows (end, transfer, listen). */
  finished(action: AgentTurn['action']): void;
  /** The caller cut the agent off: the agent stopped and listens. */
  interrupted(): void;
  /** Wait for the end of the caller's turn (again: their words are known now). */
  awaitEndOfTurn(): void;
  /** The caller said something, a whole turn: answer it (unless it counts as silence). */
  said(text: string, speechEnd: number, eouMs: number): void;
  /** Keys the caller pressed: answer them. */
  answer(turn: CallerTurn, speechEnd: number, eouMs: number): void;
  /** Nothing was said after all: the silence wait starts. */
  quiet(): void;
  /** A line in the transcript saying what happened (`[...]`, as the agent's). */
  note(text: string): void;
}
