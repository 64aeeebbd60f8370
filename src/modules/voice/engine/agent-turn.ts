import { samplesMs } from './heard-text.ts';
import type { CallTransport, DriverChunk, OutSegment, Timer, TtsEngine } from './types.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';

/** An agent turn as the session plays it: its sentences (segments) and the timing marks of its latency. */
export interface PlayedSegment extends OutSegment {
  playStart: number;
  /** When it stops playing (an open segment: when the audio received so far does). */
  playEnd: number;
  played: boolean;
  /** Still being synthesised (streamed to the transport as it comes). */
  open: boolean;
  /** Audio handed to the transport so far (samples), and what came after `audio` (kept for a resume). */
  samples: number;
  more: Int16Array[];
}

export interface AgentTurn {
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
  /** Held for a sound or words not yet known (a possible false interruption): since when, in which sentence. */
  paused: { at: number; index: number | null; timer: Timer | null; limit: Timer } | null;
  /**
   * Sentences of an `interruptible: false` say (a legal notice): the caller's speech does not cut
   * the turn while one of them is being made or played (`firmFrom`: the index of the first one
   * of the say being made, null when none is).
   */
  firm?: { segments: PlayedSegment[]; firmFrom: number | null };
}

/** An `interruptible: false` say begins: its sentences are the turn's next segments. */
export function openFirm(turn: AgentTurn) {
  turn.firm ??= { segments: [], firmFrom: null };
  turn.firm.firmFrom = turn.segments.length;
}

/** A say's sentences are all made: those of a firm say stay firm until they have played. */
export function closeFirm(turn: AgentTurn) {
  if (turn.firm?.firmFrom == null) return;
  turn.firm.segments.push(...turn.segments.slice(turn.firm.firmFrom));
  turn.firm.firmFrom = null;
}

/** Whether the turn is in an uninterruptible sentence at `now` (scheduler time). */
export function inFirmSentence(turn: AgentTurn | null, now: number): boolean {
  if (!turn?.firm) return false;
  return turn.firm.firmFrom !== null || turn.firm.segments.some((s) => now < s.playEnd);
}

/** One sentence's whole audio (nothing: an engine with no audio), for transports that take it whole. */
export async function synthesizeAll(
  tts: TtsEngine,
  text: string,
  settings: { voice?: string; language?: string },
  signal: AbortSignal,
): Promise<Int16Array | undefined> {
  const chunks: Int16Array[] = [];
  let total = 0;
  try {
    for await (const pcm of tts.synthesize(text, {
      sampleRate: ENGINE_SAMPLE_RATE,
      voice: settings.voice,
      language: settings.language,
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

/** How long the agent stays paused for the words of a sound that ended (engines that finalize late). */
export const falseInterruptionWaitMs = 800;
/** The longest the agent stays paused for a sound with no words (a long noise): then it goes on. */
export const falseInterruptionMaxMs = 1_500;

/**
 * Resuming after a false interruption: the sentence the agent was in (`index`) and those after it
 * play again from `now`, as new segments (the transport dropped what it had queued); those before
 * it count as played (null: all had).
 */
export function replayFrom(
  turn: AgentTurn,
  index: number | null,
  now: number,
  transport: CallTransport,
  nextId: () => string,
) {
  let at = now;
  for (const [i, seg] of turn.segments.entries()) {
    if (index === null || i < index) {
      seg.played = true;
      continue;
    }
    seg.id = nextId();
    const audio = seg.more.length && seg.audio ? concat([seg.audio, ...seg.more]) : seg.audio;
    const ms = seg.open ? samplesMs(seg.samples) : seg.durationMs;
    [seg.playStart, seg.playEnd, at] = [at, at + ms, at + ms];
    transport.play({
      id: seg.id,
      text: seg.text,
      audio,
      durationMs: ms,
      ...(seg.open ? { open: true } : {}),
    });
  }
}

function concat(parts: Int16Array[]) {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
