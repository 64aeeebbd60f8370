import alawmulaw from 'alawmulaw';

const { mulaw } = alawmulaw;

/**
 * Telephone audio: G.711 μ-law at 8 kHz (Twilio Media Streams, Deepgram/ElevenLabs `mulaw`/`ulaw_8000`
 * output) against the engine's 16 kHz 16-bit PCM. The codec itself is `alawmulaw`'s; the 2:1 rate
 * conversion is here because it must run frame by frame (20 ms at a time) with state carried across
 * frames, which whole-buffer resamplers do not do.
 */

/** 20 ms of μ-law at 8 kHz: one Twilio media frame. */
export const MULAW_FRAME_BYTES = 160;

export function mulawToPcm16(bytes: Uint8Array): Int16Array {
  return mulaw.decode(bytes);
}

export function pcm16ToMulaw(samples: Int16Array): Uint8Array {
  return mulaw.encode(samples);
}

/**
 * Half-band low-pass taps (windowed sinc, cutoff at a quarter of the 16 kHz rate = 4 kHz); odd taps
 * apart from the centre are zero, which is what makes a 2:1 filter cheap.
 */
const HALF_BAND = halfBandTaps(15);

function halfBandTaps(length: number): Float64Array {
  const taps = new Float64Array(length);
  const mid = (length - 1) / 2;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const n = i - mid;
    const sinc = n === 0 ? 0.5 : Math.sin((Math.PI * n) / 2) / (Math.PI * n);
    const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (length - 1)); // Hamming
    taps[i] = sinc * window;
    sum += taps[i];
  }
  for (let i = 0; i < length; i++) taps[i] /= sum;
  return taps;
}

function clamp16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}

/**
 * 8 kHz → 16 kHz: zero-stuffing then the half-band filter (gain 2). Keeps the last samples of the
 * previous frame so consecutive frames join without a click. The output lags the input by
 * (taps - 1) / 2 samples at 16 kHz (under half a millisecond).
 */
export class Upsampler8to16 {
  #history = new Float64Array(HALF_BAND.length);

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(input.length * 2);
    const h = this.#history;
    const n = h.length;
    for (let i = 0; i < input.length; i++) {
      for (let phase = 0; phase < 2; phase++) {
        h.copyWithin(0, 1);
        h[n - 1] = phase === 0 ? input[i] * 2 : 0;
        let acc = 0;
        for (let k = 0; k < n; k++) acc += h[k] * HALF_BAND[n - 1 - k];
        out[i * 2 + phase] = clamp16(acc);
      }
    }
    return out;
  }
}

/** 16 kHz → 8 kHz: the half-band filter then every second sample; state carried across frames. */
export class Downsampler16to8 {
  #history = new Float64Array(HALF_BAND.length);
  #odd = false;
  #pending: number[] = [];

  process(input: Int16Array): Int16Array {
    const h = this.#history;
    const n = h.length;
    const out = this.#pending;
    this.#pending = [];
    for (let i = 0; i < input.length; i++) {
      h.copyWithin(0, 1);
      h[n - 1] = input[i];
      if (!this.#odd) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += h[k] * HALF_BAND[n - 1 - k];
        out.push(clamp16(acc));
      }
      this.#odd = !this.#odd;
    }
    return Int16Array.from(out);
  }
}

/** μ-law 8 kHz bytes → 16 kHz PCM, with the upsampler's state (one per call leg). */
export class MulawDecoder16k {
  #up = new Upsampler8to16();
  decode(bytes: Uint8Array): Int16Array {
    return this.#up.process(mulawToPcm16(bytes));
  }
}

/** 16 kHz PCM → μ-law 8 kHz bytes, with the downsampler's state (one per call leg). */
export class MulawEncoder16k {
  #down = new Downsampler16to8();
  encode(samples: Int16Array): Uint8Array {
    return pcm16ToMulaw(this.#down.process(samples));
  }
}
