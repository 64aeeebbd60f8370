import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Downsampler16to8,
  MulawDecoder16k,
  MulawEncoder16k,
  mulawToPcm16,
  pcm16FromLE,
  pcm16ToMulaw,
  Upsampler8to16,
} from './codec.ts';

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
  // The filter delays by 7 samples at 16 kHz; compare against the ideal tone shifted by that delay.
  const ideal = sine(1000, 16_000, 3200 + 7);
  const diff = Int16Array.from({ length: 3000 }, (_, i) => out[i + 100 + 7] - ideal[i + 100]);
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
  assert.ok(attenuationDb < -20, `a 7 kHz tone is attenuated by ${attenuationDb.toFixed(1)} dB`);
  // Odd-length frames: the sample phase carries over.
  const d = new Downsampler16to8();
  const tone = sine(500, 16_000, 321);
  const pieces = [d.process(tone.subarray(0, 161)), d.process(tone.subarray(161))];
  assert.deepEqual(Int16Array.from([...pieces[0], ...pieces[1]]), new Downsampler16to8().process(tone));
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
  // Both filters delay: 7 samples at 16 kHz each → 7 samples at 8 kHz in all.
  const diff = Int16Array.from({ length: 1400 }, (_, i) => back[i + 107] - original[i + 100]);
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
