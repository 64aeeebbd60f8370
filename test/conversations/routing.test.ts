import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** Availability, capacity, team rules and routing with its queue (SPEC: Team operations). */
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

  const handoff = (id: string, teamId: string) =>
    t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: ws.test,
      body: { reason: 'customer asked for a person', assign_to: { type: 'team', id: teamId } },
    });

  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;

  const openOf = async (userId: string) => {
    const r = await t.call('GET', `/v1/conversations?assignee=${userId}&per_page=100`, { key: ws.test });
    return (r.body.data as Array<{ status: string }>).filter((c) => c.status !== 'closed').length;
  };

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

  it('a team with no members keeps conversations in its queue; a member coming online takes them', async () => {
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Empty', assignment: { mode: 'round_robin', only_online: true } },
    });
    assert.equal(team.status, 201, team.text);
    assert.deepEqual(team.body.assignment, { mode: 'round_robin', only_online: true, max_per_user: null });
    const a = await conversation(1);
    const b = await conversation(2);
    assert.equal((await handoff(a, team.body.id)).body.assignee.type, 'team');
    await handoff(b, team.body.id);
    const q = await t.call('GET', `/v1/teams/${team.body.id}/queue`, { key: ws.test });
    assert.equal(q.status, 200, q.text);
    assert.deepEqual(
      q.body.data.map((e: { conversation_id: string }) => e.conversation_id),
      [a, b],
    );
    assert.ok(q.body.data[0].waiting_seconds >= 0);
    const p = await person(1, false);
    await t.call('POST', `/v1/teams/${team.body.id}/members`, { key: ws.test, body: { user_ids: [p.id] } });
    assert.equal((await get(a)).assignee.type, 'team', 'an offline member takes nothing');
    await t.call('PUT', '/v1/me/availability', { key: p.session, body: { availability: 'online' } });
    assert.deepEqual((await get(a)).assignee, { type: 'user', id: p.id }, 'the oldest goes first');
    assert.equal((await get(b)).assignee.type, 'team', 'capacity 1: the next one waits');
    // Resolving frees the member: the next in the queue is given out at once.
    await t.call('POST', `/v1/conversations/${a}/close`, { key: ws.test });
    assert.deepEqual((await get(b)).assignee, { type: 'user', id: p.id });
    const events = await t.call('GET', `/v1/events?type=conversation.assigned&object_id=${b}`, {
      key: ws.test,
    });
    const byRule = events.body.data.filter((e: { actor: { type: string } }) => e.actor.type === 'rule');
    assert.equal(byRule.length, 1, 'given to the member by the team rule, with the rule as actor');
    assert.equal(byRule[0].actor.id, team.body.id);
    assert.deepEqual(byRule[0].data.assignee, { type: 'user', id: p.id });
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
    await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.test,
      body: { handoff_policy: { team_id: null } },
    });
  });

  it('reassigning by hand away from a person gives their freed room to the team queue', async () => {
    const p = await person(1);
    const other = await person(null, false);
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Hand desk', user_ids: [p.id], assignment: { mode: 'round_robin' } },
    });
    const a = await conversation(301);
    const b = await conversation(302);
    assert.deepEqual((await handoff(a, team.body.id)).body.assignee, { type: 'user', id: p.id });
    assert.equal((await handoff(b, team.body.id)).body.assignee.type, 'team', 'capacity 1: b waits');
    const moved = await t.call('POST', `/v1/conversations/${a}/assign`, {
      key: p.session,
      body: { user_id: other.id },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(
      (await get(b)).assignee,
      { type: 'user', id: p.id },
      'the queue head takes the freed room',
    );
    const ev = await t.call('GET', `/v1/events?type=conversation.assigned&object_id=${a}`, { key: ws.test });
    assert.deepEqual(ev.body.data[0].data.previous_assignee, { type: 'user', id: p.id });
    // Unassigning frees room the same way.
    const c = await conversation(303);
    assert.equal((await handoff(c, team.body.id)).body.assignee.type, 'team');
    await t.call('POST', `/v1/conversations/${b}/assign`, { key: ws.test, body: { user_id: null } });
    assert.deepEqual((await get(c)).assignee, { type: 'user', id: p.id });
  });

  it('a handoff woken from a snooze whose person is away is routed again like a handoff', async () => {
    const p = await person(null);
    const q = await person(null, false);
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Reopen desk', user_ids: [p.id, q.id], assignment: { mode: 'balanced' } },
    });
    const from = '+919812399001';
    const first = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text: 'hi' } });
    const id = first.body.conversation_id as string;
    assert.deepEqual((await handoff(id, team.body.id)).body.assignee, { type: 'user', id: p.id });
    // Snoozed, not closed: closing ends the handoff (the AI answers the customer's next message).
    const snooze = () =>
      t.call('POST', `/v1/conversations/${id}/snooze`, { key: ws.test, body: { until: 'PT2H' } });
    assert.equal((await snooze()).status, 200);
    await t.call('PUT', '/v1/me/availability', { key: p.session, body: { availability: 'offline' } });
    await t.call('PUT', '/v1/me/availability', { key: q.session, body: { availability: 'online' } });
    const again = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from, text: 'still broken' },
    });
    assert.equal(again.body.conversation_id, id);
    const c = await get(id);
    assert.equal(c.status, 'active');
    assert.deepEqual(c.assignee, { type: 'user', id: q.id }, 'given to the online member');
    // An online assignee keeps it: snoozed and woken again, q still has it.
    await snooze();
    await t.call('PUT', '/v1/me/availability', { key: p.session, body: { availability: 'online' } });
    await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text: 'one more thing' } });
    assert.deepEqual((await get(id)).assignee, { type: 'user', id: q.id });
    // Nobody online: it waits in the team's queue, owned.
    await snooze();
    for (const x of [p, q])
      await t.call('PUT', '/v1/me/availability', { key: x.session, body: { availability: 'offline' } });
    await t.call('POST', `/v1/conversations/${id}/reopen`, { key: ws.test });
    const queue = await t.call('GET', `/v1/teams/${team.body.id}/queue`, { key: ws.test });
    assert.deepEqual(
      queue.body.data.map((e: { conversation_id: string }) => e.conversation_id),
      [id],
    );
  });

  it('a burst of 200 handoffs to a team of 5 with capacity 3: nobody over capacity, the queue drains in order', async () => {
    const people: Array<{ id: string; session: string }> = [];
    for (let i = 0; i < 5; i++) people.push(await person(3));
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Front desk', user_ids: people.map((p) => p.id), assignment: { mode: 'balanced' } },
    });
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 20)
      ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => conversation(100 + i + j)))));
    // All 200 at once (ten times the pool's 20 connections): a request never waits for the routing
    // lock; what finds it busy joins the queue and the dispatch job gives it out after the commit.
    // A 503 (a connection not free within 20 s: a busy CI machine) is retried, as its Retry-After
    // asks a caller to; what waits in the queue is ordered by the customer's wait, not by the call.
    const results = await Promise.all(
      ids.map(async (id) => {
        let r = await handoff(id, team.body.id);
        for (let attempt = 0; r.status === 503 && attempt < 3; attempt++) r = await handoff(id, team.body.id);
        return r;
      }),
    );
    for (const r of results) assert.equal(r.status, 200, r.text);
    const counts = async () => Promise.all(people.map((p) => openOf(p.id)));
    await eventually(async () => ((await counts()).every((c) => c === 3) ? true : null), 20_000);
    for (const p of people) assert.equal(await openOf(p.id), 3, 'each member has exactly 3');
    await eventually(async () => {
      const q = await t.call('GET', `/v1/teams/${team.body.id}/queue?limit=1`, { key: ws.test });
      return q.body.total === 185 ? true : null;
    }, 20_000);
    const queue = await t.call('GET', `/v1/teams/${team.body.id}/queue?limit=500`, { key: ws.test });
    assert.equal(queue.body.total, 185);
    const order: string[] = queue.body.data.map((e: { conversation_id: string }) => e.conversation_id);
    // All normal priority: the longest wait (the customer's first unanswered message) first.
    const waiting: string[] = queue.body.data.map((e: { waiting_since: string }) => e.waiting_since);
    assert.deepEqual([...waiting].sort(), waiting, 'longest wait first');
    // Each resolve gives the head of the queue to the member who freed up, concurrently too (two
    // rounds here; who gets what as the queue drains is drainPlan's, in routing.units.test.ts).
    for (let round = 0; round < 2; round++) {
      const held = await Promise.all(
        people.map(async (p) => {
          const r = await t.call('GET', `/v1/conversations?assignee=${p.id}&status=active&per_page=1`, {
            key: ws.test,
          });
          return r.body.data[0].id as string;
        }),
      );
      const closes = await Promise.all(
        held.map((id) => t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test })),
      );
      for (const c of closes) assert.equal(c.status, 200, c.text);
      const head = order.splice(0, 5);
      for (const id of head) assert.equal((await get(id)).assignee.type, 'user', `${id} was next in line`);
      assert.equal((await get(order[0]!)).assignee.type, 'team', 'the rest still waits');
      for (const p of people) assert.equal(await openOf(p.id), 3, 'nobody over capacity');
    }
    const rest = await t.call('GET', `/v1/teams/${team.body.id}/queue`, { key: ws.test });
    assert.equal(rest.body.total, 175);
    assert.equal(rest.body.data[0].conversation_id, order[0]);
  });
});
