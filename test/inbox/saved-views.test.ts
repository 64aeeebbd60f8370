import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * The inbox's filters and saved views (issue 62): conversations filtered by priority and by
 * assignee in the list and in the search; a person's saved views, private or shared with the
 * workspace, with clear refusals for bad filters, API keys and other people's views.
 */
forEachStorage('saved views and list filters', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const people: Record<string, { id: string; token: string }> = {};
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    for (const [name, role] of [
      ['asha', 'admin'],
      ['ravi', 'agent'],
      ['meera', 'agent'],
    ] as const) {
      const email = `${name}.${ws.id.slice(-6).toLowerCase()}@views.test`;
      const u = await t.call('POST', '/v1/users', {
        key: ws.test,
        body: { name, email, role, password: 'correct horse battery' },
      });
      assert.equal(u.status, 201, u.text);
      const login = await t.call('POST', '/v1/auth/login', {
        body: { email, password: 'correct horse battery' },
      });
      assert.equal(login.status, 200, login.text);
      people[name] = { id: u.body.id, token: login.body.token };
    }
  });
  after(() => t.close());

  it('lists and searches by priority and assignee', async () => {
    const inbound = async (from: string, text: string) =>
      (await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } })).body
        .conversation_id as string;
    const leak = await inbound('+919811100001', 'order GF-77341 arrived wet');
    const calm = await inbound('+919811100002', 'order GF-77342 arrived fine');
    const macro = await t.call('POST', '/v1/macros', {
      key: ws.test,
      body: { name: 'Urgent', actions: [{ type: 'set_priority', priority: 'urgent' }] },
    });
    assert.equal(macro.status, 201, macro.text);
    const ran = await t.call('POST', `/v1/conversations/${leak}/macros/${macro.body.id}`, { key: ws.test });
    assert.ok(ran.status < 300, ran.text);
    await t.call('POST', `/v1/conversations/${calm}/assign`, {
      key: ws.test,
      body: { user_id: people.ravi!.id },
    });
    const ids = async (path: string) =>
      (
        (await t.call('GET', path, { key: ws.test })).body.data as Array<{
          id?: string;
          conversation?: { id: string };
        }>
      ).map((x) => x.conversation?.id ?? x.id);
    assert.deepEqual(await ids('/v1/conversations?priority=urgent'), [leak]);
    assert.deepEqual(await ids(`/v1/conversations?assignee=${people.ravi!.id}`), [calm]);
    assert.deepEqual(await ids('/v1/search?q=GF&priority=urgent'), [leak]);
    assert.deepEqual(await ids('/v1/search?q=arrived&priority=normal'), [calm]);
    const bad = await t.call('GET', '/v1/conversations?priority=critical', { key: ws.test });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.errors[0].field, 'priority');
  });

  it("saves a person's views, shares one, and refuses what it must", async () => {
    const asha = people.asha!.token;
    const ravi = people.ravi!.token;
    const meera = people.meera!.token;
    const mine = await t.call('POST', '/v1/saved-views', {
      key: ravi,
      body: {
        name: 'My urgent WhatsApp',
        filters: { view: 'mine', priority: 'urgent', channel: 'whatsapp' },
      },
    });
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.body.shared, false);
    assert.deepEqual(mine.body.filters, { view: 'mine', priority: 'urgent', channel: 'whatsapp' });
    const shared = await t.call('POST', '/v1/saved-views', {
      key: ravi,
      body: { name: 'Closed refunds', filters: { status: 'closed', q: 'refund' }, shared: true },
    });
    assert.equal(shared.status, 201, shared.text);
    const names = async (token: string) =>
      ((await t.call('GET', '/v1/saved-views', { key: token })).body.data as Array<{ name: string }>).map(
        (v) => v.name,
      );
    assert.deepEqual(await names(ravi), ['Closed refunds', 'My urgent WhatsApp']);
    assert.deepEqual(await names(meera), ['Closed refunds'], 'another person sees only what is shared');

    // Refused: a bad filter, an unknown field, an API key, another's private view, another's shared one.
    for (const body of [
      { name: 'x', filters: { priority: 'critical' } },
      { name: 'x', filters: { colour: 'red' } },
      { name: '', filters: {} },
    ]) {
      const r = await t.call('POST', '/v1/saved-views', { key: ravi, body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'validation_failed');
    }
    const byKey = await t.call('GET', '/v1/saved-views', { key: ws.test });
    assert.equal(byKey.status, 403, byKey.text);
    const hidden = await t.call('DELETE', `/v1/saved-views/${mine.body.id}`, { key: meera });
    assert.equal(hidden.status, 404, hidden.text);
    const notHers = await t.call('DELETE', `/v1/saved-views/${shared.body.id}`, { key: meera });
    assert.equal(notHers.status, 403, notHers.text);
    // Its author deletes their own; an admin deletes a shared one.
    const gone = await t.call('DELETE', `/v1/saved-views/${mine.body.id}`, { key: ravi });
    assert.equal(gone.status, 200, gone.text);
    const byAdmin = await t.call('DELETE', `/v1/saved-views/${shared.body.id}`, { key: asha });
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.deepEqual(await names(ravi), []);
    // Another workspace never sees them.
    const other = await t.workspace();
    const elsewhere = await t.call('DELETE', `/v1/saved-views/${shared.body.id}`, { key: other.test });
    assert.equal(elsewhere.status, 403, 'an API key has no views');
  });
});
