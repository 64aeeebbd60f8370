import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('macros', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let teamId: string;
  let cannedId: string;
  const open = async (from: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: w.test,
      body: { from, text: 'refund please' },
    });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    teamId = (await t.call('POST', '/v1/teams', { key: w.test, body: { name: 'Billing' } })).body.id;
    cannedId = (
      await t.call('POST', '/v1/canned-responses', {
        key: w.test,
        body: { short_code: 'refund', title: 'Refund', content: 'Your refund is on its way.' },
      })
    ).body.id;
  });
  after(() => t.close());

  it('creates a macro and runs its actions in order, one result each', async () => {
    const m = await t.call('POST', '/v1/macros', {
      key: w.test,
      body: {
        name: 'Refund',
        actions: [
          { type: 'add_tags', tags: ['Refund', 'billing'] },
          { type: 'set_priority', priority: 'high' },
          { type: 'assign_team', team_id: teamId },
          { type: 'send_canned', canned_response_id: cannedId },
          { type: 'add_note', text: 'refund promised' },
          { type: 'remove_tags', tags: ['billing'] },
          { type: 'close' },
        ],
      },
    });
    assert.equal(m.status, 201, m.text);
    const conv = await open('+919900000201');
    const run = await t.call('POST', `/v1/conversations/${conv}/macros/${m.body.id}`, { key: w.test });
    assert.equal(run.status, 200, run.text);
    assert.deepEqual(
      run.body.results.map((r: { status: string }) => r.status),
      ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    );
    const c = run.body.conversation;
    assert.deepEqual(c.tags, ['refund']);
    assert.equal(c.priority, 'high');
    assert.deepEqual(c.assignee, { type: 'team', id: teamId });
    assert.equal(c.status, 'closed');
    const msgs = await t.call('GET', `/v1/conversations/${conv}/messages`, { key: w.test });
    const texts = msgs.body.data.map((x: { type: string; text: string }) => `${x.type}:${x.text}`);
    assert.ok(texts.includes('text:Your refund is on its way.'), texts.join('|'));
    assert.ok(texts.includes('note:refund promised'), texts.join('|'));
  });

  it('a canned response deleted since: that action is an error, the others still run', async () => {
    const cr = await t.call('POST', '/v1/canned-responses', {
      key: w.test,
      body: { short_code: 'soon', title: 'Soon', content: 'Soon!' },
    });
    const m = await t.call('POST', '/v1/macros', {
      key: w.test,
      body: {
        name: 'Soon',
        actions: [
          { type: 'send_canned', canned_response_id: cr.body.id },
          { type: 'add_tags', tags: ['later'] },
        ],
      },
    });
    assert.equal(m.status, 201, m.text);
    await t.call('DELETE', `/v1/canned-responses/${cr.body.id}`, { key: w.test });
    const conv = await open('+919900000202');
    const run = await t.call('POST', `/v1/conversations/${conv}/macros/${m.body.id}`, { key: w.test });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.body.results[0].status, 'error');
    assert.equal(run.body.results[0].error.code, 'not_found');
    assert.equal(run.body.results[1].status, 'ok');
    assert.deepEqual(run.body.conversation.tags, ['later']);
  });

  it('refuses bad macros with a clear 400 and changes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [[{ type: 'explode' }], 'actions.0.type'],
      [[{ type: 'add_tags', tags: ['x'], color: 'red' }], 'color'],
      [
        [{ type: 'send_canned', canned_response_id: 'cr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }],
        'actions.0.canned_response_id',
      ],
      [[{ type: 'assign_team', team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }], 'actions.0.team_id'],
      [[], 'actions'],
    ];
    for (const [actions, field] of cases) {
      const r = await t.call('POST', '/v1/macros', { key: w.test, body: { name: 'Bad', actions } });
      assert.equal(r.status, 400, `${JSON.stringify(actions)} → ${r.text}`);
      assert.ok(r.text.includes(field), r.text);
    }
    const list = await t.call('GET', '/v1/macros', { key: w.test });
    assert.ok(list.body.data.every((m: { name: string }) => m.name !== 'Bad'));
    const missing = await t.call(
      'POST',
      `/v1/conversations/${await open('+919900000203')}/macros/mac_01JD5Z8Q4X3N2M1K0H9G8F7E6D`,
      { key: w.test },
    );
    assert.equal(missing.status, 404);
  });
});
