import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { base32Decode, hotp, stepAt } from '../../src/modules/users/users.totp.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 62: an admin resets the second factor of a user who lost their phone
 * (DELETE /v1/users/{id}/two-factor): audited, the user's sessions end, and they sign in next with
 * the password alone. GET /v1/me/two-factor says whether one's own is on.
 */
forEachStorage('two-factor reset by an admin', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  const password = 'a long password';

  before(async () => {
    t = await startTestApp(storage);
    [ws, other] = [await t.workspace(), await t.workspace()];
  });
  after(() => t?.close());

  const user = async (key: string, email: string, role: 'admin' | 'agent' = 'agent') => {
    const u = await t.call('POST', '/v1/users', { key, body: { name: email, email, role, password } });
    assert.equal(u.status, 201, u.text);
    return u.body.id as string;
  };
  const login = (email: string, extra: Record<string, string> = {}) =>
    t.call('POST', '/v1/auth/login', { body: { email, password, ...extra } });
  const enrol = async (email: string) => {
    const session = (await login(email)).body.token as string;
    const start = await t.call('POST', '/v1/me/two-factor', { key: session });
    assert.equal(start.status, 200, start.text);
    const code = hotp(base32Decode(start.body.secret), stepAt(Date.now()));
    const ok = await t.call('POST', '/v1/me/two-factor/confirm', { key: session, body: { totp_code: code } });
    assert.equal(ok.status, 200, ok.text);
    return session;
  };

  it('says whether my second factor is on, and only to a session', async () => {
    await user(ws.test, 'status@reset.test');
    const session = (await login('status@reset.test')).body.token as string;
    const off = await t.call('GET', '/v1/me/two-factor', { key: session });
    assert.deepEqual(off.body, { object: 'two_factor', enabled: false });
    await t.call('POST', '/v1/me/two-factor', { key: session });
    const pending = await t.call('GET', '/v1/me/two-factor', { key: session });
    assert.equal(pending.body.enabled, false, 'an enrolment not confirmed is not on');
    const byKey = await t.call('GET', '/v1/me/two-factor', { key: ws.test });
    assert.equal(byKey.status, 422, byKey.text);
    assert.equal(byKey.body.error.code, 'unprocessable');
  });

  it('resets a user’s second factor, ends their sessions, and audits it', async () => {
    const id = await user(ws.test, 'lost@reset.test');
    const session = await enrol('lost@reset.test');
    assert.equal((await t.call('GET', '/v1/me/two-factor', { key: session })).body.enabled, true);
    assert.equal((await login('lost@reset.test')).status, 401, 'the password alone is refused');

    const reset = await t.call('DELETE', `/v1/users/${id}/two-factor`, { key: ws.test });
    assert.equal(reset.status, 200, reset.text);
    assert.deepEqual(reset.body, { object: 'two_factor', enabled: false });
    assert.equal((await t.call('GET', '/v1/me/two-factor', { key: session })).status, 401, 'sessions ended');
    const next = await login('lost@reset.test');
    assert.equal(next.status, 200, `the password alone signs in: ${next.text}`);

    const audit = await t.call('GET', `/v1/audit-log?object_id=${id}`, { key: ws.test });
    const entry = audit.body.data.find((e: { action: string }) => e.action === 'resetUserTwoFactor');
    assert.ok(entry, audit.text);
    assert.equal(entry.actor.type, 'api_key');

    const again = await t.call('DELETE', `/v1/users/${id}/two-factor`, { key: ws.test });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'conflict');
    assert.match(again.body.error.message, /no second factor/);
  });

  it('is a 404 for another workspace’s user or a bad id, and refused to agents', async () => {
    const theirs = await user(other.test, 'theirs@reset.test');
    await enrol('theirs@reset.test');
    const cross = await t.call('DELETE', `/v1/users/${theirs}/two-factor`, { key: ws.test });
    assert.equal(cross.status, 404, cross.text);
    assert.equal(cross.body.error.code, 'not_found');
    const live = await t.call('DELETE', `/v1/users/${theirs}/two-factor`, { key: other.live });
    assert.equal(live.status, 404, 'the other mode of the same workspace does not see it');
    const bad = await t.call('DELETE', '/v1/users/nope/two-factor', { key: ws.test });
    assert.equal(bad.status, 404, bad.text);
    assert.equal(bad.body.error.code, 'not_found');

    // An admin's own second factor goes only with a code, never by this route.
    await user(ws.test, 'boss@reset.test', 'admin');
    const boss = await enrol('boss@reset.test');
    const bossId = (await t.call('GET', '/v1/users?per_page=100', { key: ws.test })).body.data.find(
      (u: { email: string }) => u.email === 'boss@reset.test',
    ).id;
    const own = await t.call('DELETE', `/v1/users/${bossId}/two-factor`, { key: boss });
    assert.equal(own.status, 422, own.text);
    assert.match(own.body.error.message, /two-factor\/disable/);
    assert.equal((await t.call('GET', '/v1/me/two-factor', { key: boss })).body.enabled, true);

    const target = await user(ws.test, 'target@reset.test');
    await enrol('target@reset.test');
    await user(ws.test, 'agent@reset.test');
    const agent = (await login('agent@reset.test')).body.token as string;
    const refused = await t.call('DELETE', `/v1/users/${target}/two-factor`, { key: agent });
    assert.equal(refused.status, 403, refused.text);
    assert.equal((await login('target@reset.test')).status, 401, 'still asks for the second factor');
  });
});
