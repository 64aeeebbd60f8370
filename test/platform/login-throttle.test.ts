import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 25 item 10: wrong passwords from one address must not lock the user out from another.
 * The app's clock is moved by hand, so the growing waits are checked without sleeping.
 */
forEachStorage('sign-in throttle per email and address', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let offsetMs = 0;
  const start = Date.parse('2026-06-01T10:00:00Z');
  const advance = (ms: number) => {
    offsetMs += ms;
  };
  before(async () => {
    t = await startTestApp(storage, {
      env: {
        PARLEY_LOGIN_MAX_ATTEMPTS: '10',
        PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL: '30',
        PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT: '100000',
      },
      // Only `advance` moves it: a sign-in's password hashing that takes a second on a busy
      // machine must not shorten the wait the next attempt is asked for.
      testing: { now: () => new Date(start + offsetMs) },
    });
    ws = await t.workspace();
    for (const email of ['asha@example.com', 'ravi@example.com']) {
      const u = await t.call('POST', '/v1/users', {
        key: ws.live,
        body: { name: email, email, role: 'agent', password: 'correct horse 1' },
      });
      assert.equal(u.status, 201, u.text);
    }
  });
  after(() => t?.close());

  const login = (email: string, password: string, ip: string) =>
    t.parley.app
      .inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email, password }),
      })
      .then((r) => ({ status: r.statusCode, retryAfter: Number(r.headers['retry-after'] ?? 0) }));

  /** Fails once from `ip`, waiting out any delay first; returns the waits asked for on the way. */
  const failOnce = async (email: string, ip: string) => {
    const waits: number[] = [];
    for (;;) {
      const r = await login(email, 'wrong password', ip);
      if (r.status === 401) return waits;
      assert.equal(r.status, 429);
      assert.ok(r.retryAfter > 0);
      waits.push(r.retryAfter);
      advance(r.retryAfter * 1000);
    }
  };

  it('locks the attacker’s address with growing delays, while the real user signs in from theirs', async () => {
    const attacker = '198.51.100.66';
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const waits = await failOnce('asha@example.com', attacker);
      // Two free failures, then each next attempt waits: 1 s, 2 s, 4 s, ...
      assert.equal(waits.length, i < 3 ? 0 : 1, `failure ${i + 1}: ${waits}`);
      seen.push(...waits);
      // The real user is never held up by it.
      assert.equal((await login('asha@example.com', 'correct horse 1', '203.0.113.10')).status, 200);
    }
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `growing: ${seen}`);
    assert.deepEqual(seen.slice(0, 3), [1, 2, 4]);
    // Ten failures: the attacker's address is refused for this email until the window ends,
    // even with the right password.
    const locked = await login('asha@example.com', 'correct horse 1', attacker);
    assert.equal(locked.status, 429);
    assert.ok(locked.retryAfter > 60, String(locked.retryAfter));
    assert.equal((await login('asha@example.com', 'correct horse 1', '203.0.113.10')).status, 200);
    // Another email from the same address is not affected.
    assert.equal((await login('ravi@example.com', 'correct horse 1', attacker)).status, 200);
    advance(locked.retryAfter * 1000);
    assert.equal((await login('asha@example.com', 'correct horse 1', attacker)).status, 200);
  });

  it('stops an attack spread over many addresses at the per-email ceiling', async () => {
    advance(16 * 60_000);
    let failures = 0;
    for (let i = 0; failures < 30; i++) {
      // Two failures per address: each address stays under its own limit and delays.
      for (let k = 0; k < 2 && failures < 30; k++, failures++)
        assert.equal((await login('ravi@example.com', 'wrong password', `192.0.2.${i + 1}`)).status, 401);
    }
    const real = await login('ravi@example.com', 'correct horse 1', '203.0.113.20');
    assert.equal(real.status, 429);
    assert.ok(real.retryAfter > 0);
    // Other emails are not affected, and the ceiling lifts when its window ends.
    assert.equal((await login('asha@example.com', 'correct horse 1', '203.0.113.20')).status, 200);
    advance(real.retryAfter * 1000);
    assert.equal((await login('ravi@example.com', 'correct horse 1', '203.0.113.20')).status, 200);
  });
});
