import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** SCIM 2.0 provisioning (issue 63): users and groups from an identity provider, with its own token. */
forEachStorage('SCIM provisioning', (storage) => {
  let t: TestApp;
  let a: Workspace;
  let b: Workspace;
  let tokenA: string;
  let tokenB: string;

  const scim = async (method: string, url: string, token: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/scim+json';
    return t.call(method, url, {
      headers,
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  };
  const json = (r: { text: string }) => (r.text ? JSON.parse(r.text) : undefined);
  const assertScimError = (
    r: { status: number; text: string; headers: Record<string, unknown> },
    status: number,
  ) => {
    assert.equal(r.status, status, r.text);
    assert.match(String(r.headers['content-type']), /application\/scim\+json/);
    const e = json(r);
    assert.deepEqual(e.schemas, [ERROR]);
    assert.equal(e.status, String(status));
    assert.ok(e.detail);
    return e;
  };

  before(async () => {
    t = await startTestApp(storage);
    a = await t.workspace();
    b = await t.workspace();
    const made = await t.call('POST', '/v1/scim-tokens', { key: a.live, body: { name: 'Okta' } });
    assert.equal(made.status, 201, made.text);
    tokenA = made.body.token;
    tokenB = (await t.call('POST', '/v1/scim-tokens', { key: b.live, body: {} })).body.token;
  });
  after(async () => t?.close());

  it('refuses a token to a maker who lacks what it provisions (users, teams, the agent role)', async () => {
    const k = await t.call('POST', '/v1/api-keys', {
      key: a.live,
      body: { name: 'settings', scopes: ['settings:*'] },
    });
    const refused = await t.call('POST', '/v1/scim-tokens', { key: k.body.key, body: { name: 'Sneaky' } });
    assert.equal(refused.status, 403, refused.text);
    assert.ok(refused.body.error.lacking_scopes.includes('users:write'));
    const list = await t.call('GET', '/v1/scim-tokens', { key: a.live });
    assert.ok(!list.body.data.some((x: { name: string }) => x.name === 'Sneaky'));
  });

  it('shows a token once and keeps only its hash', async () => {
    const list = await t.call('GET', '/v1/scim-tokens', { key: a.live });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.data.length, 1);
    assert.ok(!list.text.includes(tokenA));
    const row = await t.ctx.db
      .selectFrom('scim_tokens')
      .selectAll()
      .where('id', '=', list.body.data[0].id)
      .executeTakeFirst();
    assert.ok(row && row.token_hash !== tokenA && !row.token_hash.includes(tokenA.slice(14)));
  });

  it('creates, finds, replaces and deletes a user; bad input is SCIM’s 400, duplicates 409', async () => {
    const created = await scim('POST', '/scim/v2/Users', tokenA, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Meera@Glow.in',
      externalId: 'okta-123',
      name: { givenName: 'Meera', familyName: 'Iyer' },
      emails: [{ value: 'meera@glow.in', primary: true }],
      active: true,
    });
    assert.equal(created.status, 201, created.text);
    const u = json(created);
    assert.equal(u.userName, 'meera@glow.in');
    assert.equal(u.displayName, 'Meera Iyer');
    assert.equal(u.active, true);
    const inApi = await t.call('GET', `/v1/users/${u.id}`, { key: a.live });
    assert.equal(inApi.body.role, 'agent');

    const found = json(
      await scim('GET', '/scim/v2/Users?filter=userName%20eq%20%22meera%40glow.in%22', tokenA),
    );
    assert.equal(found.totalResults, 1);
    assert.equal(found.Resources[0].id, u.id);
    const byExternal = json(await scim('GET', '/scim/v2/Users?filter=externalId eq "okta-123"', tokenA));
    assert.equal(byExternal.totalResults, 1);
    const none = json(await scim('GET', '/scim/v2/Users?filter=userName eq "nobody@glow.in"', tokenA));
    assert.equal(none.totalResults, 0);

    assertScimError(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'meera@glow.in' }), 409);
    assertScimError(
      await scim('POST', '/scim/v2/Users', tokenA, { name: { formatted: 'No user name' } }),
      400,
    );
    assertScimError(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'not an email' }), 400);
    assertScimError(await scim('POST', '/scim/v2/Users', tokenA, '{"userName": '), 400);
    assert.equal(
      assertScimError(await scim('GET', '/scim/v2/Users?filter=userName co "a"', tokenA), 400).scimType,
      'invalidFilter',
    );
    const users = await t.call('GET', '/v1/users', { key: a.live });
    assert.equal(users.body.meta.total, 1, 'nothing was created by the refused requests');

    const replaced = await scim('PUT', `/scim/v2/Users/${u.id}`, tokenA, {
      userName: 'meera.iyer@glow.in',
      name: { formatted: 'Meera S. Iyer' },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(json(replaced).userName, 'meera.iyer@glow.in');
    assert.equal(json(replaced).displayName, 'Meera S. Iyer');

    const gone = await scim('DELETE', `/scim/v2/Users/${u.id}`, tokenA);
    assert.equal(gone.status, 204, gone.text);
    assertScimError(await scim('GET', `/scim/v2/Users/${u.id}`, tokenA), 404);
    assert.equal((await t.call('GET', `/v1/users/${u.id}`, { key: a.live })).status, 404);
  });

  it('deactivating ends the person’s sessions and gives their conversations back to Unassigned', async () => {
    const u = json(
      await scim('POST', '/scim/v2/Users', tokenA, { userName: 'ravi@glow.in', displayName: 'Ravi' }),
    );
    await t.call('PATCH', `/v1/users/${u.id}`, { key: a.live, body: { password: 'a long password' } });
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email: 'ravi@glow.in', password: 'a long password', workspace_id: a.id, mode: 'live' },
    });
    assert.equal(login.status, 200, login.text);
    const session = login.body.token as string;
    // Test mode has the sandbox: a user of the test mode takes the conversation.
    const tu = json(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'ravi.test@glow.in' }));
    assert.ok(tu.id);
    assert.equal((await t.call('GET', '/v1/me', { key: session })).status, 200);

    const conv = await openWindow(t, a.test, '+919812345670', 'Need help');
    const testToken = (await t.call('POST', '/v1/scim-tokens', { key: a.test, body: {} })).body.token;
    const agent = json(await scim('POST', '/scim/v2/Users', testToken, { userName: 'sana@glow.in' }));
    const assigned = await t.call('POST', `/v1/conversations/${conv}/assign`, {
      key: a.test,
      body: { user_id: agent.id },
    });
    assert.equal(assigned.status, 200, assigned.text);

    // Entra ID sends booleans as strings, with a path.
    const off = await scim('PATCH', `/scim/v2/Users/${agent.id}`, testToken, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    assert.equal(off.status, 200, off.text);
    assert.equal(json(off).active, false);
    const c = await t.call('GET', `/v1/conversations/${conv}`, { key: a.test });
    assert.equal(c.body.assignee, null, 'released to the queue');

    // Okta sends the value as an object without a path.
    const offLive = await scim('PATCH', `/scim/v2/Users/${u.id}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    assert.equal(offLive.status, 200, offLive.text);
    assert.equal((await t.call('GET', '/v1/me', { key: session })).status, 401, 'the session ended');
    const again = await t.call('POST', '/v1/auth/login', {
      body: { email: 'ravi@glow.in', password: 'a long password', workspace_id: a.id, mode: 'live' },
    });
    assert.equal(again.status, 401, 'a deactivated user cannot sign in');
    const audit = await t.call('GET', '/v1/audit-log?action=scim.user_deactivated', { key: a.live });
    assert.equal(audit.body.data.length, 1, audit.text);

    const on = await scim('PATCH', `/scim/v2/Users/${u.id}`, tokenA, {
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    assert.equal(json(on).active, true);
    assert.equal(
      (
        await t.call('POST', '/v1/auth/login', {
          body: { email: 'ravi@glow.in', password: 'a long password', workspace_id: a.id, mode: 'live' },
        })
      ).status,
      200,
    );
    assertScimError(await scim('PATCH', `/scim/v2/Users/${u.id}`, tokenA, { Operations: [] }), 400);
    assertScimError(
      await scim('PATCH', `/scim/v2/Users/${u.id}`, tokenA, {
        Operations: [{ op: 'replace', path: 'role', value: 'admin' }],
      }),
      400,
    );
  });

  it('maps groups to teams: create, add and remove members, rename, delete', async () => {
    const m1 = json(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'g1@glow.in' }));
    const m2 = json(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'g2@glow.in' }));
    const g = await scim('POST', '/scim/v2/Groups', tokenA, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Billing',
      members: [{ value: m1.id }],
    });
    assert.equal(g.status, 201, g.text);
    const group = json(g);
    const team = await t.call('GET', `/v1/teams/${group.id}`, { key: a.live });
    assert.equal(team.body.name, 'Billing');
    assert.deepEqual(team.body.member_ids, [m1.id]);

    const add = await scim('PATCH', `/scim/v2/Groups/${group.id}`, tokenA, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: m2.id }] }],
    });
    assert.equal(add.status, 200, add.text);
    assert.deepEqual(
      json(add)
        .members.map((m: { value: string }) => m.value)
        .sort(),
      [m1.id, m2.id].sort(),
    );
    const remove = await scim('PATCH', `/scim/v2/Groups/${group.id}`, tokenA, {
      Operations: [
        { op: 'remove', path: `members[value eq "${m1.id}"]` },
        { op: 'replace', path: 'displayName', value: 'Billing EU' },
      ],
    });
    assert.deepEqual(
      json(remove).members.map((m: { value: string }) => m.value),
      [m2.id],
    );
    assert.equal(json(remove).displayName, 'Billing EU');
    assert.deepEqual(
      json(await scim('GET', `/scim/v2/Users/${m2.id}`, tokenA)).groups.map(
        (x: { value: string }) => x.value,
      ),
      [group.id],
    );
    const byName = json(await scim('GET', '/scim/v2/Groups?filter=displayName eq "Billing EU"', tokenA));
    assert.equal(byName.totalResults, 1);
    assertScimError(
      await scim('PATCH', `/scim/v2/Groups/${group.id}`, tokenA, {
        Operations: [{ op: 'add', path: 'members', value: [{ value: 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }] }],
      }),
      400,
    );
    assert.equal((await scim('DELETE', `/scim/v2/Groups/${group.id}`, tokenA)).status, 204);
    assert.equal((await t.call('GET', `/v1/teams/${group.id}`, { key: a.live })).status, 404);
  });

  it('a token sees its own workspace and mode only; no token, a wrong or revoked one is 401', async () => {
    const u = json(await scim('POST', '/scim/v2/Users', tokenA, { userName: 'only-a@glow.in' }));
    assertScimError(await scim('GET', `/scim/v2/Users/${u.id}`, tokenB), 404);
    assertScimError(
      await scim('PATCH', `/scim/v2/Users/${u.id}`, tokenB, {
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      404,
    );
    assertScimError(await scim('DELETE', `/scim/v2/Users/${u.id}`, tokenB), 404);
    const listB = json(await scim('GET', '/scim/v2/Users?filter=userName eq "only-a@glow.in"', tokenB));
    assert.equal(listB.totalResults, 0);
    assert.equal(json(await scim('GET', `/scim/v2/Users/${u.id}`, tokenA)).active, true, 'untouched');

    const config = json(await scim('GET', '/scim/v2/ServiceProviderConfig', tokenA));
    assert.equal(config.patch.supported, true);
    assert.equal(config.filter.supported, true);
    assertScimError(await scim('GET', '/scim/v2/ServiceProviderConfig', undefined), 401);
    assertScimError(await scim('GET', '/scim/v2/Users', undefined), 401);
    assertScimError(await scim('GET', '/scim/v2/Users', 'scim_live_nottherealtoken000000000000'), 401);
    assertScimError(await scim('GET', '/scim/v2/Users', a.live), 401);
    const made = await t.call('POST', '/v1/scim-tokens', { key: a.live, body: { name: 'to revoke' } });
    assert.equal((await scim('GET', '/scim/v2/Users', made.body.token)).status, 200);
    await t.call('DELETE', `/v1/scim-tokens/${made.body.id}`, { key: a.live });
    assertScimError(await scim('GET', '/scim/v2/Users', made.body.token), 401);
  });
});
