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
const everyDay = {
  mon: allDay,
  tue: allDay,
  wed: allDay,
  thu: allDay,
  fri: allDay,
  sat: allDay,
  sun: allDay,
};

/**
 * Handoff policy: its route (validation, a 404, its shape) and out-of-hours notices, with the AI.
 * The reply timer per handoff (a durable job) and its fallback are proved below HTTP, in
 * routing.module.test.ts (the reply timer's case); the decisions (when a timer is due, what a timeout does, whether a
 * fired timer still stands, the next opening) are units: src/modules/conversations/routing/timers.units.test.ts;
 * a person's reply cancelling the timer's job is timers-cancel.test.ts.
 */
forEachStorage('handoff policy: reply timers and out of hours', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let teamId: string;
  let people: Array<{ id: string; session: string }>;
  // Monday 11 May 2026, 11:30 in India.
  const now = new Date('2026-05-11T06:00:00Z');

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => now },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
    ws = await t.workspace();
    people = [];
    for (const n of [1, 2]) {
      const email = `p${n}@glow.in`;
      const u = await t.call('POST', '/v1/users', {
        key: ws.test,
        body: { name: `P${n}`, email, password: 'correct horse' },
      });
      const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'correct horse' } });
      await t.call('PUT', '/v1/me/availability', { key: login.body.token, body: { availability: 'online' } });
      people.push({ id: u.body.id, session: login.body.token });
    }
    const team = await t.call('POST', '/v1/teams', {
      key: ws.test,
      body: { name: 'Desk', user_ids: people.map((p) => p.id), assignment: { mode: 'round_robin' } },
    });
    teamId = team.body.id;
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Glow Salon', business: { timezone: 'Asia/Kolkata', hours: everyDay } },
    });
    assert.equal(agent.status, 201, agent.text);
  });
  after(() => t.close());

  let phone = 0;
  const inbound = async (text = 'hello') => {
    phone++;
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: `+91981236${String(phone).padStart(4, '0')}`, text },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };

  it('validates the policy: 0 minutes and an unknown team are refused', async () => {
    const zero = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { reply_within_minutes: 0 },
    });
    assert.equal(zero.status, 400, zero.text);
    const ghost = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    });
    assert.equal(ghost.status, 404, ghost.text);
    const set = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { team_id: teamId, reply_within_minutes: 5, on_timeout: 'reassign', max_reassignments: 1 },
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.out_of_hours.ai_continues, true);
    const read = await t.call('GET', '/v1/handoff-policy', { key: ws.test });
    assert.deepEqual(read.body, set.body);
  });

  it('out of hours (a holiday): the customer is told the next opening; the AI keeps helping', async () => {
    const today = '2026-05-11';
    const agents = (await t.call('GET', '/v1/agents', { key: ws.test })).body.data;
    const patched = await t.call('PATCH', `/v1/agents/${agents[0].id}`, {
      key: ws.test,
      body: { business: { holidays: [today, '2026-05-12'] }, handoff_policy: { reply_within_minutes: 30 } },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.handoff_policy.reply_within_minutes, 30);
    const id = await inbound('mujhe manager se baat karni hai');
    const h = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: ws.test,
      body: { reason: 'x' },
    });
    assert.equal(h.body.ai_paused, false, 'ai_continues: the AI keeps helping');
    assert.equal(h.body.assignee.type, 'user', 'still owned');
    const notice = await eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${id}/messages?per_page=50`, { key: ws.test }))
        .body.data as Array<{ text: string | null; direction: string }>;
      return msgs.find((m) => m.direction === 'outbound' && /band hain|closed/.test(m.text ?? '')) ?? null;
    }, 15_000);
    // The next opening: Wednesday 13 May, 00:00 in Kolkata.
    assert.match(notice.text!, /Wednesday 13 May, 00:00 \(Asia\/Kolkata\)/);
    assert.match(notice.text!, /band hain/, 'in the customer’s language');
  });
});
