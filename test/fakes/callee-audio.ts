import { pcm16ToMulaw } from '../../src/modules/voice/audio/codec.ts';

/**
 * Audio for a scripted callee, made at test time with no speech engine: a voiced signal (a
 * 110–190 Hz glottal pitch with its harmonics, shaped by formant-like peaks) whose loudness rises
 * and falls four times a second like syllables, then silence. It is real μ-law 8 kHz audio with
 * speech's energy and rhythm, which is what a voice-activity detector and a transport see; it
 * says no words (a fake recogniser supplies those).
 */
export function speechLikePcm8k(durationMs: number, seed = 1): Int16Array {
  return memo(pcmCache, durationMs, seed, (ms, sd) => speechLikePcm(ms, sd, 8000));
}

/**
 * Made once per length and seed (about 6 ms of CPU per second of audio): a fake playing hundreds
 * of callees (the media-streams benchmark) would otherwise spend most of a core making the same
 * audio again. Callers only read it.
 */
const pcmCache = new Map<string, Int16Array>();
const mulawCache = new Map<string, Uint8Array>();
function memo<T>(
  cache: Map<string, T>,
  durationMs: number,
  seed: number,
  make: (ms: number, seed: number) => T,
) {
  const key = `${durationMs}:${seed}`;
  let v = cache.get(key);
  if (!v) {
    if (cache.size >= 256) cache.delete(cache.keys().next().value!);
    v = make(durationMs, seed);
    cache.set(key, v);
  }
  return v;
}

/**
 * The voiced signal at any sample rate (harmonics up to 4 kHz, or 85% of the band below it; 20 ms
 * fades): the same sound at 8 kHz for callees and at 16 kHz for web callers (bench/voice.bench.ts).
 */
export function speechLikePcm(durationMs: number, seed = 1, rate = 8000): Int16Array {
  const n = Math.round((durationMs / 1000) * rate);
  const out = new Int16Array(n);
  const top = Math.min(4000, 0.425 * rate);
  const fade = rate / 50;
  let phase = 0;
  const formants = [700 + 100 * (seed % 3), 1200 + 150 * (seed % 4), 2500];
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const pitch = 150 + 40 * Math.sin(2 * Math.PI * 0.7 * t + seed);
    phase += (2 * Math.PI * pitch) / rate;
    let s = 0;
    for (let h = 1; h * pitch < top; h++) {
      const f = h * pitch;
      const gain = formants.reduce((g, fm) => g + 1 / (1 + ((f - fm) / 150) ** 2), 0.05) / h;
      s += gain * Math.sin(h * phase);
    }
    const syllable = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t - Math.PI / 2);
    const edge = Math.min(1, i / fade, (n - i) / fade);
    out[i] = Math.round(6000 * s * syllable * edge);
  }
  return out;
}

export function speechLikeMulaw(durationMs: number, seed = 1): Uint8Array {
  return memo(mulawCache, durationMs, seed, (ms, s) => pcm16ToMulaw(speechLikePcm8k(ms, s)));
}

/** Line silence in μ-law (0xFF is zero amplitude). */
export function mulawSilence(durationMs: number): Uint8Array {
  return new Uint8Array(Math.round(durationMs * 8)).fill(0xff);
}
