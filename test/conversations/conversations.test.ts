import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const eventCount = async (t: TestApp, wsId: string, type: string, objectId: string) =>
  (
    await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('workspace_id', '=', wsId)
      .where('type', '=', type)
      .where('object_id', '=', objectId)
      .execute()
  ).length;

forEachStorage('conversations', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  const open = async (to: string, text = 'hello') => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from: to, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    other = await t.workspace();
  });
  after(async () => {
    await t.close();
  });

  it('lists newest first with filters and search', async () => {
    const a = await open('+919900000001', 'Refund please');
    const b = await open('+919900000002', 'Sunday open?');
    const list = await t.call('GET', '/v1/conversations', { key: w.test });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.slice(0, 2).map((c: { id: string }) => c.id),
      [b, a],
    );
    const q = await t.call('GET', '/v1/conversations?q=refund', { key: w.test });
    assert.deepEqual(
      q.body.data.map((c: { id: string }) => c.id),
      [a],
    );
    await t.call('PUT', `/v1/conversations/${a}/tags`, {
      key: w.test,
      body: { tags: ['VIP', 'refund', 'vip'] },
    });
    const tagged = await t.call('GET', '/v1/conversations?tag=vip', { key: w.test });
    assert.deepEqual(
      tagged.body.data.map((c: { id: string; tags: string[] }) => [c.id, c.tags]),
      [[a, ['vip', 'refund']]],
    );
    assert.equal(tagged.body.meta.total, 1, 'a filtered list counts its matches');
    assert.equal(q.body.data[0].contact.phone, '+919900000001', 'each row carries its contact');
    const paged = await t.call('GET', '/v1/conversations?per_page=1&page=2', { key: w.test });
    assert.equal(paged.body.data[0].id, a);
    assert.equal(paged.body.meta.total_pages, paged.body.meta.total);
    // A page past the end is empty but still says how many there are.
    const all = list.body.meta.total;
    const beyond = await t.call('GET', `/v1/conversations?per_page=1&page=${all + 1}`, { key: w.test });
    assert.deepEqual(beyond.body.data, []);
    assert.equal(beyond.body.meta.total, all);
    const beyondTagged = await t.call('GET', '/v1/conversations?tag=vip&page=2', { key: w.test });
    assert.deepEqual([beyondTagged.body.data, beyondTagged.body.meta.total], [[], 1]);
    assert.equal((await t.call('GET', '/v1/conversations', { key: other.test })).body.meta.total, 0);
    assert.equal((await t.call('GET', '/v1/conversations?assignee=bogus', { key: w.test })).status, 400);
  });

  it('filters by the last message’s time with from/to (ISO 8601; a bad time is a 400)', async () => {
    const old = await open('+919900000011', 'last week');
    const recent = await open('+919900000012', 'today');
    await t.ctx.db
      .updateTable('conversations')
      .set({ last_message_at: '2026-01-05T10:00:00.000Z' })
      .where('id', '=', old)
      .execute();
    const ids = async (query: string) => {
      const r = await t.call('GET', `/v1/conversations?${query}`, { key: w.test });
      assert.equal(r.status, 200, r.text);
      return r.body.data.map((c: { id: string }) => c.id) as string[];
    };
    const since = await ids(`from=${encodeURIComponent('2026-01-06T00:00:00+05:30')}`);
    assert.ok(since.includes(recent) && !since.includes(old));
    assert.deepEqual(await ids('from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z'), [old]);
    const counted = await t.call('GET', '/v1/conversations?to=2026-01-06T00:00:00Z', { key: w.test });
    assert.equal(counted.body.meta.total, 1, 'a time-filtered list counts its matches');
    const bad = await t.call('GET', '/v1/conversations?from=last-week', { key: w.test });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'validation_failed');
  });

  it('close, reply refused while closed, reopen; a customer message reopens a closed one', async () => {
    const id = await open('+919900000003');
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: w.test });
    assert.equal(closed.body.status, 'closed');
    assert.equal(await eventCount(t, w.id, 'conversation.resolved', id), 1);
    const reply = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { text: 'hi' },
    });
    assert.equal(reply.status, 409);
    assert.equal(reply.body.error.code, 'conflict');
    const reopened = await t.call('POST', `/v1/conversations/${id}/reopen`, { key: w.test });
    assert.equal(reopened.body.status, 'active');
    assert.equal(
      (await t.call('POST', `/v1/conversations/${id}/reply`, { key: w.test, body: { text: 'hi' } })).status,
      201,
    );
    await t.call('POST', `/v1/conversations/${id}/close`, { key: w.test });
    await open('+919900000003', 'one more thing');
    const after = await t.call('GET', `/v1/conversations/${id}`, { key: w.test });
    assert.equal(after.body.status, 'active');
    assert.equal(await eventCount(t, w.id, 'conversation.reopened', id), 2);
  });

  it('search and tag filters match their text as written: % and _ are not wildcards', async () => {
    const x = await t.workspace();
    const put = async (from: string, text: string, tags: string[]) => {
      const r = await t.call('POST', '/v1/sandbox/inbound', { key: x.test, body: { from, text } });
      const id = r.body.conversation_id as string;
      await t.call('PUT', `/v1/conversations/${id}/tags`, { key: x.test, body: { tags } });
      return id;
    };
    const b = await put('+919900000021', 'Sunday open?', ['vipgold']);
    const c = await put('+919900000022', 'Is the 50% off_season deal on?', ['vip_gold']);
    const ids = async (query: string) =>
      (await t.call('GET', `/v1/conversations?${query}`, { key: x.test })).body.data.map(
        (r: { id: string }) => r.id,
      );
    assert.deepEqual(await ids('q=%25'), [c]);
    assert.deepEqual(await ids('q=_'), [c]);
    assert.deepEqual(await ids('q=50%25%20off_s'), [c]);
    assert.deepEqual(await ids('q=%5C'), []);
    assert.deepEqual(await ids('tag=vip_gold'), [c]);
    assert.deepEqual(await ids('tag=vipgold'), [b]);
    const contacts = await t.call('GET', '/v1/contacts?q=%25', { key: x.test });
    assert.deepEqual(contacts.body.data, []);
  });

  it('a handoff assigns with either shape: {type, id}, or {user_id} / {team_id} as assign takes', async () => {
    const x = await t.workspace();
    const inbound = await t.call('POST', '/v1/sandbox/inbound', {
      key: x.test,
      body: { from: '+919900000031', text: 'Refund please' },
    });
    const id = inbound.body.conversation_id as string;
    const user = await t.call('POST', '/v1/users', {
      key: x.test,
      body: { name: 'Refund desk', email: 'refunds@glow.in', role: 'agent' },
    });
    const team = await t.call('POST', '/v1/teams', { key: x.test, body: { name: 'Refunds' } });
    for (const [assign_to, expected] of [
      [{ team_id: team.body.id }, { type: 'team', id: team.body.id }],
      [{ user_id: user.body.id }, { type: 'user', id: user.body.id }],
      [
        { type: 'team', id: team.body.id },
        { type: 'team', id: team.body.id },
      ],
    ] as const) {
      const again = await t.call('POST', `/v1/conversations/${id}/handoff`, {
        key: x.test,
        body: { reason: 'refund', assign_to },
      });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body.assignee, expected);
    }
    const wrong = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: x.test,
      body: { reason: 'x', assign_to: { person: 'bob' } },
    });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error.errors[0].message, /user_id/);
  });

  it('snooze wakes by itself when the time comes, and early when the customer writes', async () => {
    const id = await open('+919900000004');
    const past = await t.call('POST', `/v1/conversations/${id}/snooze`, {
      key: w.test,
      body: { until: '2020-01-01T00:00:00Z' },
    });
    assert.equal(past.status, 400);
    assert.deepEqual(past.body.error.errors, [{ field: 'until', message: 'must be in the future' }]);
    for (const until of ['tomorrow', 'next tuesday 9am']) {
      const words = await t.call('POST', `/v1/conversations/${id}/snooze`, { key: w.test, body: { until } });
      assert.deepEqual(words.body.error.errors, [
        { field: 'until', message: 'must be an ISO 8601 time, e.g. 2026-05-11T09:00:00Z' },
      ]);
    }
    const until = new Date(Date.now() + 400).toISOString();
    const s = await t.call('POST', `/v1/conversations/${id}/snooze`, { key: w.test, body: { until } });
    assert.equal(s.body.status, 'snoozed');
    assert.equal(s.body.snoozed_until, until);
    assert.equal(await eventCount(t, w.id, 'conversation.snoozed', id), 1);
    await eventually(
      async () => (await t.call('GET', `/v1/conversations/${id}`, { key: w.test })).body.status === 'active',
      4000,
    );

    const id2 = await open('+919900000005');
    await t.call('POST', `/v1/conversations/${id2}/snooze`, {
      key: w.test,
      body: { until: new Date(Date.now() + 3_600_000).toISOString() },
    });
    await open('+919900000005', 'are you there?');
    const woke = await t.call('GET', `/v1/conversations/${id2}`, { key: w.test });
    assert.equal(woke.body.status, 'active');
    assert.equal(woke.body.snoozed_until, null);
  });

  it('assigns to existing users only, hands off and back with events', async () => {
    const id = await open('+919900000006');
    const bad = await t.call('POST', `/v1/conversations/${id}/assign`, {
      key: w.test,
      body: { user_id: 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    });
    assert.equal(bad.status, 404);
    assert.equal(bad.body.error.errors[0].field, 'user_id');
    const user = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name: 'Priya', email: 'priya@example.com', role: 'agent' },
    });
    assert.equal(user.status, 201, user.text);
    const ok = await t.call('POST', `/v1/conversations/${id}/assign`, {
      key: w.test,
      body: { user_id: user.body.id },
    });
    assert.deepEqual(ok.body.assignee, { type: 'user', id: user.body.id });
    assert.equal(
      (await t.call('GET', `/v1/conversations?assignee=${user.body.id}`, { key: w.test })).body.data[0].id,
      id,
    );
    const h = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: w.test,
      body: { reason: 'wants a refund' },
    });
    assert.equal(h.body.ai_paused, true);
    assert.equal(h.body.handoff_reason, 'wants a refund');
    assert.equal(
      (await t.call('GET', '/v1/conversations?ai_paused=true', { key: w.test })).body.data.length,
      1,
    );
    const r = await t.call('POST', `/v1/conversations/${id}/handoff/resolve`, { key: w.test });
    assert.equal(r.body.ai_paused, false);
    assert.equal(await eventCount(t, w.id, 'conversation.escalated', id), 1);
    assert.equal(await eventCount(t, w.id, 'conversation.handoff_resolved', id), 1);
    assert.equal(await eventCount(t, w.id, 'conversation.assigned', id), 1);

    // The body says what to do: an empty one is not a silent unassign.
    for (const body of [{}, { user_id: user.body.id, team_id: null }]) {
      const refused = await t.call('POST', `/v1/conversations/${id}/assign`, { key: w.test, body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match(refused.body.error.message, /user_id/);
      assert.match(refused.body.error.message, /team_id/);
    }

    const still = await t.call('GET', `/v1/conversations/${id}`, { key: w.test });
    assert.deepEqual(still.body.assignee, { type: 'user', id: user.body.id });
    const unassigned = await t.call('POST', `/v1/conversations/${id}/assign`, {
      key: w.test,
      body: { user_id: null },
    });
    assert.equal(unassigned.status, 200, unassigned.text);
    assert.equal(unassigned.body.assignee, null);
    assert.equal(await eventCount(t, w.id, 'conversation.assigned', id), 2);
    const viaTeamNull = await t.call('POST', `/v1/conversations/${id}/assign`, {
      key: w.test,
      body: { team_id: null },
    });
    assert.equal(viaTeamNull.status, 200);
    assert.equal(viaTeamNull.body.assignee, null);
  });

  it('reply infers the type from its one content field (template, image); several is a 400', async () => {
    const tpl = await t.call('POST', '/v1/templates', {
      key: w.test,
      body: {
        name: 'order_update',
        language: 'hi',
        category: 'utility',
        body: 'Namaste {{name}}, aapka order {{order}} bhej diya gaya hai.',
      },
    });
    assert.equal(tpl.status, 201, tpl.text);
    const id = await open('+919900000020');
    const sent = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: {
        template: { name: 'order_update', language: 'hi', variables: { name: 'Rahul', order: '#1042' } },
      },
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.type, 'template');
    assert.equal(sent.body.text, 'Namaste Rahul, aapka order #1042 bhej diya gaya hai.');
    const image = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { image: { url: 'https://example.com/menu.jpg', caption: 'Menu' } },
    });
    assert.equal(image.status, 201, image.text);
    assert.equal(image.body.type, 'image');
    assert.equal(image.body.media.caption, 'Menu');
    const both = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { text: 'hi', image: { url: 'https://example.com/menu.jpg' } },
    });
    assert.equal(both.status, 400);
    assert.match(both.body.error.message, /text, image/);
    const empty = await t.call('POST', `/v1/conversations/${id}/reply`, { key: w.test, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.errors[0].field, 'type');
    const badVar = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { template: { name: 'order_update', language: 'hi', variables: ['Rahul', '#1', 'extra'] } },
    });
    assert.equal(badVar.status, 400);
    assert.ok(
      badVar.body.error.errors.some((e: { field: string }) => e.field === 'template.variables.3'),
      JSON.stringify(badVar.body.error.errors),
    );
  });

  it('takes Devotel Orbit\'s reply body {"body": "..."} as the text of the reply', async () => {
    const id = await open('+919900000021', 'Where is my refund?');
    // The request exactly as Orbit's docs show it (seed 001, "reply on whatever channel").
    const sent = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      headers: { 'x-api-key': w.test },
      body: { body: 'Thanks — I just refunded that order.' },
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.type, 'text');
    assert.equal(sent.body.text, 'Thanks — I just refunded that order.');
    assert.equal(sent.body.conversation_id, id);
    const messages = await t.call('GET', `/v1/conversations/${id}/messages`, { key: w.test });
    assert.ok(messages.body.data.some((m: any) => m.text === 'Thanks — I just refunded that order.'));
    const both = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { body: 'a', text: 'b' },
    });
    assert.equal(both.status, 400);
    assert.deepEqual(
      both.body.error.errors.map((e: any) => e.field),
      ['body'],
    );
    const tooLong = await t.call('POST', `/v1/conversations/${id}/reply`, {
      key: w.test,
      body: { body: 'x'.repeat(5000) },
    });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.errors[0].field, 'text');
  });

  it('bulk acts per id and reports each', async () => {
    const a = await open('+919900000007');
    const b = await open('+919900000008');
    const foreign = await t.call('POST', '/v1/sandbox/inbound', {
      key: other.test,
      body: { from: '+919900000009', text: 'x' },
    });
    const r = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a, b, foreign.body.conversation_id], action: 'close' },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.results.map((x: { ok: boolean }) => x.ok),
      [true, true, false],
    );
    assert.equal(r.body.results[2].error.code, 'not_found');
    const tag = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a], action: 'tag', tags: ['later'] },
    });
    assert.deepEqual(tag.body.results[0].conversation.tags, ['later']);
    const missing = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a], action: 'snooze' },
    });
    assert.equal(missing.status, 400);
    const noAssignee = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a], action: 'assign' },
    });
    assert.equal(noAssignee.status, 400);
    assert.match(noAssignee.body.error.message, /user_id/);
    const strayField = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a], action: 'close', team_id: null },
    });
    assert.equal(strayField.status, 400);
    assert.equal(strayField.body.error.errors[0].field, 'team_id');
    const unassign = await t.call('POST', '/v1/conversations/bulk', {
      key: w.test,
      body: { ids: [a], action: 'assign', user_id: null },
    });
    assert.equal(unassign.status, 200, unassign.text);
    assert.equal(unassign.body.results[0].conversation.assignee, null);
    assert.equal(
      (await t.call('GET', `/v1/conversations/${foreign.body.conversation_id}`, { key: other.test })).body
        .status,
      'active',
    );
  });

  it('batch create: per-item results and errors; WhatsApp needs a template; voice needs its agent', async () => {
    await t.call('POST', '/v1/templates', {
      key: w.test,
      body: { name: 'welcome', language: 'en', category: 'utility', body: 'Hi {{first_name}}, welcome!' },
    });
    const r = await t.call('POST', '/v1/conversations', {
      key: w.test,
      body: {
        conversations: [
          {
            channel: 'whatsapp',
            to: '+14155550100',
            template: { name: 'welcome' },
            dynamic_variables: { first_name: 'Ava' },
            identifier: 'crm-1',
          },
          { channel: 'whatsapp', to: '+14155550101' },
          { channel: 'voice', to: '+14155550102' },
          { channel: 'sms', to: '+14155550103', text: 'Your order shipped.' },
          { channel: 'sms', to: 'nope' },
        ],
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.results.map((x: { index: number }) => x.index),
      [0, 3],
    );
    assert.equal(r.body.results[0].message.text, 'Hi Ava, welcome!');
    assert.equal(r.body.results[0].conversation.identifier, 'crm-1');
    assert.deepEqual(r.body.results[0].conversation.dynamic_variables, { first_name: 'Ava' });
    assert.equal(r.body.results[1].conversation.channel, 'sms');
    assert.deepEqual(
      r.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
      [
        [1, 'validation_failed'],
        [2, 'validation_failed'],
        [4, 'validation_failed'],
      ],
    );
    // A voice conversation dials (test/voice/calls.test.ts): without an agent to talk, nothing is placed.
    const voice = r.body.errors.find((e: { index: number }) => e.index === 2);
    assert.equal(voice.errors[0].field, 'agent_id');
    assert.equal(await eventCount(t, w.id, 'conversation.created', r.body.results[0].conversation.id), 1);
  });
});
