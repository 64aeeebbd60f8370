/** The text-to-speech cache as a unit: kept sentences, one synthesis shared, cancel and failure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TtsEngine, TtsOptions } from '../engine/types.ts';
import { TtsCache } from './tts-cache.ts';

const opts: TtsOptions = { sampleRate: 16_000 };

/** An engine whose every request is held until the test releases its chunks. */
function heldEngine() {
  const requests: Array<{
    text: string;
    signal?: AbortSignal;
    push: (pcm: Int16Array | Error | null) => void;
  }> = [];
  const engine: TtsEngine = {
    name: 'held',
    async *synthesize(text, options) {
      const queue: Array<Int16Array | Error | null> = [];
      let wake: (() => void) | null = null;
      requests.push({
        text,
        signal: options.signal,
        push: (x) => {
          queue.push(x);
          wake?.();
        },
      });
      for (;;) {
        if (options.signal?.aborted) throw new Error('aborted');
        const x = queue.shift();
        if (x === undefined) {
          await new Promise<void>((r) => {
            wake = r;
            options.signal?.addEventListener('abort', () => r(), { once: true });
          });
          continue;
        }
        if (x === null) return;
        if (x instanceof Error) throw x;
        yield x;
      }
    },
  };
  return { engine, requests };
}

async function collect(it: AsyncIterable<Int16Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of it) out.push(...c);
  return out;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('text-to-speech cache', () => {
  it('synthesises a sentence once: later requests play the kept audio', async () => {
    const { engine, requests } = heldEngine();
    const cache = new TtsCache(1 << 20);
    const tts = cache.wrap(engine, 'a');
    const first = collect(tts.synthesize('Hello.', opts));
    await tick();
    requests[0]!.push(Int16Array.of(1, 2));
    requests[0]!.push(Int16Array.of(3));
    requests[0]!.push(null);
    assert.deepEqual(await first, [1, 2, 3]);
    assert.deepEqual(await collect(tts.synthesize('Hello.', opts)), [1, 2, 3]);
    assert.equal(requests.length, 1);
    assert.deepEqual(
      { hits: cache.stats.hits, misses: cache.stats.misses, entries: cache.stats.entries },
      { hits: 1, misses: 1, entries: 1 },
    );
    // Another voice, another identity or another text is another sentence.
    void collect(tts.synthesize('Hello.', { ...opts, voice: 'nova' }));
    void collect(cache.wrap(engine, 'b').synthesize('Hello.', opts));
    void collect(tts.synthesize('Hello!', opts));
    await tick();
    assert.equal(requests.length, 4);
  });

  it('calls asking at once share one synthesis, each reading it from the start', async () => {
    const { engine, requests } = heldEngine();
    const cache = new TtsCache(1 << 20);
    const tts = cache.wrap(engine, 'a');
    const a = collect(tts.synthesize('Hi.', opts));
    await tick();
    requests[0]!.push(Int16Array.of(1));
    await tick();
    const b = collect(tts.synthesize('Hi.', opts));
    requests[0]!.push(Int16Array.of(2));
    requests[0]!.push(null);
    assert.deepEqual(await a, [1, 2]);
    assert.deepEqual(await b, [1, 2]);
    assert.equal(requests.length, 1);
    assert.equal(cache.stats.shared, 1);
  });

  it("one caller's cancel does not stop the others'; the last one's does, and nothing is kept", async () => {
    const { engine, requests } = heldEngine();
    const cache = new TtsCache(1 << 20);
    const tts = cache.wrap(engine, 'a');
    const cutA = new AbortController();
    const cutB = new AbortController();
    const a = collect(tts.synthesize('Hi.', { ...opts, signal: cutA.signal }));
    const b = collect(tts.synthesize('Hi.', { ...opts, signal: cutB.signal }));
    await tick();
    requests[0]!.push(Int16Array.of(1));
    await tick();
    cutA.abort();
    assert.deepEqual(await a, [1]);
    assert.equal(requests[0]!.signal?.aborted, false);
    cutB.abort();
    assert.deepEqual(await b, [1]);
    assert.equal(requests[0]!.signal?.aborted, true);
    // Asked again: synthesised again.
    void collect(tts.synthesize('Hi.', opts));
    await tick();
    assert.equal(requests.length, 2);
    assert.equal(cache.stats.entries, 0);
  });

  it('a failure reaches every reader and is not kept', async () => {
    const { engine, requests } = heldEngine();
    const cache = new TtsCache(1 << 20);
    const tts = cache.wrap(engine, 'a');
    const a = collect(tts.synthesize('Hi.', opts));
    const b = collect(tts.synthesize('Hi.', opts));
    await tick();
    requests[0]!.push(new Error('tts down'));
    await assert.rejects(a, /tts down/);
    await assert.rejects(b, /tts down/);
    void collect(tts.synthesize('Hi.', opts));
    await tick();
    assert.equal(requests.length, 2);
  });

  it('keeps at most its bound, the least recently used going first; 0 keeps nothing', async () => {
    const { engine, requests } = heldEngine();
    // 4 KB: entries of up to 1 KB (a quarter) are kept.
    const cache = new TtsCache(4096);
    const tts = cache.wrap(engine, 'a');
    const say = async (text: string) => {
      const n = requests.length;
      const p = collect(tts.synthesize(text, opts));
      await tick();
      if (requests.length > n) {
        requests[n]!.push(new Int16Array(500));
        requests[n]!.push(null);
      }
      return p;
    };
    for (const t of ['a', 'b', 'c', 'd']) await say(t);
    assert.equal(cache.stats.entries, 4);
    await say('a'); // a is now the most recent
    await say('e'); // over 4 KB: b goes
    assert.equal(requests.length, 5);
    await say('a');
    await say('b');
    assert.equal(requests.length, 6);
    assert.ok(cache.stats.bytes <= 4096);

    const none = new TtsCache(0);
    assert.equal(none.wrap(engine, 'a'), engine);
  });
});
