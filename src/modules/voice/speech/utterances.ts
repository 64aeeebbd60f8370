import type { SttListener, SttStream } from '../engine/types.ts';

/**
 * The most audio an utterance keeps (60 s at 16 kHz): a caller who stays silent for minutes,
 * or a client streaming without a pause, does not grow a call's memory without bound; past it
 * the oldest half is dropped (an utterance is recognised from at least its last 30 s).
 */
export const MAX_UTTERANCE_SAMPLES = 60 * 16_000;

/**
 * A speech-to-text stream for engines that recognise one whole utterance at a time (a process
 * per utterance, an HTTP transcription): audio is gathered until the end of the turn, then
 * `recognise` runs, utterances in order; nothing reaches the listener once the stream is closed.
 * `closed` gets the chain of recognitions still running, to clean up after them.
 *
 * The audio is copied into one growing buffer (the pushed arrays may be views of a socket's
 * buffers, and are not kept), so 50 pushes a second allocate nothing once it has grown.
 */
export function utteranceStream(
  listener: SttListener,
  recognise: (pcm: Int16Array) => Promise<string>,
  closed: (running: Promise<void>) => void,
  maxSamples = MAX_UTTERANCE_SAMPLES,
): SttStream {
  let buf = new Int16Array(0);
  let length = 0;
  let done = false;
  let chain: Promise<void> = Promise.resolve();
  return {
    speechOnly: true,
    push(pcm) {
      if (done || !pcm.length) return;
      let src = pcm;
      if (src.length >= maxSamples) {
        src = src.subarray(src.length - maxSamples);
        length = 0;
      } else if (length + src.length > maxSamples) {
        // Drop the oldest half at once (one copy every half a limit, not one per push).
        const keep = Math.max(0, Math.min(length, (maxSamples >> 1) - src.length));
        buf.copyWithin(0, length - keep, length);
        length = keep;
      }
      if (length + src.length > buf.length) {
        const next = new Int16Array(Math.min(maxSamples, Math.max(16_000, (length + src.length) * 2)));
        next.set(buf.subarray(0, length));
        buf = next;
      }
      buf.set(src, length);
      length += src.length;
    },
    finalize() {
      if (done) return;
      const total = length;
      const pcm = buf.slice(0, total);
      length = 0;
      chain = chain.then(async () => {
        if (done) return;
        try {
          const text = total ? await recognise(pcm) : '';
          if (!done) listener.final(text);
        } catch (err) {
          if (!done) listener.error(err as Error);
        }
      });
    },
    close() {
      done = true;
      buf = new Int16Array(0);
      length = 0;
      closed(chain);
    },
  };
}
