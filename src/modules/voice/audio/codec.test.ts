import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Downsampler16to8,
  halfBandResponseDb,
  MulawDecoder16k,
  MulawEncoder16k,
  mulawToPcm16,
  pcm16FromLE,
  pcm16ToMulaw,
  RESAMPLER_DELAY_16K,
  Upsampler8to16,
} from './codec.ts';

const D = RESAMPLER_DELAY_16K;

function sine(freq: number, rate: number, samples: number, amplitude = 10_000, phase = 0): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase)),
  );
}

function rms(x: ArrayLike<number>, from = 0): number {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length - from));
}

test('μ-law: the G.711 reference points (silence is 0xFF, full scale negative is 0x00)', () => {
  assert.deepEqual([...pcm16ToMulaw(Int16Array.from([0]))], [0xff]);
  assert.deepEqual([...mulawToPcm16(Uint8Array.from([0xff, 0x7f, 0x00, 0x80]))], [0, 0, -32124, 32124]);
});

test('μ-law round trip of speech-level audio keeps a signal-to-noise ratio above 30 dB', () => {
  const x = sine(440, 8000, 8000, 8000);
  const y = mulawToPcm16(pcm16ToMulaw(x));
  const noise = Int16Array.from(x, (v, i) => v - y[i]);
  const snrDb = 20 * Math.log10(rms(x) / rms(noise));
  assert.ok(snrDb > 30, `SNR ${snrDb.toFixed(1)} dB`);
});

test('8 kHz → 16 kHz: a 1 kHz tone comes out as the same tone at twice the rate, frame by frame', () => {
  const input = sine(1000, 8000, 1600);
  const up = new Upsampler8to16();
  const frames: Int16Array[] = [];
  for (let i = 0; i < input.length; i += 160) frames.push(up.process(input.subarray(i, i + 160)));
  const out = Int16Array.from(frames.flatMap((f) => [...f]));
  assert.equal(out.length, 3200);
  // The filter delays by D samples at 16 kHz; compare against the ideal tone shifted by that delay.
  const ideal = sine(1000, 16_000, 3200 + D);
  const diff = Int16Array.from({ length: 3000 }, (_, i) => out[i + 100 + D] - ideal[i + 100]);
  const snrDb = 20 * Math.log10(rms(ideal, 100) / rms(diff));
  assert.ok(snrDb > 25, `SNR ${snrDb.toFixed(1)} dB`);
  // Same result whether the audio arrives in one piece or in 20 ms frames.
  assert.deepEqual(out, new Upsampler8to16().process(input));
});

test('16 kHz → 8 kHz keeps speech-band tones and suppresses what would alias', () => {
  const keep = new Downsampler16to8().process(sine(1000, 16_000, 3200));
  assert.equal(keep.length, 1600);
  assert.ok(Math.abs(rms(keep, 100) / (10_000 / Math.SQRT2) - 1) < 0.05, 'a 1 kHz tone keeps its level');
  const alias = new Downsampler16to8().process(sine(7000, 16_000, 3200));
  const attenuationDb = 20 * Math.log10(rms(alias, 100) / (10_000 / Math.SQRT2));
  assert.ok(attenuationDb < -60, `a 7 kHz tone is attenuated by ${attenuationDb.toFixed(1)} dB`);
  // Odd-length frames: the sample phase carries over.
  const d = new Downsampler16to8();
  const tone = sine(500, 16_000, 321);
  const pieces = [d.process(tone.subarray(0, 161)), d.process(tone.subarray(161))];
  assert.deepEqual(Int16Array.from([...pieces[0], ...pieces[1]]), new Downsampler16to8().process(tone));
});

/** The level of `freq` in `x` (sampled at `rate`), from sample `from` on: a single-bin DFT's amplitude. */
function toneLevel(x: ArrayLike<number>, freq: number, rate: number, from: number): number {
  let re = 0;
  let im = 0;
  const n = x.length - from;
  for (let i = from; i < x.length; i++) {
    // A Hann window keeps a strong tone elsewhere from leaking into this bin.
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i - from)) / (n - 1));
    re += x[i] * w * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= x[i] * w * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (n / 2);
}

const db = (ratio: number) => 20 * Math.log10(ratio);

