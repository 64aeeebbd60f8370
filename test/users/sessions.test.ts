import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** Issue 25 item 6: a password change, a role change and a sign-out end the user's open sessions. */
forEachStorage('session versions', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(async () => t?.close());

  let n = 0;
  const user = async (role: 'admin' | 'agent', password = 'first password 1') => {
    const email = `u${++n}@glow.in`;
    const r = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: email, email, role, password },
    });
    assert.equal(r.status, 201, r.text);
    return { id: r.body.id as string, email };
  };
  const signIn = async (email: string, password = 'first password 1') => {
    const r = await t.call('POST', '/v1/auth/login', { body: { email, password } });
    assert.equal(r.status, 200, r.text);
    return r.body.token as string;
  };
  const me = async (token: string) => (await t.call('GET', '/v1/me', { key: token })).status;

  it('POST /v1/auth/logout ends every open session of the user, and only theirs', async () => {
    const a = await user('agent');
    const b = await user('agent');
    const phone = await signIn(a.email);
    const laptop = await signIn(a.email);
    const other = await signIn(b.email);
    const out = await t.call('POST', '/v1/auth/logout', { key: phone });
    assert.equal(out.status, 204, out.text);
    assert.equal(await me(phone), 401);
    assert.equal(await me(laptop), 401);
    assert.equal(await me(other), 200);
    // Signing in again works, with a fresh session.
    assert.equal(await me(await signIn(a.email)), 200);
    // An API key cannot sign out (it is revoked instead), and a refused session cannot either.
    const key = await t.call('POST', '/v1/auth/logout', { key: ws.live });
    assert.equal(key.status, 422, key.text);
    assert.equal(key.body.error.code, 'unprocessable');
    assert.equal((await t.call('POST', '/v1/auth/logout', { key: phone })).status, 401);
  });

  it('a password change ends open sessions; the new password signs in', async () => {
    const a = await user('agent');
    const token = await signIn(a.email);
    const patch = await t.call('PATCH', `/v1/users/${a.id}`, {
      key: ws.live,
      body: { password: 'second password 2' },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal(await me(token), 401);
    assert.equal(
      (await t.call('POST', '/v1/auth/login', { body: { email: a.email, password: 'first password 1' } }))
        .status,
      401,
    );
    assert.equal(await me(await signIn(a.email, 'second password 2')), 200);
  });

  it('a role change ends open sessions; a name change does not', async () => {
    const a = await user('agent');
    const token = await signIn(a.email);
    const rename = await t.call('PATCH', `/v1/users/${a.id}`, { key: ws.live, body: { name: 'Renamed' } });
    assert.equal(rename.status, 200, rename.text);
    assert.equal(await me(token), 200);
    const sameRole = await t.call('PATCH', `/v1/users/${a.id}`, { key: ws.live, body: { role: 'agent' } });
    assert.equal(sameRole.status, 200, sameRole.text);
    assert.equal(await me(token), 200);
    const promote = await t.call('PATCH', `/v1/users/${a.id}`, { key: ws.live, body: { role: 'admin' } });
    assert.equal(promote.status, 200, promote.text);
    assert.equal(await me(token), 401);
    const fresh = await signIn(a.email);
    assert.equal((await t.call('GET', '/v1/api-keys', { key: fresh })).status, 200);
  });
});
