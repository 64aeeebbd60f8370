import { voiceDefaults } from '../../agents/index.ts';
import type { EndedReason } from '../calls.reasons.ts';
import type { CallStatus } from '../voice.tables.ts';
import { defaultBackchannels } from './speech-text.ts';
import type { TurnEvent } from './turn-taking.ts';
import type { CallDriver, CallTransport, Scheduler, SttEngine, TtsEngine } from './types.ts';

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
  onError?(err: unknown): void;
}

export type SessionState = 'connecting' | 'thinking' | 'speaking' | 'listening' | 'ended';
