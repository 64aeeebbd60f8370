import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** List totals come from counters kept by triggers: they must match a real count after every change. */
forEachStorage('conversation list totals', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    // Business-initiated sends to new numbers are templates (test mode enforces the 24-hour window).
    const tpl = await t.call('POST', '/v1/templates', {
      key: ws.test,
      body: { name: 'hello', language: 'en', category: 'utility', body: 'Hello!' },
    });
    assert.equal(tpl.status, 201, tpl.text);
  });
  after(async () => t.close());

  const total = async (query = '') =>
    (await t.call('GET', `/v1/conversations?per_page=1${query}`, { key: ws.test })).body.meta.total as number;
  const realCount = async (status?: string) => {
    let q = t.ctx.db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', ws.id)
      .where('livemode', '=', 0);
    if (status) q = q.where('status', '=', status as 'active');
    return Number((await q.executeTakeFirstOrThrow()).n);
  };

  it('follow creation, closing, reopening and deletion', async () => {
    assert.equal(await total(), 0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await t.call('POST', '/v1/messages', {
        key: ws.test,
        body: {
          to: `+9198765000${String(i).padStart(2, '0')}`,
          type: 'template',
          template: { name: 'hello', language: 'en' },
        },
      });
      assert.equal(m.status, 201, m.text);
      ids.push(m.body.conversation_id);
    }
    assert.equal(await total(), 5);
    assert.equal(await total('&status=active'), 5);
    for (const id of ids.slice(0, 2))
      assert.equal((await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test })).status, 200);
    assert.equal(await total('&status=closed'), 2);
    assert.equal(await total('&status=active'), 3);
    assert.equal(await total(), 5);
    assert.equal((await t.call('POST', `/v1/conversations/${ids[0]}/reopen`, { key: ws.test })).status, 200);
    assert.equal(await total('&status=active'), 4);
    // Deleting a contact removes its conversations; the counters follow.
    const conv = await t.call('GET', `/v1/conversations/${ids[1]}`, { key: ws.test });
    assert.equal(
      (await t.call('DELETE', `/v1/contacts/${conv.body.contact.id}`, { key: ws.test })).status,
      200,
    );
    assert.equal(await total(), await realCount());
    assert.equal(await total('&status=closed'), await realCount('closed'));
    assert.equal(await total('&status=active'), await realCount('active'));
    // Other workspaces and the other mode are not counted.
    assert.equal((await t.call('GET', '/v1/conversations', { key: ws.live })).body.meta.total, 0);
  });
});
