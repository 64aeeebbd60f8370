import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('users, teams and login', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    other = await t.workspace();
  });
  after(async () => t?.close());

  it('creates users without ever returning the password; duplicate email is 409', async () => {
    const u = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Priya', email: 'Priya@Glow.in', role: 'agent', password: 'correct horse' },
    });
    assert.equal(u.status, 201, u.text);
    assert.equal(u.body.email, 'priya@glow.in');
    assert.equal(u.body.has_password, true);
    assert.ok(!('password' in u.body) && !('password_hash' in u.body));
    const dup = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'P2', email: 'priya@glow.in' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.existing_id, u.body.id);
    const short = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'S', email: 's@glow.in', password: 'short' },
    });
    assert.equal(short.status, 400);
    const badRole = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'S', email: 's@glow.in', role: 'owner' },
    });
    assert.equal(badRole.status, 400);
  });

  it('logs in with a JWT that works as a bearer token with the role’s scopes', async () => {
    await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Admin', email: 'admin@glow.in', role: 'admin', password: 'admin-password' },
    });
    const wrongPw = await t.call('POST', '/v1/auth/login', {
      body: { email: 'priya@glow.in', password: 'nope-nope' },
    });
    const noUser = await t.call('POST', '/v1/auth/login', {
      body: { email: 'ghost@glow.in', password: 'nope-nope' },
    });
    assert.equal(wrongPw.status, 401);
    assert.equal(noUser.status, 401);
    assert.equal(wrongPw.body.error.message, noUser.body.error.message);

    const agent = await t.call('POST', '/v1/auth/login', {
      body: { email: 'PRIYA@glow.in', password: 'correct horse' },
    });
    assert.equal(agent.status, 200, agent.text);
    assert.equal(agent.body.user.role, 'agent');
    assert.ok(Date.parse(agent.body.expires_at) > Date.now());
    const me = await t.call('GET', '/v1/me', { key: agent.body.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, agent.body.user.id);
    assert.equal(me.body.livemode, true);
    // Agents work contacts but cannot manage users.
    assert.equal(
      (await t.call('POST', '/v1/contacts', { key: agent.body.token, body: { phone: '+14155550300' } }))
        .status,
      201,
    );
    const created = await t.ctx.db
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'contact.created')
      .where('actor_id', '=', agent.body.user.id)
      .execute();
    assert.equal(created[0].actor_type, 'user');
    assert.equal(
      (await t.call('POST', '/v1/users', { key: agent.body.token, body: { name: 'x', email: 'x@glow.in' } }))
        .status,
      403,
    );

    const admin = await t.call('POST', '/v1/auth/login', {
      body: { email: 'admin@glow.in', password: 'admin-password', workspace_id: ws.id },
    });
    assert.equal((await t.call('GET', '/v1/users', { key: admin.body.token })).status, 200);

    // A tampered token and a deleted user's token stop working.
    const tampered = `${agent.body.token.slice(0, -3)}abc`;
    assert.equal((await t.call('GET', '/v1/me', { key: tampered })).status, 401);
    await t.call('DELETE', `/v1/users/${agent.body.user.id}`, { key: ws.live });
    assert.equal((await t.call('GET', '/v1/me', { key: agent.body.token })).status, 401);
  });

  it('updates users (role, password removal) and hides other workspaces’ users', async () => {
    const u = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Ravi', email: 'ravi@glow.in', password: 'ravi-password' },
    });
    const p = await t.call('PATCH', `/v1/users/${u.body.id}`, {
      key: ws.live,
      body: { role: 'admin', password: null },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.role, 'admin');
    assert.equal(p.body.has_password, false);
    assert.equal(
      (await t.call('POST', '/v1/auth/login', { body: { email: 'ravi@glow.in', password: 'ravi-password' } }))
        .status,
      401,
    );
    assert.equal((await t.call('GET', `/v1/users/${u.body.id}`, { key: other.live })).status, 404);
    assert.equal((await t.call('GET', `/v1/users/${u.body.id}`, { key: ws.test })).status, 404);
    assert.equal(
      (await t.call('PATCH', `/v1/users/${u.body.id}`, { key: other.live, body: { name: 'x' } })).status,
      404,
    );
    const list = await t.call('GET', '/v1/users?role=admin', { key: ws.live });
    assert.ok(list.body.data.every((x: { role: string }) => x.role === 'admin'));
  });

  it('teams: create with members, add, remove, list by team, and refuse foreign users', async () => {
    const a = await t.call('POST', '/v1/users', { key: ws.live, body: { name: 'A', email: 'a@glow.in' } });
    const b = await t.call('POST', '/v1/users', { key: ws.live, body: { name: 'B', email: 'b@glow.in' } });
    const foreign = await t.call('POST', '/v1/users', {
      key: other.live,
      body: { name: 'F', email: 'f@glow.in' },
    });
    const team = await t.call('POST', '/v1/teams', {
      key: ws.live,
      body: { name: 'Front desk', user_ids: [a.body.id] },
    });
    assert.equal(team.status, 201, team.text);
    assert.deepEqual(team.body.member_ids, [a.body.id]);
    const add = await t.call('POST', `/v1/teams/${team.body.id}/members`, {
      key: ws.live,
      body: { user_ids: [b.body.id, a.body.id] },
    });
    assert.equal(add.body.member_ids.length, 2);
    const bad = await t.call('POST', `/v1/teams/${team.body.id}/members`, {
      key: ws.live,
      body: { user_ids: [foreign.body.id] },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_failed');
    assert.equal(bad.body.error.errors[0].field, 'user_ids.0');
    // A user id that cannot exist and one that merely does not: the same 400 naming the position
    // (dot pointers, as every other field error), on adding members and on creating a team.
    for (const unknown of ['usr_nope', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D']) {
      for (const [url, body] of [
        [`/v1/teams/${team.body.id}/members`, { user_ids: [a.body.id, unknown] }],
        ['/v1/teams', { name: 'Nobody desk', user_ids: [a.body.id, unknown] }],
      ] as const) {
        const r = await t.call('POST', url, { key: ws.live, body });
        assert.equal(r.status, 400, `${url} ${unknown}: ${r.text}`);
        assert.equal(r.body.error.code, 'validation_failed');
        assert.deepEqual(
          r.body.error.errors.map((e: { field: string }) => e.field),
          ['user_ids.1'],
          r.text,
        );
        assert.match(r.body.error.errors[0].message, new RegExp(unknown));
      }
    }
    const malformed = await t.call('POST', `/v1/teams/${team.body.id}/members`, {
      key: ws.live,
      body: { user_ids: ['agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'] },
    });
    assert.equal(malformed.status, 400, malformed.text);
    assert.equal(malformed.body.error.errors[0].field, 'user_ids.0');
    const byTeam = await t.call('GET', `/v1/users?team_id=${team.body.id}`, { key: ws.live });
    assert.equal(byTeam.body.meta.total, 2);
    const members = await t.call('GET', `/v1/teams/${team.body.id}/members`, { key: ws.live });
    assert.equal(members.status, 200, members.text);
    assert.deepEqual(
      members.body.data.map((u: { id: string }) => u.id).sort(),
      [a.body.id, b.body.id].sort(),
    );
    assert.equal(members.body.data[0].object, 'user');
    const noTeam = await t.call('GET', '/v1/teams/team_01JD5Z8Q4X3N2M1K0H9G8F7E6D/members', { key: ws.live });
    assert.equal(noTeam.status, 404);
    assert.equal((await t.call('GET', `/v1/teams/${team.body.id}/members`, { key: other.live })).status, 404);
    const rm = await t.call('DELETE', `/v1/teams/${team.body.id}/members/${a.body.id}`, { key: ws.live });
    assert.deepEqual(rm.body.member_ids, [b.body.id]);
    assert.equal(
      (await t.call('DELETE', `/v1/teams/${team.body.id}/members/${a.body.id}`, { key: ws.live })).status,
      404,
    );
    assert.equal((await t.call('GET', `/v1/teams/${team.body.id}`, { key: other.live })).status, 404);
    assert.equal((await t.call('GET', `/v1/teams/${team.body.id}`, { key: ws.test })).status, 404);
    const ren = await t.call('PATCH', `/v1/teams/${team.body.id}`, { key: ws.live, body: { name: 'Desk' } });
    assert.equal(ren.body.name, 'Desk');
    const del = await t.call('DELETE', `/v1/teams/${team.body.id}`, { key: ws.live });
    assert.equal(del.body.deleted, true);
  });
});

forEachStorage('deleting users and teams', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(async () => t?.close());

  const conversation = async (from: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text: 'Hi' } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const assignedEvents = (id: string) =>
    t.ctx.db
      .selectFrom('events')
      .select(['data', 'actor_type'])
      .where('object_id', '=', id)
      .where('type', '=', 'conversation.assigned')
      .execute();

  it("a deleted user's or team's conversations go back to Unassigned, each with its event", async () => {
    const user = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Temp', email: 'temp@glow.in', role: 'agent' },
    });
    const team = await t.call('POST', '/v1/teams', { key: ws.test, body: { name: 'Front desk' } });
    assert.equal(team.status, 201, team.text);
    const [a, b, c] = [
      await conversation('+14155550401'),
      await conversation('+14155550402'),
      await conversation('+14155550403'),
    ];
    for (const [id, body] of [
      [a, { user_id: user.body.id }],
      [b, { team_id: team.body.id }],
      [c, { user_id: user.body.id }],
    ] as const)
      assert.equal(
        (await t.call('POST', `/v1/conversations/${id}/assign`, { key: ws.test, body })).status,
        200,
      );
    const del = await t.call('DELETE', `/v1/users/${user.body.id}`, { key: ws.test });
    assert.equal(del.status, 200, del.text);
    const delTeam = await t.call('DELETE', `/v1/teams/${team.body.id}`, { key: ws.test });
    assert.equal(delTeam.status, 200, delTeam.text);
    for (const id of [a, b, c]) {
      const conv = await t.call('GET', `/v1/conversations/${id}`, { key: ws.test });
      assert.equal(conv.body.assignee, null, id);
      const events = await assignedEvents(id);
      assert.equal(events.length, 2, 'assigned, then unassigned');
      assert.equal(JSON.parse(String(events.at(-1)!.data)).assignee, null);
    }
    const unassigned = await t.call('GET', '/v1/conversations?assignee=none', { key: ws.test });
    assert.deepEqual(unassigned.body.data.map((x: { id: string }) => x.id).sort(), [a, b, c].sort());
  });

  it('a signed-in admin cannot delete themselves (409, nothing changes); another admin can', async () => {
    const mk = async (email: string) => {
      const r = await t.call('POST', '/v1/users', {
        key: ws.live,
        body: { name: email, email, role: 'admin', password: 'long enough password' },
      });
      assert.equal(r.status, 201, r.text);
      const login = await t.call('POST', '/v1/auth/login', {
        body: { email, password: 'long enough password', workspace_id: ws.id },
      });
      assert.equal(login.status, 200, login.text);
      return { id: r.body.id as string, token: login.body.token as string };
    };
    const first = await mk('first@glow.in');
    const second = await mk('second@glow.in');
    const self = await t.call('DELETE', `/v1/users/${first.id}`, { key: first.token });
    assert.equal(self.status, 409, self.text);
    assert.equal(self.body.error.code, 'conflict');
    assert.equal((await t.call('GET', '/v1/me', { key: first.token })).status, 200);
    const byOther = await t.call('DELETE', `/v1/users/${first.id}`, { key: second.token });
    assert.equal(byOther.status, 200, byOther.text);
    assert.equal((await t.call('GET', '/v1/me', { key: first.token })).status, 401);
  });
});
