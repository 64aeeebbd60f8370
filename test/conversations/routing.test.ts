import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Availability, capacity, team rules and routing with its queue (SPEC: Team operations): the
 * routes' contract (codes, shapes, who may set what). The routing rules themselves (team queues,
 * capacity, room freed, a woken handoff, a burst drained in order) are proved below HTTP, in
 * routing.module.test.ts.
 */
forEachStorage('routing: availability, capacity, teams and queues', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let n = 0;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t.close());

  const person = async (capacity: number | null, online = true) => {
    n++;
    const email = `agent${n}@glow.in`;
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: `Agent ${n}`, email, password: 'correct horse', max_open_conversations: capacity },
    });
    assert.equal(u.status, 201, u.text);
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'correct horse' } });
    assert.equal(login.status, 200, login.text);
    const session = login.body.token as string;
    if (online) {
      const set = await t.call('PUT', '/v1/me/availability', {
        key: session,
        body: { availability: 'online' },
      });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.body.availability, 'online');
    }
    return { id: u.body.id as string, session };
  };

  const conversation = async (i: number) => {
    const from = `+9198123${String(40000 + n * 1000 + i).padStart(5, '0')}`;
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from, text: `help ${i}` },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };

  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;

  it('refuses a capacity of 0 and an API key setting availability; users start offline', async () => {
    const zero = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Zero', email: 'zero@glow.in', max_open_conversations: 0 },
    });
    assert.equal(zero.status, 400, zero.text);
    assert.match(zero.text, /max_open_conversations/);
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Nil', email: 'nil@glow.in' },
    });
    assert.equal(u.body.availability, 'offline');
    assert.equal(u.body.max_open_conversations, null);
    const patched = await t.call('PATCH', `/v1/users/${u.body.id}`, {
      key: ws.test,
      body: { max_open_conversations: 0 },
    });
    assert.equal(patched.status, 400);
    const byKey = await t.call('PUT', '/v1/me/availability', {
      key: ws.test,
      body: { availability: 'online' },
    });
    assert.equal(byKey.status, 403, byKey.text);
    const badMode = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'X', assignment: { mode: 'random' } },
    });
    assert.equal(badMode.status, 400);
  });

  it('presence: online while an inbox connection is open, a manual setting wins, auto goes back', async () => {
    const p = await person(null, false);
    const scope = { workspaceId: ws.id, livemode: false };
    const release = await t.ctx.modules.users.presence.open(scope, p.id);
    const me = async () => (await t.call('GET', '/v1/me/availability', { key: p.session })).body;
    assert.equal((await me()).availability, 'online');
    assert.equal((await me()).inbox_open, true);
    await t.call('PUT', '/v1/me/availability', { key: p.session, body: { availability: 'busy' } });
    assert.equal((await me()).availability, 'busy');
    await t.call('PUT', '/v1/me/availability', { key: p.session, body: { availability: 'auto' } });
    assert.equal((await me()).availability, 'online');
    release();
    await eventually(async () => ((await me()).availability === 'offline' ? true : null), 5000);
  });

  it("a supervisor (an API key) sets a user's availability; routing follows it; a bad value or user is refused", async () => {
    const p = await person(null, false);
    const scope = { workspaceId: ws.id, livemode: false };
    const release = await t.ctx.modules.users.presence.open(scope, p.id);
    const read = async () => (await t.call('GET', `/v1/users/${p.id}/availability`, { key: ws.test })).body;
    assert.equal((await read()).availability, 'online');
    const off = await t.call('PUT', `/v1/users/${p.id}/availability`, {
      key: ws.test,
      body: { availability: 'offline' },
    });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.availability, 'offline');
    assert.equal(off.body.set_by_hand, true);
    // The person's own view agrees: the supervisor's setting wins over their open inbox.
    assert.equal(
      (await t.call('GET', '/v1/me/availability', { key: p.session })).body.availability,
      'offline',
    );
    const bad = await t.call('PUT', `/v1/users/${p.id}/availability`, {
      key: ws.test,
      body: { availability: 'away' },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal((await read()).availability, 'offline');
    const nobody = await t.call('PUT', '/v1/users/usr_nope/availability', {
      key: ws.test,
      body: { availability: 'online' },
    });
    assert.equal(nobody.status, 404, nobody.text);
    const auto = await t.call('PUT', `/v1/users/${p.id}/availability`, {
      key: ws.test,
      body: { availability: 'auto' },
    });
    assert.equal(auto.body.availability, 'online');
    release();
  });

  it('a channel names the team its handoffs go to; an unknown team is a 404', async () => {
    const p = await person(null);
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Channel desk', user_ids: [p.id], assignment: { mode: 'balanced' } },
    });
    const conv = await conversation(900);
    const channelId = (await get(conv)).channel_id;
    const bad = await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.test,
      body: { handoff_policy: { team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D' } },
    });
    assert.equal(bad.status, 404, bad.text);
    const ok = await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.test,
      body: { handoff_policy: { team_id: team.body.id } },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.handoff_policy.team_id, team.body.id);
    const h = await t.call('POST', `/v1/conversations/${conv}/handoff`, {
      key: ws.test,
      body: { reason: 'x' },
    });
    assert.deepEqual(h.body.assignee, { type: 'user', id: p.id });
    // The team queue's route: its shape, and an unknown team is a 404.
    const q = await t.call('GET', `/v1/teams/${team.body.id}/queue`, { key: ws.test });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.body.object, 'team_queue');
    assert.equal(q.body.total, 0);
    assert.deepEqual(q.body.assignment, { mode: 'balanced', only_online: true, max_per_user: null });
    const unknown = await t.call('GET', '/v1/teams/team_01JD5Z8Q4X3N2M1K0H9G8F7E6D/queue', { key: ws.test });
    assert.equal(unknown.status, 404, unknown.text);
    await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.test,
      body: { handoff_policy: { team_id: null } },
    });
  });
});
