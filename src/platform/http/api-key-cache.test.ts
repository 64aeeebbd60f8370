import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiKeyCache } from './api-key-cache.ts';
import type { Auth } from './route.ts';

const auth = (id: string) => ({ principalId: id }) as unknown as Auth;

/** A look-up the test finishes by hand, counting how often it was started. */
function controlledLookup() {
  let started = 0;
  let finish: (a: Auth) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const lookup = () => {
    started++;
    return new Promise<Auth>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { lookup, started: () => started, finish: (a: Auth) => finish(a), fail: (e: Error) => fail(e) };
}

describe('API key cache', () => {
  it('reads an expired key once for all the requests that ask while the read runs', async () => {
    const cache = new ApiKeyCache({ ttlMs: 1_000 });
    const l = controlledLookup();
    const waiting = Array.from({ length: 50 }, () => cache.load('h', 0, l.lookup));
    assert.equal(l.started(), 1);
    l.finish(auth('key_1'));
    const got = await Promise.all(waiting);
    assert.ok(got.every((a) => a.principalId === 'key_1'));
    assert.equal(cache.get('h', 999)?.principalId, 'key_1');
    assert.equal(cache.get('h', 1_000), undefined, 'expired after its time');
  });

  it('a failed read fails every waiter, caches nothing, and the next request reads again', async () => {
    const cache = new ApiKeyCache();
    const l = controlledLookup();
    const a = cache.load('h', 0, l.lookup);
    const b = cache.load('h', 0, l.lookup);
    l.fail(new Error('revoked'));
    await assert.rejects(a, /revoked/);
    await assert.rejects(b, /revoked/);
    assert.equal(cache.get('h', 1), undefined);
    const c = cache.load('h', 1, l.lookup);
    assert.equal(l.started(), 2);
    l.finish(auth('key_2'));
    assert.equal((await c).principalId, 'key_2');
  });

  it('a read that started before a revocation cleared the cache does not fill it', async () => {
    const cache = new ApiKeyCache();
    const l = controlledLookup();
    const before = cache.load('h', 0, l.lookup);
    cache.clear();
    l.finish(auth('stale'));
    assert.equal((await before).principalId, 'stale');
    assert.equal(cache.get('h', 1), undefined, 'the next request reads the key again');
  });
});
