import type { SttStream } from './types.ts';

/** Audio kept from before the VAD hears speech start (it needs 60 ms of voice; soft onsets are quieter). */
export const PRE_ROLL_MS = 400;

/**
 * Between the caller's turns, a recogniser of whole utterances (`SttStream.speechOnly`) is not fed
 * the silence: the session keeps only the last `PRE_ROLL_MS` of audio here (one fixed ring, a copy
 * per frame, nothing allocated) and hands it to the recogniser when speech starts, then feeds it
 * the speech itself. Its buffer and the audio it recognises are the utterance, not the minutes of
 * silence before it.
 */
export class SpeechGate {
  readonly #ring: Int16Array;
  /** Where the next sample goes, and how many of the ring's samples are audio. */
  #at = 0;
  #filled = 0;

  constructor(samples = PRE_ROLL_MS * 16) {
    this.#ring = new Int16Array(samples);
  }

  /** Keeps `pcm` as the most recent audio (the oldest goes past the ring's length). */
  keep(pcm: Int16Array) {
    const ring = this.#ring;
    const size = ring.length;
    const src = pcm.length > size ? pcm.subarray(pcm.length - size) : pcm;
    const first = Math.min(src.length, size - this.#at);
    ring.set(first === src.length ? src : src.subarray(0, first), this.#at);
    if (first < src.length) ring.set(src.subarray(first), 0);
    this.#at = (this.#at + src.length) % size;
    this.#filled = Math.min(size, this.#filled + src.length);
  }

  /** Speech started: the audio kept goes to the recogniser, oldest first, and the ring empties. */
  flush(stt: SttStream) {
    const ring = this.#ring;
    const n = this.#filled;
    this.#filled = 0;
    if (!n) return;
    const start = (this.#at - n + ring.length) % ring.length;
    if (start + n <= ring.length) stt.push(ring.subarray(start, start + n));
    else {
      stt.push(ring.subarray(start));
      stt.push(ring.subarray(0, this.#at));
    }
  }

  /** Samples kept (for tests). */
  get kept() {
    return this.#filled;
  }
}