test('16 kHz → 8 kHz, measured on tones in 20 ms frames: 4.5 kHz is 60 dB down or more, 3.4 kHz within 0.5 dB', () => {
  const through = (freq: number) => {
    const down = new Downsampler16to8();
    const input = sine(freq, 16_000, 16_000, 30_000);
    const out: number[] = [];
    for (let i = 0; i < input.length; i += 320) out.push(...down.process(input.subarray(i, i + 320)));
    return out;
  };
  // A 4.5 kHz tone would fold to 3.5 kHz at 8 kHz: measure what arrives there, against the input.
  const alias = db(toneLevel(through(4500), 3500, 8000, 400) / 30_000);
  assert.ok(alias <= -60, `a 4.5 kHz tone comes out ${alias.toFixed(1)} dB down as 3.5 kHz`);
  const edge = db(toneLevel(through(3400), 3400, 8000, 400) / 30_000);
  assert.ok(Math.abs(edge) <= 0.5, `3.4 kHz comes out at ${edge.toFixed(2)} dB`);
  const mid = db(toneLevel(through(1000), 1000, 8000, 400) / 30_000);
  assert.ok(Math.abs(mid) <= 0.5, `1 kHz comes out at ${mid.toFixed(2)} dB`);
  // The design's own numbers (codec.ts) agree with what the tones measured.
  assert.ok(halfBandResponseDb(4500) <= -70 && Math.abs(halfBandResponseDb(3400)) <= 0.01);
});

test('8 kHz → 16 kHz: the image of a 3.5 kHz tone at 4.5 kHz is 60 dB down or more, 3.4 kHz within 0.5 dB', () => {
  const through = (freq: number) => {
    const up = new Upsampler8to16();
    const input = sine(freq, 8000, 8000, 30_000);
    const out: number[] = [];
    for (let i = 0; i < input.length; i += 160) out.push(...up.process(input.subarray(i, i + 160)));
    return out;
  };
  const wide = through(3500);
  const image = db(toneLevel(wide, 4500, 16_000, 800) / 30_000);
  assert.ok(image <= -60, `the 4.5 kHz image is ${image.toFixed(1)} dB down`);
  const edge = db(toneLevel(through(3400), 3400, 16_000, 800) / 30_000);
  assert.ok(Math.abs(edge) <= 0.5, `3.4 kHz comes out at ${edge.toFixed(2)} dB`);
});

test('a call leg: μ-law 8 kHz in → 16 kHz PCM → μ-law 8 kHz out keeps the tone', () => {
  const original = sine(800, 8000, 1600, 6000);
  const dec = new MulawDecoder16k();
  const enc = new MulawEncoder16k();
  const back: number[] = [];
  for (let i = 0; i < original.length; i += 160) {
    const wide = dec.decode(pcm16ToMulaw(original.subarray(i, i + 160)));
    assert.equal(wide.length, 320);
    const bytes = enc.encode(wide);
    assert.equal(bytes.length, 160);
    back.push(...mulawToPcm16(bytes));
  }
  // Both filters delay: D samples at 16 kHz each → D samples at 8 kHz in all.
  const diff = Int16Array.from({ length: 1400 }, (_, i) => back[i + 100 + D] - original[i + 100]);
  const snrDb = 20 * Math.log10(rms(original, 100) / rms(diff));
  assert.ok(snrDb > 20, `SNR ${snrDb.toFixed(1)} dB`);
});

test('16-bit little-endian bytes at any offset (odd included) read as samples; a trailing odd byte is left out', () => {
  const samples = [0, 1, -1, 32767, -32768, 12345, -2222];
  const bytes = Buffer.alloc(1 + samples.length * 2 + 1);
  for (const [i, v] of samples.entries()) bytes.writeInt16LE(v, 1 + i * 2);
  const odd = bytes.subarray(1); // starts at an odd offset, ends with a stray byte
  assert.deepEqual([...pcm16FromLE(odd)], samples);
  assert.deepEqual([...pcm16FromLE(odd, 3)], samples.slice(0, 3));
  // A copy: later writes to the bytes do not change the samples.
  const pcm = pcm16FromLE(odd);
  odd.fill(0);
  assert.equal(pcm[3], 32767);
});
