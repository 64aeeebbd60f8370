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

/**
 * `alawmulaw`'s G.711 as lookup tables, made once (256 entries to decode, 65,536 to encode: 64 KB):
 * a table read per sample instead of a function call with its branches, on every 20 ms frame of
 * every call.
 */
const DECODE = Int16Array.from({ length: 256 }, (_, b) => mulaw.decodeSample(b));
const ENCODE = Uint8Array.from({ length: 65_536 }, (_, u) => mulaw.encodeSample((u << 16) >> 16));

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The first `samples` 16-bit little-endian samples of `bytes` (default: all whole ones) as a
 * new Int16Array: one memory copy on a little-endian machine (a Buffer's offset into its pool
 * may be odd, so the bytes are copied rather than viewed), sample by sample elsewhere.
 */
export function pcm16FromLE(bytes: Uint8Array, samples = bytes.length >> 1): Int16Array {
  const out = new Int16Array(samples);
  if (littleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, samples * 2));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < samples; i++) out[i] = view.getInt16(i * 2, true);
  }
  return out;
}

/**
 * The same samples as a view of `bytes` when they can be read in place (a little-endian machine,
 * an even offset): no copy; else a copy as `pcm16FromLE`. For bytes nobody writes to afterwards.
 */
export function pcm16ViewLE(bytes: Uint8Array, samples = bytes.length >> 1): Int16Array {
  return littleEndian && bytes.byteOffset % 2 === 0
    ? new Int16Array(bytes.buffer, bytes.byteOffset, samples)
    : pcm16FromLE(bytes, samples);
}

export function mulawToPcm16(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE[bytes[i]];
  return out;
}

export function pcm16ToMulaw(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = ENCODE[samples[i] & 0xffff];
  return out;
}

/**
 * The half-band low-pass filter both rate converters use: a Kaiser-windowed sinc, cutoff at a
 * quarter of the 16 kHz rate (4 kHz), 79 taps (K = 20 below), Kaiser β = 7.5.
 *
 * Design (the numbers are the filter's own response, computed from these taps; the codec test
 * measures them again on real tones through the converters):
 * - passband flat within 0.002 dB from 0 to 3.4 kHz (the telephone band's edge);
 * - at least 75 dB down from 4.5 kHz to 8 kHz, so a 4.5 kHz tone does not come back as a 3.5 kHz
 *   one after 2:1 decimation (the earlier 15-tap Hamming filter let it through 11 dB down and took
 *   2.3 dB off 3.4 kHz; sox's default is 88 dB);
 * - 1.2 kHz wide transition band (3.4 to 4.6 kHz, symmetric about 4 kHz as every half-band is).
 * The length and β were picked by sweeping K in 12..24 and β in 5..8.5 for the shortest filter
 * with 70 dB or more from 4.5 kHz and under 0.1 dB of passband error to 3.4 kHz; the taps are made
 * here from that formula once at load (exactly reproducible, nothing to paste).
 *
 * A half-band filter's taps at even offsets from the centre are zero and the centre is exactly
 * 1/2, so the converters below multiply only by the 2K odd-offset taps (polyphase form), and each
 * pair of those is symmetric (the same tap either side of the centre), so the inputs are added
 * first: K multiplications per output sample.
 */
const K = 20;
const KAISER_BETA = 7.5;
/** Half the filter's length less one: taps run from -M to +M around the centre (M odd). */
const M = 2 * K - 1;
/** How far each converter's output lags its input, in samples at 16 kHz. */
export const RESAMPLER_DELAY_16K = M;
/** The odd-offset taps, from offset 1 outwards: ODD[t] is the tap at ±(2t + 1). */
const ODD = halfBandOddTaps(K, KAISER_BETA);

