import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  assignConversation,
  closeConversation,
  getConversation,
  handoffConversation,
  reopenConversation,
  snoozeConversation,
} from '../../src/modules/conversations/conversations.service.ts';
import { setWorkspacePolicy } from '../../src/modules/conversations/routing/policy.service.ts';
import { teamQueue } from '../../src/modules/conversations/routing/queue.service.ts';
import { sandboxInbound } from '../../src/modules/messaging/sandbox.service.ts';
import { setAvailability } from '../../src/modules/users/availability.ts';
import { addTeamMembers, createTeam, createUser } from '../../src/modules/users/users.service.ts';
import type { Actor } from '../../src/platform/events.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { type ModuleWorld, startModules } from '../support/modules.ts';

/**
 * Team routing's rules, below HTTP (issue 65): team queues, capacity, a member coming online, room
 * freed by a close or a reassignment, a woken handoff routed again, a burst drained in order, and
 * the handoff policy's reply timer (a durable job fired by the app's clock, which the test moves).
 * The routes' contract (codes, shapes, who may set availability, the policy's validation) stays in
 * routing.test.ts and handoff-policy.test.ts.
 */
forEachStorage('routing rules: team queues, capacity and availability', (storage) => {
  let w: ModuleWorld;
  let scope: { workspaceId: string; livemode: boolean; defaultCountry: string };
  let n = 0;
  const supervisor: Actor = { type: 'api_key', id: 'key_supervisor' };
  // The app's clock is the real one, until the reply timer's case (the last) sets it back to Monday
  // 11 May 2026, 11:30 in India, and moves it: its timer jobs, due by the real clock at once, wait
  // for the app's clock to reach their time.
  let offset = 0;
  const advance = (minutes: number) => {
    offset += minutes * 60_000;
  };
  before(async () => {
    // The sandbox's inbound path (messaging) makes the customers' conversations.
    w = await startModules(storage, ['conversations', 'users', 'messaging'], {
      clock: { now: () => new Date(Date.now() + offset) },
    });
    scope = (await w.workspace()).scope;
  });
  after(() => w.close());

  const person = async (capacity: number | null, online = true) => {
    n++;
    const u = await createUser(w.ctx, scope, {
      name: `Agent ${n}`,
      email: `agent${n}@glow.in`,
      role: 'agent',
      max_open_conversations: capacity,
    });
    if (online) assert.equal((await availability(u.id, 'online')).availability, 'online');
    return { id: u.id };
  };
  const availability = (userId: string, value: 'online' | 'offline') =>
    setAvailability(w.ctx, scope, userId, value);

  const conversation = async (i: number) => {
    const from = `+9198123${String(40000 + n * 1000 + i).padStart(5, '0')}`;
    const r = await sandboxInbound(w.ctx, scope, { from, text: `help ${i}` });
    return r.conversation_id as string;
  };
  const handoff = (id: string, teamId: string) =>
    handoffConversation(
      w.ctx,
      scope,
      id,
      { reason: 'customer asked for a person', assignTo: { type: 'team', id: teamId } },
      supervisor,
    );
  const get = (id: string) => getConversation(w.ctx, scope, id);
  const team = (name: string, userIds: string[], assignment: Record<string, unknown>) =>
    createTeam(w.ctx, scope, { name, user_ids: userIds, assignment });
  const queue = (teamId: string, limit = 50) => teamQueue(w.ctx, scope, teamId, limit);
  const openOf = async (userId: string) =>
    (
      await w.ctx.db
        .selectFrom('conversations')
        .select('id')
        .where('workspace_id', '=', scope.workspaceId)
        .where('assignee_type', '=', 'user')
        .where('assignee_id', '=', userId)
        .where('status', '!=', 'closed')
        .execute()
    ).length;
  const assignedEvents = async (conversationId: string) =>
    (
      await w.ctx.db
        .selectFrom('events')
        .selectAll()
        .where('workspace_id', '=', scope.workspaceId)
        .where('type', '=', 'conversation.assigned')
        .where('object_id', '=', conversationId)
        .orderBy('id', 'desc')
        .execute()
    ).map((e) => ({ actor: { type: e.actor_type, id: e.actor_id }, data: JSON.parse(e.data) }));

  it('a team with no members keeps conversations in its queue; a member coming online takes them', async () => {
    const empty = await team('Empty', [], { mode: 'round_robin', only_online: true });
    assert.deepEqual(empty.assignment, { mode: 'round_robin', only_online: true, max_per_user: null });
    const a = await conversation(1);
    const b = await conversation(2);
    assert.equal((await handoff(a, empty.id)).assignee?.type, 'team');
    await handoff(b, empty.id);
    const q = await queue(empty.id);
    assert.deepEqual(
      q.data.map((e) => e.conversation_id),
      [a, b],
    );
    assert.ok(q.data[0]!.waiting_seconds >= 0);
    const p = await person(1, false);
    await addTeamMembers(w.ctx, scope, empty.id, [p.id]);
    assert.equal((await get(a)).assignee?.type, 'team', 'an offline member takes nothing');
    await availability(p.id, 'online');
    assert.deepEqual((await get(a)).assignee, { type: 'user', id: p.id }, 'the oldest goes first');
    assert.equal((await get(b)).assignee?.type, 'team', 'capacity 1: the next one waits');
    // Resolving frees the member: the next in the queue is given out at once.
    await closeConversation(w.ctx, scope, a, supervisor);
    assert.deepEqual((await get(b)).assignee, { type: 'user', id: p.id });
    const byRule = (await assignedEvents(b)).filter((e) => e.actor.type === 'rule');
    assert.equal(byRule.length, 1, 'given to the member by the team rule, with the rule as actor');
    assert.equal(byRule[0]!.actor.id, empty.id);
    assert.deepEqual(byRule[0]!.data.assignee, { type: 'user', id: p.id });
  });

  it('reassigning by hand away from a person gives their freed room to the team queue', async () => {
    const p = await person(1);
    const other = await person(null, false);
    const desk = await team('Hand desk', [p.id], { mode: 'round_robin' });
    const a = await conversation(301);
    const b = await conversation(302);
    assert.deepEqual((await handoff(a, desk.id)).assignee, { type: 'user', id: p.id });
    assert.equal((await handoff(b, desk.id)).assignee?.type, 'team', 'capacity 1: b waits');
    const moved = await assignConversation(
      w.ctx,
      scope,
      a,
      { type: 'user', id: other.id },
      {
        type: 'user',
        id: p.id,
      },
    );
    assert.deepEqual(moved.assignee, { type: 'user', id: other.id });
    assert.deepEqual(
      (await get(b)).assignee,
      { type: 'user', id: p.id },
      'the queue head takes the freed room',
    );
    assert.deepEqual((await assignedEvents(a))[0]!.data.previous_assignee, { type: 'user', id: p.id });
    // Unassigning frees room the same way.
    const c = await conversation(303);
    assert.equal((await handoff(c, desk.id)).assignee?.type, 'team');
    await assignConversation(w.ctx, scope, b, null, supervisor);
    assert.deepEqual((await get(c)).assignee, { type: 'user', id: p.id });
  });

  it('a handoff woken from a snooze whose person is away is routed again like a handoff', async () => {
    const p = await person(null);
    const q = await person(null, false);
    const desk = await team('Reopen desk', [p.id, q.id], { mode: 'balanced' });
    const from = '+919812399001';
    const id = (await sandboxInbound(w.ctx, scope, { from, text: 'hi' })).conversation_id as string;
    assert.deepEqual((await handoff(id, desk.id)).assignee, { type: 'user', id: p.id });
    // Snoozed, not closed: closing ends the handoff (the AI answers the customer's next message).
    const snooze = () => snoozeConversation(w.ctx, scope, id, 'PT2H', supervisor);
    assert.equal((await snooze()).status, 'snoozed');
    await availability(p.id, 'offline');
    await availability(q.id, 'online');
    const again = await sandboxInbound(w.ctx, scope, { from, text: 'still broken' });
    assert.equal(again.conversation_id, id);
    const c = await get(id);
    assert.equal(c.status, 'active');
    assert.deepEqual(c.assignee, { type: 'user', id: q.id }, 'given to the online member');
    // An online assignee keeps it: snoozed and woken again, q still has it.
    await snooze();
    await availability(p.id, 'online');
    await sandboxInbound(w.ctx, scope, { from, text: 'one more thing' });
    assert.deepEqual((await get(id)).assignee, { type: 'user', id: q.id });
    // Nobody online: it waits in the team's queue, owned.
    await snooze();
    for (const x of [p, q]) await availability(x.id, 'offline');
    await reopenConversation(w.ctx, scope, id, supervisor);
    assert.deepEqual(
      (await queue(desk.id)).data.map((e) => e.conversation_id),
      [id],
    );
  });

  it('a burst of 200 handoffs to a team of 5 with capacity 3: nobody over capacity, the queue drains in order', async () => {
    const people: Array<{ id: string }> = [];
    for (let i = 0; i < 5; i++) people.push(await person(3));
    const desk = await team(
      'Front desk',
      people.map((p) => p.id),
      { mode: 'balanced' },
    );
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 20)
      ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => conversation(100 + i + j)))));
    // All 200 at once (ten times the pool's connections): a handoff never waits for the routing
    // lock; what finds it busy joins the queue and the dispatch job gives it out after the commit.
    const results = await Promise.all(ids.map((id) => handoff(id, desk.id)));
    for (const r of results) assert.ok(r.assignee, `${r.id} is assigned`);
    const counts = () => Promise.all(people.map((p) => openOf(p.id)));
    await eventually(async () => ((await counts()).every((c) => c === 3) ? true : null), 20_000);
    for (const p of people) assert.equal(await openOf(p.id), 3, 'each member has exactly 3');
    await eventually(async () => ((await queue(desk.id, 1)).total === 185 ? true : null), 20_000);
    const waiting = await queue(desk.id, 500);
    assert.equal(waiting.total, 185);
    const order: string[] = waiting.data.map((e) => e.conversation_id);
    // All normal priority: the longest wait (the customer's first unanswered message) first.
    const since: string[] = waiting.data.map((e) => e.waiting_since);
    assert.deepEqual([...since].sort(), since, 'longest wait first');
    // Each resolve gives the head of the queue to the member who freed up, concurrently too (two
    // rounds here; who gets what as the queue drains is drainPlan's, in routing.units.test.ts).
    for (let round = 0; round < 2; round++) {
      const held = await Promise.all(
        people.map(async (p) => {
          const row = await w.ctx.db
            .selectFrom('conversations')
            .select('id')
            .where('workspace_id', '=', scope.workspaceId)
            .where('assignee_type', '=', 'user')
            .where('assignee_id', '=', p.id)
            .where('status', '=', 'active')
            .executeTakeFirstOrThrow();
          return row.id;
        }),
      );
      const closed = await Promise.all(held.map((id) => closeConversation(w.ctx, scope, id, supervisor)));
      for (const c of closed) assert.equal(c.status, 'closed');
      const head = order.splice(0, 5);
      for (const id of head) assert.equal((await get(id)).assignee?.type, 'user', `${id} was next in line`);
      assert.equal((await get(order[0]!)).assignee?.type, 'team', 'the rest still waits');
      for (const p of people) assert.equal(await openOf(p.id), 3, 'nobody over capacity');
    }
    const rest = await queue(desk.id);
    assert.equal(rest.total, 175);
    assert.equal(rest.data[0]!.conversation_id, order[0]);
  });

  it('the reply timer: no reply in time, reassigned to another member once, then only notified; never more', async () => {
    offset = Date.parse('2026-05-11T06:00:00Z') - Date.now();
    // A workspace of its own: the policy is the workspace's.
    const own = (await w.workspace()).scope;
    const members: string[] = [];
    for (const k of [1, 2]) {
      const u = await createUser(w.ctx, own, { name: `P${k}`, email: `p${k}@glow.in`, role: 'agent' });
      await setAvailability(w.ctx, own, u.id, 'online');
      members.push(u.id);
    }
    const desk = await createTeam(w.ctx, own, {
      name: 'Desk',
      user_ids: members,
      assignment: { mode: 'round_robin' },
    });
    await setWorkspacePolicy(w.ctx, own, {
      team_id: desk.id,
      reply_within_minutes: 5,
      on_timeout: 'reassign',
      max_reassignments: 1,
    });
    let phone = 0;
    const inbound = async () =>
      (
        await sandboxInbound(w.ctx, own, {
          from: `+91981236${String(++phone).padStart(4, '0')}`,
          text: 'hello',
        })
      ).conversation_id as string;
    /** The conversation's `conversation.handoff_timeout` events, oldest first. */
    const timeouts = async (id: string) =>
      (
        await w.ctx.db
          .selectFrom('events')
          .selectAll()
          .where('workspace_id', '=', own.workspaceId)
          .where('type', '=', 'conversation.handoff_timeout')
          .where('object_id', '=', id)
          .orderBy('id')
          .execute()
      ).map((e) => ({ actor: { type: e.actor_type }, data: JSON.parse(e.data) }));
    const assignee = async (id: string) => (await getConversation(w.ctx, own, id)).assignee;

    const id = await inbound();
    const first = (await handoffConversation(w.ctx, own, id, { reason: 'refund' }, supervisor)).assignee;
    assert.equal(first?.type, 'user', 'the policy team gave it to a member');
    advance(6);
    const one = await eventually(
      async () => ((await timeouts(id)).length >= 1 ? timeouts(id) : null),
      15_000,
    );
    assert.equal(one[0]!.data.handoff_timeout.action, 'reassign');
    assert.equal(one[0]!.actor.type, 'rule');
    const moved = await assignee(id);
    assert.equal(moved?.type, 'user');
    assert.notEqual(moved?.id, first?.id, 'another member');
    advance(6);
    const two = await eventually(
      async () => ((await timeouts(id)).length >= 2 ? timeouts(id) : null),
      15_000,
    );
    assert.equal(two[1]!.data.handoff_timeout.action, 'notify');
    assert.equal(two[1]!.data.handoff_timeout.exhausted, true);
    assert.deepEqual(await assignee(id), moved, 'not reassigned past max_reassignments');
    // A later conversation's timer firing shows the queue has moved on: still two for this one.
    const other = await inbound();
    await handoffConversation(w.ctx, own, other, { reason: 'x' }, supervisor);
    advance(6);
    await eventually(async () => ((await timeouts(other)).length >= 1 ? true : null), 15_000);
    assert.equal((await timeouts(id)).length, 2);
  });
});
