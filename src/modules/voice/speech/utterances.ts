import type { SttListener, SttStream } from '../engine/types.ts';

/**
 * A speech-to-text stream for engines that recognise one whole utterance at a time (a process
 * per utterance, an HTTP transcription): audio is gathered until the end of the turn, then
 * `recognise` runs, utterances in order; nothing reaches the listener once the stream is closed.
 * `closed` gets the chain of recognitions still running, to clean up after them.
 */
export function utteranceStream(
  listener: SttListener,
  recognise: (pcm: Int16Array) => Promise<string>,
  closed: (running: Promise<void>) => void,
): SttStream {
  let chunks: Int16Array[] = [];
  let done = false;
  let chain: Promise<void> = Promise.resolve();
  return {
    push(pcm) {
      if (!done) chunks.push(pcm);
    },
    finalize() {
      if (done) return;
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const pcm = new Int16Array(total);
      let off = 0;
      for (const c of chunks) {
        pcm.set(c, off);
        off += c.length;
      }
      chunks = [];
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
      chunks = [];
      closed(chain);
    },
  };
}
