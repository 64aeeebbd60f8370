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
 * Half-band low-pass taps (windowed sinc, cutoff at a quarter of the 16 kHz rate = 4 kHz); odd taps
 * apart from the centre are zero, which is what makes a 2:1 filter cheap: each rate converter
 * below only multiplies by the 8 even taps and the centre one (polyphase form), frame by frame.
 */
const HALF_BAND = halfBandTaps(15);
const TAPS = HALF_BAND.length; // 15
const MID = (TAPS - 1) / 2; // 7: the centre tap
/** The even taps, newest sample first (HALF_BAND[0], [2], …, [14]). */
const EVEN = Float64Array.from({ length: MID + 1 }, (_, t) => HALF_BAND[2 * t]);
const CENTRE = HALF_BAND[MID];
// The even taps as constants, so each converter's loop reads no array.
const [e0, e1, e2, e3, e4, e5, e6, e7] = EVEN;

function halfBandTaps(length: number): Float64Array {
  const taps = new Float64Array(length);
  const mid = (length - 1) / 2;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const n = i - mid;
    // sin(πn/2) is 0 for even n: exactly 0 here (not Math.sin's 1e-16), so those taps can be skipped.
    const sinc = n === 0 ? 0.5 : n % 2 === 0 ? 0 : Math.sin((Math.PI * n) / 2) / (Math.PI * n);
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
 *
 * With every other input of the filter a stuffed zero, an even output sample is the 8 even taps
 * over the last 8 inputs, and an odd one is the centre tap times the input 3 back.
 */
export class Upsampler8to16 {
  /** The last MID inputs of the previous frame, then this frame's (reused while frames are the same size). */
  #buf = new Float64Array(MID + 160);

  process(input: Int16Array): Int16Array {
    const len = input.length;
    if (this.#buf.length !== MID + len) {
      const next = new Float64Array(MID + len);
      next.set(this.#buf.subarray(0, MID));
      this.#buf = next;
    }
    const x = this.#buf;
    for (let i = 0; i < len; i++) x[MID + i] = input[i] * 2;
    const out = new Int16Array(len * 2);
    for (let i = 0; i < len; i++) {
      // x[i + MID] is the newest input; oldest first, as the direct form sums.
      out[2 * i] = clamp16(
        x[i] * e7 +
          x[i + 1] * e6 +
          x[i + 2] * e5 +
          x[i + 3] * e4 +
          x[i + 4] * e3 +
          x[i + 5] * e2 +
          x[i + 6] * e1 +
          x[i + 7] * e0,
      );
      out[2 * i + 1] = clamp16(x[i + 4] * CENTRE);
    }
    x.copyWithin(0, len);
    return out;
  }
}

/** 16 kHz → 8 kHz: the half-band filter then every second sample; state carried across frames. */
export class Downsampler16to8 {
  /** The last TAPS - 1 inputs of the previous frame, then this frame's. */
  #buf = new Float64Array(TAPS - 1 + 320);
  /** Whether the next input sample is one whose filtered value is kept (every second one). */
  #keepNext = true;

  process(input: Int16Array): Int16Array {
    const len = input.length;
    const H = TAPS - 1; // 14 samples of history
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
      // The filter's window ends at input i (x[i + H]) and starts 14 back (x[i]), oldest first.
      out[j] = clamp16(
        x[i] * e7 +
          x[i + 2] * e6 +
          x[i + 4] * e5 +
          x[i + 6] * e4 +
          x[i + 7] * CENTRE +
          x[i + 8] * e3 +
          x[i + 10] * e2 +
          x[i + 12] * e1 +
          x[i + 14] * e0,
      );
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
