import type { SttEngine, SttListener, SttOptions, SttStream, TtsEngine } from '../engine/types.ts';
import { ENGINE_SAMPLE_RATE } from '../engine/types.ts';

/**
 * Test mode's speech-to-text. The sandbox callee's words arrive already recognised (exact
 * text), so this engine only has real audio to deal with when a client streams some in test
 * mode: it cannot understand it and says so, with how long the caller spoke.
 */
export const sandboxStt: SttEngine = {
  name: 'sandbox',
  open(options: SttOptions, listener: SttListener): SttStream {
    let samples = 0;
    return {
      push(pcm) {
        samples += pcm.length;
      },
      finalize() {
        const seconds = samples / (options.sampleRate || ENGINE_SAMPLE_RATE);
        samples = 0;
        if (seconds > 0)
          listener.final(`[speech ${seconds.toFixed(1)} s: the sandbox engine does not transcribe audio]`);
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
