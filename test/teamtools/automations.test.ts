import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runAutomations } from '../../src/modules/teamtools/automations.run.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

forEachStorage('automations', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let cannedId: string;
  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const conv = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: w.test })).body;
  const automation = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/automations', { key: w.test, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const runsOf = (conversationId: string) =>
    t.ctx.db
      .selectFrom('automation_runs')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .execute();
  const sentTexts = async (id: string) =>
    (await t.call('GET', `/v1/conversations/${id}/messages`, { key: w.test })).body.data
      .filter((m: { direction: string; type: string }) => m.direction === 'outbound' && m.type === 'text')
      .map((m: { text: string }) => m.text);

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    // An agent whose business is never open: within_business_hours is false.
    const agent = await t.call('POST', '/v1/agents', {
      key: w.test,
      body: {
        name: 'Night',
        business: {
          timezone: 'Asia/Kolkata',
          hours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    cannedId = (
      await t.call('POST', '/v1/canned-responses', {
        key: w.test,
        body: { short_code: 'refund', title: 'Refund', content: 'We are on it, {{contact.name}}.' },
      })
    ).body.id;
  });
  after(() => t.close());

  it('runs matching automations in order of creation on message.received; each once per event', async () => {
    const first = await automation({
      name: 'Refunds',
      event: 'message.received',
      conditions: [
        { field: 'text', op: 'contains', value: 'REFUND' },
        { field: 'channel', op: 'in', value: ['whatsapp', 'sms', 'sandbox'] },
        { field: 'within_business_hours', op: 'eq', value: false },
      ],
      actions: [
        { type: 'add_tags', tags: ['refund'] },
        { type: 'send_canned', canned_response_id: cannedId },
      ],
    });
    await automation({
      name: 'Refund is urgent',
      event: 'message.received',
      conditions: [{ field: 'tags', op: 'eq', value: 'refund' }],
      actions: [{ type: 'set_priority', priority: 'urgent' }],
    });
    await automation({
      name: 'Never',
      event: 'message.received',
      conditions: [{ field: 'contact.tier', op: 'eq', value: 'gold' }],
      actions: [{ type: 'add_tags', tags: ['gold'] }],
    });
    const id = await inbound('+919900000301', 'I want a refund');
    const c = await eventually(async () => {
      const x = await conv(id);
      return x.priority === 'urgent' && x;
    });
    assert.deepEqual(c.tags, ['refund']);
    const texts = await sentTexts(id);
    assert.equal(texts.filter((x: string) => x.startsWith('We are on it')).length, 1, texts.join('|'));
    // The job delivered again (at-least-once queue): nothing runs twice.
    const runs = await runsOf(id);
    assert.equal(runs.length, 2);
    const evt = await t.ctx.db
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'message.received')
      .where('id', '=', runs[0]!.event_id)
      .executeTakeFirstOrThrow();
    await runAutomations(t.ctx, {
      eventId: evt.id,
      type: 'message.received',
      workspaceId: w.id,
      livemode: false,
      conversationId: id,
      at: evt.created_at,
      text: 'I want a refund',
    });
    assert.equal((await sentTexts(id)).filter((x: string) => x.startsWith('We are on it')).length, 1);
    // The events the automation caused carry it as their actor.
    const tagged = await t.ctx.db
      .selectFrom('events')
      .select(['actor_type', 'actor_id'])
      .where('type', '=', 'conversation.tagged')
      .where('object_id', '=', id)
      .execute();
    assert.deepEqual(
      tagged.map((e) => [e.actor_type, e.actor_id]),
      [['system', first.id]],
    );
  });

  it('events caused by an automation start no automation; a person doing the same does', async () => {
    await automation({
      name: 'Close thanks',
      event: 'message.received',
      conditions: [{ field: 'text', op: 'eq', value: 'thanks, bye' }],
      actions: [{ type: 'close' }],
    });
    await automation({
      name: 'Tag resolved',
      event: 'conversation.resolved',
      actions: [{ type: 'add_tags', tags: ['resolved-by-rule'] }],
    });
    const auto = await inbound('+919900000302', 'thanks, bye');
    await eventually(async () => (await conv(auto)).status === 'closed');
    const byPerson = await inbound('+919900000303', 'hello');
    await t.call('POST', `/v1/conversations/${byPerson}/close`, { key: w.test });
    await eventually(async () => (await conv(byPerson)).tags.includes('resolved-by-rule'));
    assert.ok(!(await conv(auto)).tags.includes('resolved-by-rule'));
  });

  it('refuses unknown fields, ops and actions and loops with a clear 400; lists and deactivates', async () => {
    const base = { name: 'Bad', event: 'message.received', actions: [{ type: 'add_tags', tags: ['x'] }] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, conditions: [{ field: 'mood', op: 'eq', value: 'x' }] }, 'unknown field mood'],
      [{ ...base, conditions: [{ field: 'text', op: 'like', value: 'x' }] }, 'conditions.0.op'],
      [
        { ...base, conditions: [{ field: 'within_business_hours', op: 'eq', value: 'yes' }] },
        'within_business_hours',
      ],
      [{ ...base, actions: [{ type: 'explode' }] }, 'actions.0.type'],
      [{ ...base, event: 'conversation.resolved', actions: [{ type: 'close' }] }, 'loop'],
      [{ ...base, event: 'conversation.escalated', actions: [{ type: 'handoff' }] }, 'loop'],
      [{ ...base, event: 'message.sent' }, 'event'],
    ];
    for (const [body, text] of cases) {
      const r = await t.call('POST', '/v1/automations', { key: w.test, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.ok(r.text.includes(text), r.text);
    }
    const list = await t.call('GET', '/v1/automations?event=message.received', { key: w.test });
    assert.deepEqual(
      list.body.data.map((a: { name: string }) => a.name),
      ['Refunds', 'Refund is urgent', 'Never', 'Close thanks'],
    );
    const off = await t.call('PATCH', `/v1/automations/${list.body.data[0].id}`, {
      key: w.test,
      body: { active: false },
    });
    assert.equal(off.body.active, false);
    // A later automation of the same event runs after the inactive one would have.
    await automation({
      name: 'Marker',
      event: 'message.received',
      actions: [{ type: 'add_tags', tags: ['seen'] }],
    });
    const id = await inbound('+919900000304', 'refund now');
    await eventually(async () => (await conv(id)).tags.includes('seen'));
    assert.deepEqual((await conv(id)).tags, ['seen']);
    const del = await t.call('DELETE', `/v1/automations/${list.body.data[0].id}`, { key: w.test });
    assert.equal(del.status, 200);
  });
});
