import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { after, before, it } from 'node:test';
import { base32Decode, hotp, stepAt } from '../../src/modules/users/users.totp.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 51 item 5: argon2id with a transparent re-hash of old scrypt hashes, TOTP two-factor
 * sign-in (enrolment with a QR code, recovery codes, no replay, throttled like passwords, required
 * by admins), and sessions listed and revocable per user.
 */
forEachStorage('accounts', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const password = 'a long password';

  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_LOGIN_MAX_ATTEMPTS: '4', PARLEY_TRUST_PROXY: '1' } });
    ws = await t.workspace();
  });
  after(() => t?.close());

  const user = async (email: string, role: 'admin' | 'agent' = 'agent') => {
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: email, email, role, password },
    });
    assert.equal(u.status, 201, u.text);
    return u.body.id as string;
  };
  const login = (email: string, extra: Record<string, string> = {}, ip = '198.51.100.1') =>
    t.call('POST', '/v1/auth/login', {
      body: { email, password, ...extra },
      headers: { 'user-agent': 'TestBrowser/1', 'x-forwarded-for': ip },
    });
  const hashOf = async (id: string) =>
    (
      await t.ctx.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).password_hash as string;

  it('hashes with argon2id and replaces an old scrypt hash at the next sign-in', async () => {
    const id = await user('hash@acc.test');
    assert.match(await hashOf(id), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // A hash as the previous version wrote it: scrypt N=2^14, r=8, p=1.
    const salt = randomBytes(16);
    const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await t.ctx.db.updateTable('users').set({ password_hash: old }).where('id', '=', id).execute();
    const wrong = await t.call('POST', '/v1/auth/login', {
      body: { email: 'hash@acc.test', password: 'nope nope' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(await hashOf(id), old, 'a wrong password changes nothing');
    const res = await login('hash@acc.test');
    assert.equal(res.status, 200, res.text);
    const now = await hashOf(id);
    assert.match(now, /^\$argon2id\$/);
    assert.equal((await login('hash@acc.test')).status, 200, 'the new hash verifies');
  });

  it('enrols a second factor, asks for it, refuses replays, and takes a recovery code once', async (test) => {
    await user('totp@acc.test');
    const first = await login('totp@acc.test');
    const session = first.body.token as string;
    const enrol = await t.call('POST', '/v1/me/two-factor', { key: session });
    assert.equal(enrol.status, 200, enrol.text);
    assert.match(enrol.body.otpauth_uri, /^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
    assert.match(enrol.body.qr_svg, /^<svg[\s\S]*<\/svg>\s*$/);
    const secret = base32Decode(enrol.body.secret);
    // The app's clock stands still for the rest of the test: on a loaded machine the 30-second
    // step could turn between confirming and the replay, and the replayed code would be a new one.
    const frozenAt = t.ctx.clock.now();
    const realClock = t.ctx.clock;
    t.ctx.clock = { now: () => new Date(frozenAt) };
    test.after(() => {
      t.ctx.clock = realClock;
    });
    const code = (offset = 0) => hotp(secret, stepAt(frozenAt.getTime()) + offset);

    const bad = await t.call('POST', '/v1/me/two-factor/confirm', {
      key: session,
      body: { totp_code: '000000' },
    });
    assert.equal(bad.status, 400, bad.text);
    const ok = await t.call('POST', '/v1/me/two-factor/confirm', {
      key: session,
      body: { totp_code: code() },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.recovery_codes.length, 10);

    const noCode = await login('totp@acc.test');
    assert.equal(noCode.status, 401);
    assert.equal(noCode.body.error.two_factor_required, true);
    // The code just used (confirming) is refused: each code works once.
    const replay = await login('totp@acc.test', { totp_code: code() });
    assert.equal(replay.status, 401, replay.text);
    const next = await login('totp@acc.test', { totp_code: code(1) });
    assert.equal(next.status, 200, next.text);
    const again = await login('totp@acc.test', { totp_code: code(1) });
    assert.equal(again.status, 401, 'a replayed code is refused');

    const recovery = ok.body.recovery_codes[0] as string;
    assert.equal((await login('totp@acc.test', { recovery_code: recovery }, '198.51.100.2')).status, 200);
    assert.equal((await login('totp@acc.test', { recovery_code: recovery }, '198.51.100.2')).status, 401);
  });

  it('throttles wrong codes like wrong passwords', async () => {
    await user('throttle@acc.test');
    const s = (await login('throttle@acc.test', {}, '198.51.100.3')).body.token;
    const enrol = await t.call('POST', '/v1/me/two-factor', { key: s });
    const secret = base32Decode(enrol.body.secret);
    const confirm = await t.call('POST', '/v1/me/two-factor/confirm', {
      key: s,
      body: { totp_code: hotp(secret, stepAt(Date.now())) },
    });
    assert.equal(confirm.status, 200, confirm.text);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await login('throttle@acc.test', { totp_code: '123456' }, '198.51.100.4');
      statuses.push(r.status);
      if (r.status === 429) break;
    }
    assert.equal(statuses.at(-1), 429, statuses.join(','));
    // Another address is not locked out.
    const elsewhere = await login(
      'throttle@acc.test',
      { totp_code: hotp(secret, stepAt(Date.now()) + 1) },
      '198.51.100.5',
    );
    assert.equal(elsewhere.status, 200, elsewhere.text);
  });

  it('lets admins require a second factor: a user without one may only enrol', async () => {
    const admin = await user('boss@acc.test', 'admin');
    assert.ok(admin);
    const adminSession = (await login('boss@acc.test', {}, '198.51.100.6')).body.token;
    const put = await t.call('PUT', '/v1/auth-settings', {
      key: adminSession,
      body: { require_two_factor: true },
    });
    assert.equal(put.status, 200, put.text);
    await user('plain@acc.test');
    const res = await login('plain@acc.test', {}, '198.51.100.7');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.two_factor_enrolment_required, true);
    const token = res.body.token;
    assert.equal((await t.call('GET', '/v1/conversations', { key: token })).status, 403);
    assert.equal((await t.call('GET', '/v1/contacts', { key: token })).status, 403);
    assert.equal((await t.call('POST', '/v1/me/two-factor', { key: token })).status, 200);
    const off = await t.call('PUT', '/v1/auth-settings', {
      key: ws.test,
      body: { require_two_factor: false },
    });
    assert.equal(off.status, 200, off.text);
  });

  it('lists sessions per user and revokes one without the others', async () => {
    const id = await user('sessions@acc.test');
    const a = (await login('sessions@acc.test', {}, '203.0.113.10')).body.token;
    const b = (await login('sessions@acc.test', {}, '203.0.113.11')).body.token;
    const list = await t.call('GET', '/v1/me/sessions', { key: a });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.data.length, 2);
    const current = list.body.data.find((s: { current: boolean }) => s.current);
    const other = list.body.data.find((s: { current: boolean }) => !s.current);
    assert.equal(current.ip, '203.0.113.10');
    assert.equal(other.ip, '203.0.113.11');
    assert.equal(current.user_agent, 'TestBrowser/1');
    const end = await t.call('DELETE', `/v1/me/sessions/${other.id}`, { key: a });
    assert.equal(end.status, 200, end.text);
    assert.equal((await t.call('GET', '/v1/me', { key: b })).status, 401);
    assert.equal((await t.call('GET', '/v1/me', { key: a })).status, 200);
    // An admin (here a key) lists and ends a user's sessions; an agent may not.
    const byAdmin = await t.call('GET', `/v1/users/${id}/sessions`, { key: ws.test });
    assert.equal(byAdmin.body.data.length, 1);
    assert.equal((await t.call('GET', `/v1/users/${id}/sessions`, { key: a })).status, 403);
    const kill = await t.call('DELETE', `/v1/users/${id}/sessions/${current.id}`, { key: ws.test });
    assert.equal(kill.status, 200, kill.text);
    assert.equal((await t.call('GET', '/v1/me', { key: a })).status, 401);
    assert.equal(
      (await t.call('DELETE', `/v1/users/${id}/sessions/${current.id}`, { key: ws.test })).status,
      404,
    );
  });
});
