import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  awayFromWindowEdge,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 51 item 6, besides roles (test/agents/agent-routes.test.ts): a deleted contact's CSAT link
 * names no id and stops recording; the public CSAT link has a per-client limit; automation and
 * macro `webhook` actions to private or reserved addresses are refused at save, as `/v1/webhooks`
 * refuses them.
 */
forEachStorage('security trial findings', (storage) => {
  let t: TestApp;
  let w: Workspace;

  before(async () => {
    // This app, unlike the other tests', refuses private webhook targets, as production does.
    t = await startTestApp(storage, {
      env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0', PARLEY_CSAT_LINKS_PER_MINUTE: '5', PARLEY_TRUST_PROXY: '1' },
    });
    w = await t.workspace();
    const put = await t.call('PUT', '/v1/csat/settings', { key: w.test, body: { enabled: true } });
    assert.equal(put.status, 200, put.text);
  });
  after(() => t?.close());

  const emailedLink = async (from: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: w.test,
      body: { from, text: 'hi', channel: 'email' },
    });
    assert.equal(r.status, 200, r.text);
    const conv = r.body.conversation_id as string;
    assert.equal((await t.call('POST', `/v1/conversations/${conv}/close`, { key: w.test })).status, 200);
    const text = await eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${conv}/messages?order=desc`, { key: w.test }))
        .body.data as Array<{ direction: string; text: string | null }>;
      return msgs.find((m) => m.direction === 'outbound' && /csat\/respond/.test(m.text ?? ''))?.text;
    });
    const token = /\/v1\/csat\/respond\/([A-Za-z0-9_-]+)\?score=4$/m.exec(text)?.[1];
    assert.ok(token, text);
    return { token, conv };
  };

  it('a deleted contact: their link answers a 404 naming no id, and their open question ends', async () => {
    await awayFromWindowEdge(60_000, 5_000);
    const { token, conv } = await emailedLink('deleted-person@example.com');
    const c = await t.call('GET', `/v1/conversations/${conv}`, { key: w.test });
    const contactId = c.body.contact.id as string;
    assert.match(contactId, /^ct_/);
    assert.equal((await t.call('DELETE', `/v1/contacts/${contactId}`, { key: w.test })).status, 200);
    const row = await t.ctx.db
      .selectFrom('csat_requests')
      .select(['status', 'skip_reason'])
      .where('token', '=', token)
      .executeTakeFirstOrThrow();
    assert.deepEqual({ ...row }, { status: 'skipped', skip_reason: 'contact_deleted' });
    const json = await t.call('GET', `/v1/csat/respond/${token}?score=4`);
    assert.equal(json.status, 404, json.text);
    assert.equal(json.body.error.code, 'not_found');
    assert.doesNotMatch(json.text, /ct_|contact/i);
    const page = await t.call('GET', `/v1/csat/respond/${token}?score=4`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(page.status, 404);
    assert.doesNotMatch(page.text, /ct_/);
  });

  it('limits the public link per client address: 429 with Retry-After, a page for a browser', async () => {
    await awayFromWindowEdge(60_000, 5_000);
    const client = (address: string, accept = 'application/json') => ({
      'x-forwarded-for': address,
      accept,
    });
    const open = (headers: Record<string, string>) =>
      t.call('GET', '/v1/csat/respond/zzzzzzzzzzzzzzzzzzzz?score=4', { headers });
    for (let i = 0; i < 5; i++) assert.equal((await open(client('203.0.113.9'))).status, 404);
    const json = await open(client('203.0.113.9'));
    assert.equal(json.status, 429, json.text);
    assert.equal(json.body.error.code, 'rate_limited');
    assert.ok(Number(json.headers['retry-after']) >= 1);
    const page = await open(client('203.0.113.9', 'text/html'));
    assert.equal(page.status, 429);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.ok(Number(page.headers['retry-after']) >= 1);
    // Another client is not affected.
    assert.equal((await open(client('198.51.100.7'))).status, 404);
  });

  it('refuses automation and macro webhook actions to private or reserved addresses with the 400 of /v1/webhooks', async () => {
    const targets = [
      'http://127.0.0.1:8080/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::ffff:192.168.1.1]/hook',
      'http://localhost/hook',
      'http://0.0.0.0/hook',
    ];
    for (const url of targets) {
      const hook = await t.call('POST', '/v1/webhooks', { key: w.test, body: { url } });
      assert.equal(hook.status, 400, `${url}: ${hook.text}`);
      const message = hook.body.error.errors[0].message as string;
      const automation = await t.call('POST', '/v1/automations', {
        key: w.test,
        body: {
          name: 'out',
          event: 'message.received',
          actions: [
            { type: 'add_tags', tags: ['x'] },
            { type: 'webhook', url },
          ],
        },
      });
      assert.equal(automation.status, 400, `${url}: ${automation.text}`);
      assert.deepEqual(automation.body.error.errors, [{ field: 'actions.1.url', message }]);
      const macro = await t.call('POST', '/v1/macros', {
        key: w.test,
        body: { name: 'out', actions: [{ type: 'webhook', url }] },
      });
      assert.equal(macro.status, 400, `${url}: ${macro.text}`);
      assert.deepEqual(macro.body.error.errors, [{ field: 'actions.0.url', message }]);
    }
    const ok = await t.call('POST', '/v1/macros', {
      key: w.test,
      body: { name: 'public', actions: [{ type: 'webhook', url: 'https://example.com/hook' }] },
    });
    assert.equal(ok.status, 201, ok.text);
    const patch = await t.call('PATCH', `/v1/macros/${ok.body.id}`, {
      key: w.test,
      body: { actions: [{ type: 'webhook', url: 'http://192.168.0.10/' }] },
    });
    assert.equal(patch.status, 400, patch.text);
    assert.equal((await t.call('GET', '/v1/automations', { key: w.test })).body.data.length, 0);
  });
});