/** Modified Bessel function of the first kind, order 0 (the Kaiser window's), by its series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

function halfBandOddTaps(k: number, beta: number): Float64Array {
  const m = 2 * k - 1;
  const taps = new Float64Array(k);
  let sum = 0;
  for (let t = 0; t < k; t++) {
    const n = 2 * t + 1;
    const r = n / m;
    const window = besselI0(beta * Math.sqrt(1 - r * r)) / besselI0(beta);
    taps[t] = (Math.sin((Math.PI * n) / 2) / (Math.PI * n)) * window;
    sum += 2 * taps[t];
  }
  // The odd taps sum to 1/2 and the centre is 1/2: unity gain at 0 Hz, and each polyphase branch
  // alone has gain 1/2 (what interpolation by 2 needs to leave no image of 0 Hz).
  for (let t = 0; t < k; t++) taps[t] *= 0.5 / sum;
  return taps;
}

/** The filter's response at `hz` (16 kHz rate), in dB: for the design notes and the test. */
export function halfBandResponseDb(hz: number): number {
  let re = 0.5;
  const w = (2 * Math.PI * hz) / 16_000;
  for (let t = 0; t < K; t++) re += 2 * ODD[t] * Math.cos(w * (2 * t + 1));
  return 20 * Math.log10(Math.abs(re));
}

function clamp16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}

/**
 * 8 kHz → 16 kHz: zero-stuffing then the half-band filter (gain 2). Keeps the last inputs of the
 * previous frame so consecutive frames join without a click. The output lags the input by M
 * samples at 16 kHz (39: 2.4 ms).
 *
 * With every other input of the filter a stuffed zero, one output of each pair is the odd-offset
 * taps over the last 2K inputs (times 2), and the other is the centre tap (1/2, times 2) times the
 * input K - 1 back: a plain copy.
 */
export class Upsampler8to16 {
  /** The last 2K - 1 inputs of the previous frame, then this frame's (reused while frames are the same size). */
  #buf = new Float64Array(2 * K - 1 + 160);

  process(input: Int16Array): Int16Array {
    const len = input.length;
    const H = 2 * K - 1;
    if (this.#buf.length !== H + len) {
      const next = new Float64Array(H + len);
      next.set(this.#buf.subarray(0, H));
      this.#buf = next;
    }
    const x = this.#buf;
    for (let i = 0; i < len; i++) x[H + i] = input[i];
    const out = new Int16Array(len * 2);
    for (let i = 0; i < len; i++) {
      // x[i + H] is the newest input; the pair of taps at ±(2t + 1) meets x[i + K - 1 - t] and
      // x[i + K + t], inputs either side of the midpoint between x[i + K - 1] and x[i + K].
      let acc = 0;
      for (let t = 0; t < K; t++) acc += ODD[t] * (x[i + K - 1 - t] + x[i + K + t]);
      out[2 * i] = clamp16(2 * acc);
      out[2 * i + 1] = clamp16(x[i + K]);
    }
    x.copyWithin(0, len);
    return out;
  }
}

/** 16 kHz → 8 kHz: the half-band filter then every second sample; state carried across frames. */
export class Downsampler16to8 {
  /** The last 2M inputs of the previous frame, then this frame's. */
  #buf = new Float64Array(2 * M + 320);
  /** Whether the next input sample is one whose filtered value is kept (every second one). */
  #keepNext = true;

  process(input: Int16Array): Int16Array {
    const len = input.length;
    const H = 2 * M; // 78 samples of history
    if (this.#buf.length !== H + len) {
      const next = new Float64Array(H + len);
      next.set(this.#buf.subarray(0, H));
      this.#buf = next;
    }
    const x = this.#buf;
    for (let i = 0; i < len; i++) x[H + i] = input[i];
    const first = this.#keepNext ? 0 : 1;
    const count = len > first ? Math.ceil((len - first) / 2) : 0;
    const out = new Int16Array(count);
    for (let j = 0, i = first; j < count; j++, i += 2) {
      // The filter's window ends at input i (x[i + H]) and starts 2M back (x[i]); its centre is
      // x[i + M], and the tap at ±(2t + 1) meets x[i + M ∓ (2t + 1)].
      const c = i + M;
      let acc = 0.5 * x[c];
      for (let t = 0; t < K; t++) acc += ODD[t] * (x[c - 2 * t - 1] + x[c + 2 * t + 1]);
      out[j] = clamp16(acc);
    }
    this.#keepNext = (len - first) % 2 === 0;
    x.copyWithin(0, len);
    return out;
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
