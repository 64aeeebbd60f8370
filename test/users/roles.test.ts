import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** Roles a business defines (issue 63): CRUD, what a creator may grant, and sessions that follow the role. */
forEachStorage('roles', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    other = await t.workspace();
  });
  after(async () => t?.close());

  const signIn = async (key: string, email: string, role: string) => {
    const u = await t.call('POST', '/v1/users', {
      key,
      body: { name: email, email, role, password: 'a long password' },
    });
    assert.equal(u.status, 201, u.text);
    const s = await t.call('POST', '/v1/auth/login', { body: { email, password: 'a long password' } });
    assert.equal(s.status, 200, s.text);
    return { id: u.body.id as string, token: s.body.token as string };
  };

  it('lists the built-ins, defines, changes and deletes a role; the built-ins stay', async () => {
    const list = await t.call('GET', '/v1/roles', { key: ws.live });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.data.map((r: { id: string; built_in: boolean }) => [r.id, r.built_in]),
      [
        ['admin', true],
        ['agent', true],
      ],
    );
    const created = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: { name: 'Outsourced', permissions: ['conversations:*', 'messages:*'], visibility: 'team' },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.id, /^role_/);
    assert.equal(created.body.mask_contact_details, false);
    const dup = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: { name: 'outsourced', permissions: [] },
    });
    assert.equal(dup.status, 409, dup.text);
    const builtInName = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: { name: 'Admin', permissions: [] },
    });
    assert.equal(builtInName.status, 400, builtInName.text);
    const badScope = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: { name: 'Bad', permissions: ['conversations'] },
    });
    assert.equal(badScope.status, 400, badScope.text);

    const patched = await t.call('PATCH', `/v1/roles/${created.body.id}`, {
      key: ws.live,
      body: { mask_contact_details: true, description: 'Partner agents' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.mask_contact_details, true);
    assert.equal(patched.body.visibility, 'team');
    const byName = await t.call('GET', '/v1/roles/Outsourced', { key: ws.live });
    assert.equal(byName.body.id, created.body.id);

    for (const id of ['admin', 'agent']) {
      assert.equal(
        (await t.call('PATCH', `/v1/roles/${id}`, { key: ws.live, body: { permissions: [] } })).status,
        409,
      );
      assert.equal((await t.call('DELETE', `/v1/roles/${id}`, { key: ws.live })).status, 409);
    }
    // Another workspace does not see it.
    assert.equal((await t.call('GET', `/v1/roles/${created.body.id}`, { key: other.live })).status, 404);
    assert.equal((await t.call('DELETE', `/v1/roles/${created.body.id}`, { key: other.live })).status, 404);

    const gone = await t.call('DELETE', `/v1/roles/${created.body.id}`, { key: ws.live });
    assert.equal(gone.status, 200, gone.text);
    assert.equal((await t.call('GET', `/v1/roles/${created.body.id}`, { key: ws.live })).status, 404);

    const audit = await t.call('GET', '/v1/audit-log?per_page=100', { key: ws.live });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    for (const a of ['createRole', 'updateRole', 'deleteRole']) assert.ok(actions.includes(a), a);
  });

  it('refuses a role that grants what its creator lacks (403, nothing created, audited)', async () => {
    const k = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      body: { name: 'settings only', scopes: ['settings:*', 'users:*', 'conversations:read'] },
    });
    const key = k.body.key as string;
    const wider = await t.call('POST', '/v1/roles', {
      key,
      body: { name: 'Wider', permissions: ['conversations:*', 'reports:read'] },
    });
    assert.equal(wider.status, 403, wider.text);
    assert.deepEqual(wider.body.error.lacking_scopes, ['conversations:*', 'reports:read']);
    const everything = await t.call('POST', '/v1/roles', { key, body: { name: 'All', permissions: ['*'] } });
    assert.equal(everything.status, 403);
    const roles = await t.call('GET', '/v1/roles', { key: ws.live });
    assert.ok(!roles.body.data.some((r: { name: string }) => r.name === 'Wider' || r.name === 'All'));
    const audit = await t.call('GET', '/v1/audit-log?action=role.grant_refused', { key: ws.live });
    assert.equal(audit.body.data.length, 2, audit.text);

    // What it holds it may grant; then it may not give a user the admin role.
    const fine = await t.call('POST', '/v1/roles', {
      key,
      body: { name: 'Readers', permissions: ['conversations:read'] },
    });
    assert.equal(fine.status, 201, fine.text);
    const promote = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Boss', email: 'boss@glow.in', role: 'admin' },
    });
    assert.equal(promote.status, 403, promote.text);
    const reader = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Reader', email: 'reader@glow.in', role: 'readers' },
    });
    assert.equal(reader.status, 201, reader.text);
    assert.equal(reader.body.role, fine.body.id);
    const unknown = await t.call('PATCH', `/v1/users/${reader.body.id}`, { key, body: { role: 'nobody' } });
    assert.equal(unknown.status, 400, unknown.text);
  });

  it("a user's session has its role's permissions, follows a change at once; a role in use is kept", async () => {
    const role = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: { name: 'Reports', permissions: ['reports:read', 'conversations:read'] },
    });
    const person = await signIn(ws.live, 'analyst@glow.in', role.body.id);
    assert.equal((await t.call('GET', '/v1/reports/overview', { key: person.token })).status, 200);
    const contacts = await t.call('GET', '/v1/contacts', { key: person.token });
    assert.equal(contacts.status, 403);
    assert.equal(contacts.body.error.required_scope, 'contacts:read');

    await t.call('PATCH', `/v1/roles/${role.body.id}`, {
      key: ws.live,
      body: { permissions: ['contacts:read'] },
    });
    assert.equal((await t.call('GET', '/v1/contacts', { key: person.token })).status, 200);
    assert.equal((await t.call('GET', '/v1/reports/overview', { key: person.token })).status, 403);

    const inUse = await t.call('DELETE', `/v1/roles/${role.body.id}`, { key: ws.live });
    assert.equal(inUse.status, 409, inUse.text);
    assert.deepEqual(inUse.body.error.user_ids, [person.id]);
    await t.call('PATCH', `/v1/users/${person.id}`, { key: ws.live, body: { role: 'agent' } });
    assert.equal((await t.call('DELETE', `/v1/roles/${role.body.id}`, { key: ws.live })).status, 200);
    const filtered = await t.call('GET', `/v1/users?role=agent`, { key: ws.live });
    assert.ok(filtered.body.data.some((u: { id: string }) => u.id === person.id));
  });
});
