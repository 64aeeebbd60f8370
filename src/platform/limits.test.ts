import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ApiError } from './errors.ts';
import {
  consumeLimit,
  limitsFor,
  MemoryRateLimitStore,
  type PlanLimits,
  plans,
  type RateLimitStore,
  RedisRateLimitStore,
} from './limits.ts';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// An hour-aligned instant: windows of 60 s and of an hour start exactly here.
const T0 = 1_800_000_000_000;
assert.equal(T0 % 3_600_000, 0);

/** Is Redis there? Under CI it must be. */
async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true')
      throw new Error(
        `Redis is required under CI but unreachable at ${REDIS_URL}: ${(err as Error).message}`,
      );
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisOk = await redisAvailable();

interface StoreCase {
  name: string;
  skip: string | false;
  make(): RateLimitStore;
}

const stores: StoreCase[] = [
  { name: 'MemoryRateLimitStore', skip: false, make: () => new MemoryRateLimitStore() },
  {
    name: 'RedisRateLimitStore',
    skip: redisOk ? false : `Redis not reachable at ${REDIS_URL}`,
    make: () => new RedisRateLimitStore(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })),
  },
];

for (const sc of stores) {
  describe(sc.name, { skip: sc.skip }, () => {
    let store: RateLimitStore;
    // Unique per run so parallel runs against one Redis never share a counter.
    const run = randomBytes(6).toString('hex');
    const key = (k: string) => `unit-${run}-${k}`;

    before(() => {
      store = sc.make();
    });
    after(async () => {
      if (sc.name === 'RedisRateLimitStore') {
        const r = new Redis(REDIS_URL);
        const left = await r.keys(`parley:rl:unit-${run}-*`);
        if (left.length) await r.del(...left);
        r.disconnect();
      }
      await store.close();
    });

    it('counts hits within a window and says when it ends', async () => {
      for (let i = 1; i <= 3; i++) {
        const hit = await store.hit(key('count'), 60_000, 3, 1, T0 + i * 1000);
        assert.deepEqual(hit, { allowed: true, count: i, resetAtMs: T0 + 60_000 });
      }
    });

    it('refuses at the limit without consuming', async () => {
      for (let i = 0; i < 2; i++) await store.hit(key('full'), 60_000, 2, 1, T0);
      const refused = await store.hit(key('full'), 60_000, 2, 1, T0 + 10);
      assert.deepEqual(refused, { allowed: false, count: 2, resetAtMs: T0 + 60_000, retryAtMs: T0 + 60_001 });
      const again = await store.hit(key('full'), 60_000, 2, 1, T0 + 20);
      assert.equal(again.allowed, false);
      assert.equal(again.count, 2, 'a refused hit does not add to the count');
    });

    it('slides: the previous window counts in proportion to the part the sliding window still covers', async () => {
      await store.hit(key('slide'), 60_000, 1, 1, T0);
      assert.equal((await store.hit(key('slide'), 60_000, 1, 1, T0 + 59_999)).allowed, false);
      // A fixed window let this in; the last minute still holds the hit at T0.
      const edge = await store.hit(key('slide'), 60_000, 1, 1, T0 + 60_000);
      assert.equal(edge.allowed, false);
      assert.equal(edge.retryAtMs, T0 + 60_001, 'let in once less than a whole hit is carried over');
      const next = await store.hit(key('slide'), 60_000, 1, 1, T0 + 60_001);
      assert.deepEqual(next, { allowed: true, count: 1, resetAtMs: T0 + 120_000 });
    });

    it('lets about the limit pass across a window edge, not twice it (60 per minute)', async () => {
      let passed = 0;
      // 120 requests in 200 ms around a window's end: a fixed window let all 120 through.
      for (let i = 0; i < 120; i++)
        if ((await store.hit(key('edge'), 60_000, 60, 1, T0 + 59_900 + Math.floor(i * (200 / 120)))).allowed)
          passed++;
      assert.ok(passed >= 60 && passed <= 61, `${passed} passed`);
      // Then about one a second (60 a minute) as the previous window's share slides out, as a
      // token bucket refills: every 100 ms for 10 s, 11 at most.
      let after = 0;
      for (let ms = 100; ms <= 10_000; ms += 100)
        if ((await store.hit(key('edge'), 60_000, 60, 1, T0 + 60_100 + ms)).allowed) after++;
      assert.ok(after >= 9 && after <= 11, `${after} passed in the next 10 s`);
    });

    it('adds a cost greater than one only when all of it fits', async () => {
      assert.deepEqual(await store.hit(key('cost'), 60_000, 5, 3, T0), {
        allowed: true,
        count: 3,
        resetAtMs: T0 + 60_000,
      });
      const tooMuch = await store.hit(key('cost'), 60_000, 5, 3, T0);
      assert.equal(tooMuch.allowed, false);
      assert.equal(tooMuch.count, 3);
      const fits = await store.hit(key('cost'), 60_000, 5, 2, T0);
      assert.equal(fits.allowed, true);
      assert.equal(fits.count, 5);
      const overFromZero = await store.hit(key('cost-big'), 60_000, 5, 6, T0);
      assert.equal(overFromZero.allowed, false);
      assert.equal(overFromZero.count, 0);
    });

    it('keeps a separate counter per key', async () => {
      await store.hit(key('a'), 60_000, 1, 1, T0);
      assert.equal((await store.hit(key('a'), 60_000, 1, 1, T0)).allowed, false);
      assert.equal((await store.hit(key('b'), 60_000, 1, 1, T0)).allowed, true);
    });

    it('aligns longer windows to their own length', async () => {
      const midHour = T0 + 1_234_567;
      const hour = await store.hit(key('hour'), 3_600_000, 1, 1, midHour);
      assert.deepEqual(hour, { allowed: true, count: 1, resetAtMs: T0 + 3_600_000 });
      assert.equal((await store.hit(key('hour'), 3_600_000, 1, 1, T0 + 3_599_999)).allowed, false);
    });

    it('lets consumeLimit refuse with 429 rate_limited and the retry headers', async () => {
      const limits: PlanLimits = { ...plans.starter, requests_per_minute: 2 };
      const subject = key('subject');
      const first = await consumeLimit(store, subject, 'requests_per_minute', limits, 1, T0 + 1000);
      assert.deepEqual(first, { limit: 2, remaining: 1, resetAtMs: T0 + 60_000 });
      const second = await consumeLimit(store, subject, 'requests_per_minute', limits, 1, T0 + 2000);
      assert.equal(second?.remaining, 0);
      await assert.rejects(
        consumeLimit(store, subject, 'requests_per_minute', limits, 1, T0 + 15_500),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.equal(err.code, 'rate_limited');
          assert.equal(err.status, 429);
          assert.deepEqual(err.headers, {
            'Retry-After': '45',
            'X-RateLimit-Limit': '2',
            'X-RateLimit-Remaining': '0',
            'X-RateLimit-Reset': String((T0 + 60_000) / 1000),
          });
          assert.deepEqual(err.details, { limit: 'requests_per_minute' });
          assert.match(err.message, /2 requests per minute/);
          return true;
        },
      );
      // Another limit of the same subject has its own counter.
      assert.ok(await consumeLimit(store, subject, 'requests_per_day', limits, 1, T0 + 3000));
      // A window later the sliding count is down to what the window before held in its share.
      await assert.rejects(consumeLimit(store, subject, 'requests_per_minute', limits, 1, T0 + 60_000), {
        code: 'rate_limited',
      });
      // Once no hit is left in the last minute, the whole limit again.
      const later = await consumeLimit(store, subject, 'requests_per_minute', limits, 1, T0 + 120_000);
      assert.equal(later?.remaining, 1);
    });
  });
}

