import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '24:00' }];
const everyDay = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay]),
);

interface Person {
  id: string;
  session: string;
}

/**
 * A team's working day (issue 45): SLAs apply while a person owns a conversation, are matched
 * again when an automation sets the priority; the queue serves urgency first and counts waits
 * from the customer's first unanswered message; a person on a conversation holds its reply timer;
 * a conversation taken from someone is not handed straight back to them; whole-word and OR
 * automation conditions.
 */
forEachStorage('team day rules', (storage) => {
  let t: TestApp;
  let now = new Date('2026-05-11T06:00:00Z');
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };
  let phone = 0;

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => now },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
  });
  after(() => t.close());

  /** A workspace with two people online in one team (round robin), the team as the handoff team. */
  async function clinic(opts: { agent?: boolean; reply_within_minutes?: number } = {}) {
    const ws = await t.workspace();
    const people: Person[] = [];
    for (const n of [1, 2]) {
      const email = `p${n}.${ws.id.slice(-6).toLowerCase()}@clinic.in`;
      const u = await t.call('POST', '/v1/users', {
        key: ws.test,
        body: { name: `P${n}`, email, password: 'correct horse' },
      });
      assert.equal(u.status, 201, u.text);
      const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'correct horse' } });
      await t.call('PUT', '/v1/me/availability', { key: login.body.token, body: { availability: 'online' } });
      people.push({ id: u.body.id, session: login.body.token });
    }
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Front desk', user_ids: people.map((p) => p.id), assignment: { mode: 'round_robin' } },
    });
    const policy = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: {
        team_id: team.body.id,
        reply_within_minutes: opts.reply_within_minutes ?? 5,
        on_timeout: 'reassign',
        max_reassignments: 3,
      },
    });
    assert.equal(policy.status, 200, policy.text);
    if (opts.agent !== false) {
      const agent = await t.call('POST', '/v1/agents', {
        key: ws.test,
        // Two misses before the AI hands off by itself: these rules are the team's, not the AI's.
        body: {
          name: 'Smile Dental',
          business: { timezone: 'Asia/Kolkata', hours: everyDay },
          handoff: { max_unanswered: 2 },
        },
      });
      assert.equal(agent.status, 201, agent.text);
    }
    return { ws, people, teamId: team.body.id as string };
  }

  const inbound = async (ws: Workspace, text: string, from?: string) => {
    const number = from ?? `+91981255${String(++phone).padStart(4, '0')}`;
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from: number, text } });
    assert.ok(r.status < 300, r.text);
    return { id: r.body.conversation_id as string, from: number };
  };
  const get = async (ws: Workspace, id: string) =>
    (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;
  const events = async (ws: Workspace, type: string, id: string) =>
    (await t.call('GET', `/v1/events?type=${type}&object_id=${id}`, { key: ws.test })).body.data as Array<{
      actor: { type: string; id: string | null };
      data: Record<string, any>;
    }>;
  /** The AI's reply (its burst pause runs on the virtual clock: a second passes first). */
  const aiAnswered = (ws: Workspace, id: string) => {
    advance(1 / 60);
    return eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${id}/messages`, { key: ws.test })).body
        .data as Array<{ sender: { type: string }; status: string }>;
      return msgs.some((m) => m.sender.type === 'ai' && m.status !== 'queued') ? true : null;
    }, 15_000);
  };
  const handoff = async (ws: Workspace, id: string, assignTo?: string) => {
    const h = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: ws.test,
      body: { reason: 'needs a person', ...(assignTo ? { assign_to: { user_id: assignTo } } : {}) },
    });
    assert.equal(h.status, 200, h.text);
    return h.body;
  };

  it('an SLA applies from the handoff, not to a chat the AI handles alone', async () => {
    const { ws } = await clinic();
    const p = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Clinic', first_response_minutes: 10, resolution_minutes: 60 },
    });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.counts_ai_replies, false, 'people only by default');
    const aiOnly = await inbound(ws, 'what are your opening hours?');
    await aiAnswered(ws, aiOnly.id);
    assert.equal((await get(ws, aiOnly.id)).sla, null, 'no person owns it: no SLA');
    const handed = await inbound(ws, 'I want to talk to the dentist');
    await aiAnswered(ws, handed.id);
    advance(3);
    const h = await handoff(ws, handed.id);
    const c = await get(ws, handed.id);
    assert.equal(c.sla.policy_id, p.body.id);
    assert.equal(
      c.sla.first_response_due_at,
      new Date(Date.parse(h.handoff.started_at) + 10 * 60_000).toISOString(),
      'counted from the handoff, not from the creation',
    );
    assert.equal(
      c.sla.resolution_due_at,
      new Date(Date.parse(h.handoff.started_at) + 60 * 60_000).toISOString(),
    );
    advance(11);
    await eventually(
      async () => ((await get(ws, handed.id)).sla.breached.includes('first_response') ? true : null),
      15_000,
    );
    advance(60);
    await eventually(
      async () => ((await get(ws, handed.id)).sla.breached.includes('resolution') ? true : null),
      15_000,
    );
    // The handed-off one's timers have fired: the AI-only chat breached nothing, ever.
    assert.equal((await get(ws, aiOnly.id)).sla, null);
    assert.equal((await events(ws, 'sla.breached', aiOnly.id)).length, 0);
    // Reports count only conversations an SLA applied to.
    const from = new Date(now.getTime() - 86_400_000).toISOString();
    const overview = await t.call('GET', `/v1/reports/overview?from=${from}&to=${now.toISOString()}`, {
      key: ws.test,
    });
    assert.equal(overview.status, 200, overview.text);
    assert.equal(overview.body.totals.sla_met_rate, 0, 'one conversation under an SLA, and it breached');
  });

  it('counts_ai_replies: the policy applies from the start and an AI reply meets it', async () => {
    const { ws } = await clinic();
    const p = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Bot counts', first_response_minutes: 10, counts_ai_replies: true },
    });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.counts_ai_replies, true);
    const answered = await inbound(ws, 'hello');
    const c = await get(ws, answered.id);
    assert.equal(c.sla.first_response_due_at, new Date(Date.parse(c.created_at) + 10 * 60_000).toISOString());
    await aiAnswered(ws, answered.id);
    // A conversation handed off at once and never answered breaches: the timers' signal.
    const ignored = await inbound(ws, 'person please');
    await handoff(ws, ignored.id);
    advance(11);
    await eventually(
      async () => ((await get(ws, ignored.id)).sla.breached.includes('first_response') ? true : null),
      15_000,
    );
    assert.deepEqual((await get(ws, answered.id)).sla.breached, [], 'the AI reply met the first response');
    const patched = await t.call('PATCH', `/v1/sla-policies/${p.body.id}`, {
      key: ws.test,
      body: { counts_ai_replies: false },
    });
    assert.equal(patched.body.counts_ai_replies, false);
  });

  it('an automation setting the priority (and whole-word, any-of conditions) re-matches the SLA', async () => {
    const { ws } = await clinic();
    const standard = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Standard', first_response_minutes: 30, applies_to: { priorities: ['normal'] } },
    });
    const urgent = await t.call('POST', '/v1/sla-policies', {
      key: ws.test,
      body: { name: 'Urgent', first_response_minutes: 5, applies_to: { priorities: ['urgent'] } },
    });
    assert.equal(urgent.status, 201, urgent.text);
    const bad = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: {
        name: 'bad group',
        event: 'message.received',
        conditions: [{ any: [{ field: 'nope', op: 'eq', value: 1 }] }],
        actions: [{ type: 'add_tags', tags: ['x'] }],
      },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.errors[0].field, 'conditions.0.any.0');
    const rule = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: {
        name: 'Pain or bleeding is urgent',
        event: 'message.received',
        conditions: [
          {
            any: [
              { field: 'text', op: 'contains_word', value: 'pain' },
              { field: 'text', op: 'contains_word', value: ['bleeding', 'swollen'] },
            ],
          },
        ],
        // The handoff first: the standard policy applies, then the priority re-matches it.
        actions: [
          { type: 'add_tags', tags: ['emergency'] },
          { type: 'handoff', reason: 'pain' },
          { type: 'set_priority', priority: 'urgent' },
        ],
      },
    });
    assert.equal(rule.status, 201, rule.text);
    assert.deepEqual(rule.body.conditions[0].any[1].value, ['bleeding', 'swollen']);
    const painless = await inbound(ws, 'Do you do painless root canal?');
    const pain = await inbound(ws, 'I have severe tooth pain since last night');
    const gums = await inbound(ws, 'My gums are Bleeding.');
    for (const c of [pain, gums])
      await eventually(async () => {
        const conv = await get(ws, c.id);
        return conv.priority === 'urgent' && conv.sla?.policy_id === urgent.body.id ? conv : null;
      }, 15_000);
    const p = await get(ws, pain.id);
    assert.equal(
      p.sla.first_response_due_at,
      new Date(Date.parse(p.handoff.started_at) + 5 * 60_000).toISOString(),
      'the urgent target, from the handoff',
    );
    assert.deepEqual(p.tags, ['emergency']);
    await aiAnswered(ws, painless.id);
    const calm = await get(ws, painless.id);
    assert.deepEqual(calm.tags, [], '"painless" is not the word "pain"');
    assert.equal(calm.ai_paused, false);
    assert.equal(calm.priority, 'normal');
    assert.notEqual(standard.body.id, urgent.body.id);
  });

  it('the queue serves urgent first and counts the wait from the first unanswered message', async () => {
    // No AI agent: nobody answers the customers before a person does.
    const { ws, people } = await clinic({ agent: false, reply_within_minutes: 5 });
    const first = await inbound(ws, 'hello, anyone?');
    advance(2);
    await inbound(ws, 'I still need help', first.from);
    // P1 takes it; P2 is away: when P1 does not answer in time it goes to the queue.
    await t.call('PUT', '/v1/me/availability', { key: people[1]!.session, body: { availability: 'busy' } });
    advance(1);
    const h = await handoff(ws, first.id, people[0]!.id);
    assert.equal(h.assignee.id, people[0]!.id);
    await t.call('PUT', '/v1/me/availability', { key: people[0]!.session, body: { availability: 'busy' } });
    advance(6);
    await eventually(async () => ((await get(ws, first.id)).assignee?.type === 'team' ? true : null), 15_000);
    const normal = await inbound(ws, 'a question about my bill');
    await handoff(ws, normal.id);
    const urgent = await inbound(ws, 'my face is swollen');
    await handoff(ws, urgent.id);
    // Urgent: set as an automation's action would.
    const macro = await t.call('POST', '/v1/macros', {
      key: ws.test,
      body: { name: 'Urgent', actions: [{ type: 'set_priority', priority: 'urgent' }] },
    });
    const ran = await t.call('POST', `/v1/conversations/${urgent.id}/macros/${macro.body.id}`, {
      key: ws.test,
    });
    assert.ok(ran.status < 300, ran.text);
    advance(1);
    const team = (await get(ws, first.id)).assignee.id;
    const queue = await t.call('GET', `/v1/teams/${team}/queue`, { key: ws.test });
    assert.equal(queue.status, 200, queue.text);
    const ids = queue.body.data.map((r: { conversation_id: string }) => r.conversation_id);
    assert.deepEqual(ids, [urgent.id, first.id, normal.id], 'urgent first, then the longest wait');
    const row = queue.body.data[1];
    assert.equal(
      row.waiting_since,
      new Date(Date.parse(h.created_at)).toISOString(),
      'from the first message',
    );
    assert.equal(row.waiting_seconds, 10 * 60, 'ten minutes, not the time since the reassignment');
    // Room appears: the urgent one is given out first.
    await t.call('PUT', '/v1/me/availability', { key: people[1]!.session, body: { availability: 'online' } });
    const given = await eventually(async () => {
      const c = await get(ws, urgent.id);
      return c.assignee?.type === 'user' ? c : null;
    }, 15_000);
    assert.equal(given.assignee.id, people[1]!.id);
  });

  it('a person viewing or typing holds the reply timer; a reply takes the conversation', async () => {
    const { ws, people } = await clinic({ reply_within_minutes: 5 });
    const c = await inbound(ws, 'can I move my appointment?');
    await aiAnswered(ws, c.id);
    await handoff(ws, c.id, people[0]!.id);
    const key = people[0]!.session;
    const bad = await t.call('PUT', `/v1/conversations/${c.id}/presence`, {
      key: ws.test,
      body: { state: 'typing' },
    });
    assert.equal(bad.status, 403, 'presence is a person’s');
    advance(4.5);
    const typing = await t.call('PUT', `/v1/conversations/${c.id}/presence`, {
      key,
      body: { state: 'typing' },
    });
    assert.equal(typing.status, 200, typing.text);
    assert.equal(typing.body.people[0].state, 'typing');
    advance(0.6);
    // The timer came due while P1 types: it waits for them instead of reassigning.
    await eventually(async () => {
      const timer = await t.ctx.db
        .selectFrom('conversation_timers')
        .select('due_at')
        .where('conversation_id', '=', c.id)
        .where('kind', '=', 'handoff')
        .executeTakeFirst();
      return timer && timer.due_at > now.toISOString() ? true : null;
    }, 15_000);
    const reply = await t.call('POST', `/v1/conversations/${c.id}/reply`, {
      key,
      body: { text: 'Sure, which day?' },
    });
    assert.ok(reply.status < 300, reply.text);
    advance(10);
    // A control handed off at the same time, no one on it: its timer acts.
    const control = await inbound(ws, 'person please');
    await aiAnswered(ws, control.id);
    await handoff(ws, control.id);
    advance(6);
    await eventually(
      async () => ((await events(ws, 'conversation.handoff_timeout', control.id)).length ? true : null),
      15_000,
    );
    assert.equal((await events(ws, 'conversation.handoff_timeout', c.id)).length, 0, 'never overtaken');
    assert.equal((await get(ws, c.id)).assignee.id, people[0]!.id);
  });

  it('a conversation taken from a person is not given straight back to them; the replier gets it', async () => {
    const { ws, people } = await clinic({ reply_within_minutes: 5 });
    const [p1, p2] = people as [Person, Person];
    await t.call('PUT', '/v1/me/availability', { key: p2.session, body: { availability: 'busy' } });
    const other = await inbound(ws, 'other');
    await aiAnswered(ws, other.id);
    await handoff(ws, other.id, p1.id);
    const x = await inbound(ws, 'I need a person');
    await aiAnswered(ws, x.id);
    await handoff(ws, x.id, p1.id);
    const otherReply = await t.call('POST', `/v1/conversations/${other.id}/reply`, {
      key: p1.session,
      body: { text: 'hi' },
    });
    assert.ok(otherReply.status < 300);
    advance(6);
    await eventually(async () => ((await get(ws, x.id)).assignee?.type === 'team' ? true : null), 15_000);
    // P1 frees room: before, the queue handed x straight back to P1.
    const closed = await t.call('POST', `/v1/conversations/${other.id}/close`, { key: p1.session });
    assert.equal(closed.status, 200, closed.text);
    assert.equal((await get(ws, x.id)).assignee.type, 'team', 'not bounced back to P1');
    // P2 comes back: x goes to P2.
    await t.call('PUT', '/v1/me/availability', { key: p2.session, body: { availability: 'online' } });
    await eventually(async () => ((await get(ws, x.id)).assignee?.id === p2.id ? true : null), 15_000);
    // P1 answers anyway: the conversation is theirs (CSAT and reports credit the replier).
    const reply = await t.call('POST', `/v1/conversations/${x.id}/reply`, {
      key: p1.session,
      body: { text: 'Hello!' },
    });
    assert.ok(reply.status < 300, reply.text);
    const taken = await eventually(async () => {
      const c = await get(ws, x.id);
      return c.assignee?.id === p1.id ? c : null;
    }, 15_000);
    assert.equal(taken.assignee.type, 'user');
    const last = (await events(ws, 'conversation.assigned', x.id))[0]!;
    assert.equal(last.data.reason, 'replied');
    assert.equal(last.actor.id, p1.id);
  });
});
