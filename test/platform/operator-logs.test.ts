import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { newId } from '../../src/platform/ids.ts';
import {
  ADMIN_TOKEN,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const packageVersion = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** What an operator reads at the default level: one access line per request, the failures that matter. */
forEachStorage('operator logs', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const lines: string[] = [];
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    receiver = await startReceiver();
    t = await startTestApp(storage, {
      env: { PARLEY_LOG_LEVEL: 'info' },
      logTo: { write: (line) => void lines.push(line) },
    });
    ws = await t.workspace();
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('logs one access line per request (route pattern, status, ms, request id, workspace) and no key, secret, body or query value', async () => {
    lines.length = 0;
    const created = await t.call('POST', '/v1/secrets', {
      key: ws.test,
      body: { name: 'shop_token', value: 'sk_body_SECRET_0123456789' },
    });
    assert.equal(created.status, 201, created.text);
    const missing = await t.call('GET', `/v1/conversations/${newId('conv')}?q=query-SECRET-value`, {
      key: ws.test,
    });
    assert.equal(missing.status, 404, missing.text);
    const refused = await t.call('GET', '/v1/contacts', { key: 'prl_test_WRONG_KEY_0123456789abcdef' });
    assert.equal(refused.status, 401, refused.text);
    const probe = await t.call('GET', '/healthz');
    assert.equal(probe.status, 200);

    const access = logged().filter((l) => l.msg === 'request');
    assert.deepEqual(
      access.map((l) => [l.method, l.route, l.status, l.workspaceId]),
      [
        ['POST', '/v1/secrets', 201, ws.id],
        ['GET', '/v1/conversations/:id', 404, ws.id],
        ['GET', '/v1/contacts', 401, undefined],
      ],
      'one line each, /healthz only at debug',
    );
    assert.deepEqual(
      access.map((l) => l.reqId),
      [created, missing, refused].map((r) => r.headers['x-request-id']),
    );
    for (const l of access) {
      assert.equal(l.level, 30, 'info');
      assert.equal(typeof l.ms, 'number');
    }
    const text = lines.join('');
    assert.ok(!/incoming request|request completed/.test(text), "Fastify's own request lines are off");
    for (const secret of [
      ws.test,
      ws.live,
      ADMIN_TOKEN,
      'WRONG_KEY',
      'sk_body_SECRET',
      'query-SECRET-value',
      'shop_token',
    ])
      assert.ok(!text.includes(secret), `${secret} logged`);
  });

  it('logs one line when a webhook endpoint is disabled', async () => {
    const res = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/gone/x` },
    });
    assert.equal(res.status, 201, res.text);
    const endpointId = res.body.id as string;
    await t.ctx.transaction((tx) =>
      tx.emit({
        workspaceId: ws.id,
        livemode: false,
        type: 'message.sent',
        actor: { type: 'system', id: null },
        data: { object: 'message', id: newId('msg') },
      }),
    );
    const line = await eventually(async () => logged().find((l) => l.msg === 'webhook endpoint disabled'));
    assert.equal(line.level, 40, 'warn');
    assert.equal(line.endpointId, endpointId);
    assert.equal(line.workspaceId, ws.id);
    assert.equal(line.reason, 'gone');
    assert.equal(logged().filter((l) => l.msg === 'webhook endpoint disabled').length, 1);
    assert.ok(!lines.join('').includes(res.body.secret as string), 'the signing secret is not logged');
  });

  it('tells its version on /healthz and GET /v1/version (no key needed)', async () => {
    const health = await t.call('GET', '/healthz');
    assert.deepEqual(health.body, { status: 'ok', version: packageVersion });
    const version = await t.call('GET', '/v1/version');
    assert.equal(version.status, 200, version.text);
    assert.deepEqual(version.body, {
      object: 'version',
      version: packageVersion,
      node: process.versions.node,
      storage,
    });
  });
});
