import type { SttEngine, SttListener, SttOptions, SttStream, TtsEngine } from '../engine/types.ts';

/**
 * Test mode's speech-to-text. The sandbox callee's words arrive already recognised (exact
 * text), so this engine only has real audio to deal with when a client streams some in test
 * mode: it cannot understand it, so the utterance ends with no words and is never a turn (a web
 * client is told so when it joins, and at the call's creation).
 */
export const sandboxStt: SttEngine = {
  name: 'sandbox',
  open(_options: SttOptions, listener: SttListener): SttStream {
    let samples = 0;
    return {
      push(pcm) {
        samples += pcm.length;
      },
      finalize() {
        if (samples > 0) listener.final('');
        samples = 0;
      },
      close() {},
    };
  },
};

/** Test mode's text-to-speech: no audio; the session counts each sentence's speaking time from its words. */
export const sandboxTts: TtsEngine = {
  name: 'sandbox',
  async *synthesize() {},
};
