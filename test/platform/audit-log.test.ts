import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 51 item 4: the audit log records who did what to which object from where (sign-ins,
 * keys, roles, settings, assignments, erasures, and the business's secrets and tools), is read by
 * admins only, filtered and paged, and the database refuses to change an entry.
 * test/platform/audit-coverage.test.ts walks every write route for whether it is audited.
 */
forEachStorage('audit log', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_TRUST_PROXY: '1' } });
    ws = await t.workspace();
  });
  after(() => t?.close());

  const entries = async (query = '') => {
    const r = await t.call('GET', `/v1/audit-log?per_page=100${query}`, { key: ws.test });
    assert.equal(r.status, 200, r.text);
    return r.body.data as Array<{
      action: string;
      actor: { type: string; id: string | null };
      object_id: string | null;
      ip: string | null;
      details: Record<string, unknown>;
    }>;
  };

  it('records sign-ins, keys, roles, settings, assignments and erasures, with who and from where', async () => {
    const key = await t.call('POST', '/v1/api-keys', {
      key: ws.test,
      body: { name: 'crm', scopes: ['contacts:read'] },
    });
    assert.equal(key.status, 201, key.text);
    assert.equal((await t.call('DELETE', `/v1/api-keys/${key.body.id}`, { key: ws.test })).status, 200);
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Asha', email: 'asha@audit.test', role: 'agent', password: 'a long password' },
    });
    assert.equal(u.status, 201, u.text);
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email: 'asha@audit.test', password: 'a long password' },
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    assert.equal(login.status, 200, login.text);
    const agent = login.body.token;
    const conv = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550177', text: 'hi' },
    });
    assert.equal(conv.status, 200, conv.text);
    const assign = await t.call('POST', `/v1/conversations/${conv.body.conversation_id}/assign`, {
      key: agent,
      body: { user_id: u.body.id },
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    assert.equal(assign.status, 200, assign.text);
    assert.equal(
      (await t.call('PUT', '/v1/csat/settings', { key: ws.test, body: { enabled: true } })).status,
      200,
    );
    assert.equal(
      (await t.call('PATCH', `/v1/users/${u.body.id}`, { key: ws.test, body: { role: 'admin' } })).status,
      200,
    );
    const c = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+14155550178' } });
    const erase = await t.call('POST', `/v1/contacts/${c.body.id}/erase`, {
      key: ws.test,
      body: { reason: 'asked' },
    });
    assert.equal(erase.status, 202, erase.text);

    const all = await entries();
    const actions = all.map((e) => e.action);
    for (const a of [
      'createApiKey',
      'deleteApiKey',
      'createUser',
      'auth.sign_in',
      'assignConversation',
      'updateUser',
      'eraseContact',
    ])
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    assert.ok(
      actions.some((a) => /csat/i.test(a)),
      actions.join(', '),
    );
    const signIn = all.find((e) => e.action === 'auth.sign_in')!;
    assert.deepEqual(signIn.actor, { type: 'user', id: u.body.id });
    assert.equal(signIn.ip, '203.0.113.77');
    const assigned = all.find((e) => e.action === 'assignConversation')!;
    assert.equal(assigned.actor.type, 'user');
    assert.equal(assigned.object_id, conv.body.conversation_id);
    const revoked = all.find((e) => e.action === 'deleteApiKey')!;
    assert.equal(revoked.actor.type, 'api_key');
    assert.equal(revoked.object_id, key.body.id);
    // Reading conversations is not audited.
    assert.ok(!actions.some((a) => /^list|^get/.test(a)), actions.join(', '));

    // Filters and pages.
    assert.deepEqual((await entries(`&actor_id=${u.body.id}`)).map((e) => e.action).sort(), [
      'assignConversation',
      'auth.sign_in',
    ]);
    assert.equal((await entries(`&object_id=${key.body.id}`)).length, 2);
    assert.equal((await entries('&action=eraseContact')).length, 1);
    const page = await t.call('GET', '/v1/audit-log?per_page=2&page=2', { key: ws.test });
    assert.equal(page.body.data.length, 2);
    assert.equal(page.body.meta.total, all.length);
    assert.equal((await entries('&since=2999-01-01T00:00:00Z')).length, 0);
    assert.equal((await t.call('GET', '/v1/audit-log?since=yesterday', { key: ws.test })).status, 400);
  });

  it('records secrets, tools and tool settings created, changed and deleted, and contacts merged', async () => {
    const before = (await entries()).length;
    const secret = await t.call('POST', '/v1/secrets', {
      key: ws.test,
      body: { name: 'shop_token', value: 'sk_live_51HxQ-never-logged' },
    });
    assert.equal(secret.status, 201, secret.text);
    const tool = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: {
        name: 'order_status',
        description: 'Looks up an order.',
        effect: 'read',
        input_schema: { type: 'object', properties: { order_id: { type: 'string' } } },
        request: { method: 'GET', url: 'https://shop.example.com/orders/{order_id}' },
      },
    });
    assert.equal(tool.status, 201, tool.text);
    const patched = await t.call('PATCH', `/v1/tools/${tool.body.id}`, {
      key: ws.test,
      body: { description: 'Looks up an order by number.' },
    });
    assert.equal(patched.status, 200, patched.text);
    // Opening the private network to tools is the most sensitive of them.
    const lan = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['erp.lan'] },
    });
    assert.equal(lan.status, 200, lan.text);
    assert.equal((await t.call('DELETE', `/v1/tools/${tool.body.id}`, { key: ws.test })).status, 200);
    const gone = await t.call('DELETE', '/v1/secrets/shop_token', { key: ws.test });
    assert.equal(gone.status, 200, gone.text);
    const a = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+14155550191' } });
    const b = await t.call('POST', '/v1/contacts', { key: ws.test, body: { email: 'twin@audit.test' } });
    const merged = await t.call('POST', `/v1/contacts/${a.body.id}/merge`, {
      key: ws.test,
      body: { other_id: b.body.id },
    });
    assert.equal(merged.status, 200, merged.text);

    const all = await entries();
    const fresh = all.slice(0, all.length - before);
    assert.deepEqual(fresh.map((e) => e.action).reverse(), [
      'createSecret',
      'createTool',
      'updateTool',
      'updateToolSettings',
      'deleteTool',
      'deleteSecret',
      'mergeContact',
    ]);
    for (const e of fresh) assert.deepEqual(e.actor.type, 'api_key');
    const byAction = (a: string) => fresh.find((e) => e.action === a)!;
    assert.equal(byAction('updateTool').object_id, tool.body.id);
    assert.equal(byAction('deleteTool').object_id, tool.body.id);
    assert.equal(byAction('deleteSecret').details.path, '/v1/secrets/shop_token');
    assert.equal(byAction('updateToolSettings').details.method, 'PATCH');
    assert.equal(byAction('mergeContact').object_id, a.body.id);
    // The secret's value is never in the log.
    assert.doesNotMatch(JSON.stringify(all), /never-logged/);
  });

  it('is for admins only, and its entries cannot be changed', async () => {
    await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Ravi', email: 'ravi@audit.test', role: 'agent', password: 'a long password' },
    });
    const s = await t.call('POST', '/v1/auth/login', {
      body: { email: 'ravi@audit.test', password: 'a long password' },
    });
    assert.equal((await t.call('GET', '/v1/audit-log', { key: s.body.token })).status, 403);
    const other = await t.workspace();
    assert.equal((await t.call('GET', '/v1/audit-log', { key: other.test })).body.data.length, 0);
    await assert.rejects(
      sql`update audit_log set action = 'nothing happened'`.execute(t.ctx.db),
      /append-only/,
    );
  });
});
