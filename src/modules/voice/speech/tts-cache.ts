import type { TtsEngine, TtsOptions } from '../engine/types.ts';

/**
 * Synthesised speech kept per engine, voice and text, so a sentence an agent says again (a
 * greeting, "I'm sorry, I don't have that information.", a re-prompt) is not synthesised, fetched
 * and resampled again on every call. Bounded: the least recently used audio goes past `maxBytes`
 * (PARLEY_VOICE_TTS_CACHE_MB); long texts and long audio are never kept.
 *
 * A sentence being synthesised is made once however many calls ask for it at the same moment (500
 * calls greeted at once): the first request streams it from the engine, later ones read the same
 * chunks as they come (each at its own pace), and it is kept once whole. The engine's request is
 * not tied to any one call: it is cancelled only when every call reading it has gone (barge-in,
 * hang-up), and a failure reaches every reader (each call ends with `tts_error` as before) and is
 * not kept, so the next request tries again.
 */
export interface TtsCacheStats {
  hits: number;
  /** Requests that read a synthesis another call had started (no request of their own). */
  shared: number;
  misses: number;
  bytes: number;
  entries: number;
}

/** Texts longer than this are not kept (an answer read out, not a phrase said again). */
const MAX_TEXT = 300;
/** Audio longer than this (16 kHz 16-bit: 30 s) is not kept. */
const MAX_ENTRY_BYTES = 30 * 16_000 * 2;

interface Pending {
  chunks: Int16Array[];
  samples: number;
  done: boolean;
  error: unknown;
  readers: number;
  wake: Array<() => void>;
  abort: AbortController;
}

export class TtsCache {
  readonly #maxBytes: number;
  /** Whole audio, least recently used first (a Map keeps insertion order; a hit moves it last). */
  readonly #kept = new Map<string, Int16Array>();
  readonly #pending = new Map<string, Pending>();
  #bytes = 0;
  readonly stats: TtsCacheStats = { hits: 0, shared: 0, misses: 0, bytes: 0, entries: 0 };

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * `engine` with its speech kept here. `identity` names what makes its audio differ besides the
   * voice, language and text (provider, URL, model, the key's owner): engines with the same
   * identity share their kept audio.
   */
  wrap(engine: TtsEngine, identity: string): TtsEngine {
    if (this.#maxBytes <= 0) return engine;
    return {
      name: engine.name,
      synthesize: (text, options) => {
        if (text.length > MAX_TEXT) return engine.synthesize(text, options);
        const key = `${identity}\u0000${options.voice ?? ''}\u0000${options.language ?? ''}\u0000${options.sampleRate}\u0000${text}`;
        return this.#synthesize(engine, key, text, options);
      },
    };
  }

  async *#synthesize(engine: TtsEngine, key: string, text: string, options: TtsOptions) {
    const kept = this.#kept.get(key);
    if (kept) {
      this.stats.hits++;
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      yield kept;
      return;
    }
    let p = this.#pending.get(key);
    if (p) this.stats.shared++;
    else {
      this.stats.misses++;
      p = this.#start(engine, key, text, options);
    }
    yield* this.#read(key, p, options.signal);
  }

  /** The engine's request, on a signal of its own (cancelled when its last reader goes). */
  #start(engine: TtsEngine, key: string, text: string, options: TtsOptions): Pending {
    const p: Pending = {
      chunks: [],
      samples: 0,
      done: false,
      error: null,
      readers: 0,
      wake: [],
      abort: new AbortController(),
    };
    this.#pending.set(key, p);
    const notify = () => {
      const wake = p.wake;
      p.wake = [];
      for (const w of wake) w();
    };
    void (async () => {
      try {
        for await (const pcm of engine.synthesize(text, { ...options, signal: p.abort.signal })) {
          if (!pcm.length) continue;
          p.chunks.push(pcm);
          p.samples += pcm.length;
          notify();
        }
        p.done = true;
        this.#keep(key, p);
      } catch (err) {
        p.error = err ?? new Error('Text-to-speech failed.');
      } finally {
        if (this.#pending.get(key) === p) this.#pending.delete(key);
        notify();
      }
    })();
    return p;
  }

  async *#read(key: string, p: Pending, signal: AbortSignal | undefined) {
    p.readers++;
    try {
      let i = 0;
      for (;;) {
        if (signal?.aborted) return;
        if (i < p.chunks.length) {
          yield p.chunks[i++]!;
          continue;
        }
        if (p.error) throw p.error;
        if (p.done) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener('abort', done);
            resolve();
          };
          p.wake.push(done);
          signal?.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      p.readers--;
      if (p.readers === 0 && !p.done && !p.error) {
        // No call wants it any more: the engine's request stops, and nothing is kept.
        if (this.#pending.get(key) === p) this.#pending.delete(key);
        p.abort.abort();
      }
    }
  }

  #keep(key: string, p: Pending) {
    const bytes = p.samples * 2;
    if (!bytes || bytes > MAX_ENTRY_BYTES || bytes > this.#maxBytes / 4) return;
    // One compact copy (a chunk can be a view of a larger buffer).
    const audio = new Int16Array(p.samples);
    let off = 0;
    for (const c of p.chunks) {
      audio.set(c, off);
      off += c.length;
    }
    const old = this.#kept.get(key);
    if (old) {
      this.#kept.delete(key);
      this.#bytes -= old.byteLength;
    }
    this.#kept.set(key, audio);
    this.#bytes += audio.byteLength;
    for (const [k, v] of this.#kept) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#kept.delete(k);
      this.#bytes -= v.byteLength;
    }
    this.stats.bytes = this.#bytes;
    this.stats.entries = this.#kept.size;
  }
}