/** A store that must not be reached. */
const untouchable: RateLimitStore = {
  hit: async () => assert.fail('the store was consulted for an unlimited limit'),
  close: async () => {},
};

describe('consumeLimit', () => {
  it('returns null and consults no store when the limit is unlimited', async () => {
    const limits = limitsFor('enterprise', null);
    assert.equal(limits.messages_per_hour, null);
    assert.equal(await consumeLimit(untouchable, 'ws', 'messages_per_hour', limits, 1, T0), null);
    const overridden = limitsFor('starter', { requests_per_minute: null });
    assert.equal(await consumeLimit(untouchable, 'k', 'requests_per_minute', overridden, 1, T0), null);
  });

  it('gives at least one second of Retry-After and X-RateLimit headers of the limit that was hit', async () => {
    const store = new MemoryRateLimitStore();
    const limits: PlanLimits = { ...plans.starter, messages_per_hour: 1 };
    await consumeLimit(store, 'ws:test', 'messages_per_hour', limits, 1, T0);
    const hourEnd = T0 - (T0 % 3_600_000) + 3_600_000;
    await assert.rejects(
      consumeLimit(store, 'ws:test', 'messages_per_hour', limits, 1, hourEnd - 1),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 'rate_limited');
        assert.deepEqual(err.headers, {
          'Retry-After': '1',
          'X-RateLimit-Limit': '1',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(hourEnd / 1000),
        });
        assert.deepEqual(err.details, { limit: 'messages_per_hour' });
        return true;
      },
    );
  });

  it('charges a cost greater than one', async () => {
    const store = new MemoryRateLimitStore();
    const limits: PlanLimits = { ...plans.starter, imports_per_minute: 10 };
    const o = await consumeLimit(store, 'ws:live', 'imports_per_minute', limits, 7, T0);
    assert.equal(o?.remaining, 3);
    await assert.rejects(consumeLimit(store, 'ws:live', 'imports_per_minute', limits, 4, T0), {
      code: 'rate_limited',
    });
    assert.equal((await consumeLimit(store, 'ws:live', 'imports_per_minute', limits, 3, T0))?.remaining, 0);
  });
});

describe('limitsFor', () => {
  it("applies a workspace's overrides over its plan and falls back to starter", () => {
    assert.equal(limitsFor('growth', { requests_per_minute: 5 }).requests_per_minute, 5);
    assert.equal(limitsFor('growth', { requests_per_minute: 5 }).messages_per_hour, 1_000);
    assert.deepEqual(limitsFor('no-such-plan', null), plans.starter);
  });
});
