import { heardPart, speakingMs } from './speech-text.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';

/** A spoken segment as the session tracks it (one sentence of an agent turn). */
export interface HeardSegment {
  id: string;
  text: string;
  durationMs: number;
  playStart: number;
  playEnd: number;
  played: boolean;
  open: boolean;
  samples: number;
}

export const samplesMs = (samples: number) => (samples / ENGINE_SAMPLE_RATE) * 1000;

/**
 * How much of a segment the caller heard, in ms, when the agent is cut at `now`. The transport's
 * own count wins when it has one (the frames it actually sent to the caller: the media socket
 * counts them; a Twilio segment whose mark came back is `played`); otherwise the session's clock
 * says how far the segment's playback had gone.
 */
export function heardMs(seg: HeardSegment, now: number, fromTransport: number | null | undefined): number {
  if (seg.played) return wholeMs(seg);
  if (typeof fromTransport === 'number') return Math.max(0, fromTransport);
  if (seg.open) return Math.max(0, Math.min(now - seg.playStart, samplesMs(seg.samples)));
  if (seg.playEnd <= now) return wholeMs(seg);
  return Math.max(0, now - seg.playStart);
}

/** A segment's whole length: its audio, or the speaking time of its words if the audio is not all here. */
export function wholeMs(seg: HeardSegment): number {
  if (seg.open) return Math.max(samplesMs(seg.samples), speakingMs(seg.text));
  return seg.durationMs > 0 ? seg.durationMs : speakingMs(seg.text);
}

/**
 * What the caller heard of a turn's segments: whole sentences that played, and the first words of
 * the one under way (in proportion to how much of it played).
 */
export function heardText(
  segments: readonly HeardSegment[],
  now: number,
  transportMs?: (id: string) => number | null | undefined,
): { text: string; heardAny: boolean } {
  const heard: string[] = [];
  let heardAny = false;
  for (const seg of segments) {
    const ms = heardMs(seg, now, seg.played ? undefined : transportMs?.(seg.id));
    if (ms <= 0) continue;
    heardAny = true;
    const whole = wholeMs(seg);
    if (ms >= whole) heard.push(seg.text);
    else heard.push(heardWords(seg.text, ms / whole));
  }
  const text = heard.join(' ').replace(/\s+/g, ' ').trim();
  // Some of its audio reached the caller, less than half a word: they heard the agent begin.
  const first =
    segments
      .find((s) => s.text.trim())
      ?.text.trim()
      .split(/\s+/)[0] ?? '';
  return { text: text || (heardAny ? first : ''), heardAny };
}

/** The words heard of a sentence cut after `fraction` of it: a word more than half said counts as heard. */
function heardWords(text: string, fraction: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const n = Math.round(words.length * fraction);
  if (n >= words.length) return text;
  return n > 0 ? words.slice(0, n).join(' ') : heardPart(text, fraction);
}

/** The index of the segment playing at `now` (the sentence the agent is in), or null when none is. */
export function currentSegment(segments: readonly HeardSegment[], now: number): number | null {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s.played) continue;
    if (s.playEnd <= now && !s.open) continue;
    return i;
  }
  return null;
}
