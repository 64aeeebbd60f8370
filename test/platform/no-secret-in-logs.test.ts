import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.ts';
import { ADMIN_TOKEN, eventually, forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

/**
 * The server's logs at their most verbose (`trace`) hold no secret: a representative run of the
 * flows that carry one (the admin token, API keys, channel credentials, workspace secrets used by
 * a tool, a password and the session it opens, a webhook endpoint's secret, an LLM key) is
 * captured, and none of those values appears anywhere in it.
 */
forEachStorage('no secret in any log', (storage) => {
  let t: TestApp;
  let shop: FakeBusiness;
  let llm: FakeLlm;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const lines: string[] = [];

  before(async () => {
    shop = await startFakeBusiness();
    llm = await startFakeLlm();
    receiver = await startReceiver();
    shop.on('GET', '/orders/5531', (_req, res) => json(res, 200, { id: '5531', status: 'shipped' }));
    t = await startTestApp(storage, {
      env: { PARLEY_LOG_LEVEL: 'trace' },
      logTo: { write: (line) => void lines.push(line) },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 20 }) : m)),
    });
  });
  after(async () => {
    await t?.close();
    await shop?.close();
    await llm?.close();
    await receiver?.close();
  });

  it('runs every flow that carries a secret and finds none of them in the log text', async () => {
    const secrets: string[] = [ADMIN_TOKEN];
    const created = async (method: string, url: string, key: string, body: unknown) => {
      const r = await t.call(method, url, { key, body });
      assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
      return r.body;
    };

    // A workspace and its keys (admin token), another API key.
    const ws = await t.workspace({ default_country: 'US' });
    secrets.push(ws.live, ws.test);
    const apiKey = await created('POST', '/v1/api-keys', ws.test, { name: 'ci' });
    secrets.push(apiKey.key);
    assert.equal((await t.call('GET', '/v1/me', { key: apiKey.key })).status, 200);

    // Channel credentials (Twilio, Meta).
    const twilioToken = 'twilio-auth-token-SECRET-4f9a21';
    await created('POST', '/v1/channels', ws.live, {
      type: 'sms',
      provider: 'twilio',
      address: '+14155550177',
      credentials: { account_sid: 'AC0123456789', auth_token: twilioToken },
    });
    const meta = {
      access_token: 'EAAG-meta-access-SECRET-77aa',
      app_secret: 'meta-app-secret-SECRET-91bc',
      verify_token: 'meta-verify-SECRET-0c0c',
    };
    await created('POST', '/v1/channels', ws.live, {
      type: 'whatsapp',
      provider: 'meta',
      address: '+14155550178',
      credentials: { phone_number_id: '4242', business_account_id: '4343', ...meta },
    });
    secrets.push(twilioToken, ...Object.values(meta));

    // A workspace secret, sent by a tool in its Authorization header.
    const shopToken = 'shop-token-SECRET-5d5d5d5d';
    secrets.push(shopToken, `Bearer ${shopToken}`);
    await created('POST', '/v1/secrets', ws.test, { name: 'shop_token', value: shopToken });
    const tool = await created('POST', '/v1/tools', ws.test, {
      name: 'order_status',
      description: 'Looks up an order.',
      effect: 'read',
      input_schema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      request: {
        method: 'GET',
        url: `${shop.url}/orders/{order_id}`,
        headers: { authorization: 'Bearer {{secret.shop_token}}' },
      },
    });
    await created('POST', `/v1/tools/${tool.id}/test`, ws.test, { args: { order_id: '5531' }, live: true });
    assert.equal(shop.requests.at(-1)?.headers.authorization, `Bearer ${shopToken}`);

    // A password, the session it opens, a wrong password.
    const password = 'correct horse SECRET battery';
    await created('POST', '/v1/users', ws.test, {
      name: 'Admin',
      email: 'admin@example.com',
      role: 'admin',
      password,
    });
    const login = await t.call('POST', '/v1/auth/login', { body: { email: 'admin@example.com', password } });
    assert.equal(login.status, 200, login.text);
    const session = login.body.token as string;
    secrets.push(password, session);
    assert.equal((await t.call('GET', '/v1/me', { key: session })).status, 200);
    const wrong = 'wrong-password-SECRET-x1';
    secrets.push(wrong);
    const refused = await t.call('POST', '/v1/auth/login', {
      body: { email: 'admin@example.com', password: wrong },
    });
    assert.equal(refused.status, 401);

    // A webhook endpoint's secret, used to sign a delivery.
    const hook = await created('POST', '/v1/webhooks', ws.test, { url: `${receiver.url}/ok`, events: ['*'] });
    secrets.push(hook.secret, hook.secret.slice('whsec_'.length));
    await created('POST', `/v1/webhooks/${hook.id}/test`, ws.test, {});
    await eventually(async () => receiver.received.some((r) => r.path === '/ok'));

    // An agent with its own LLM key, whose provider refuses it (the fallback is logged).
    const llmKey = 'sk-llm-key-SECRET-0123456789abcdef';
    secrets.push(llmKey);
    await created('POST', '/v1/agents', ws.test, {
      name: 'Desk',
      model: { provider: 'openai_compatible', name: 'llama3', base_url: llm.url, api_key: llmKey },
    });
    llm.script.push({ status: 401, body: `{"error":"invalid key ${llmKey}"}` });
    const inbound = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550179', text: 'hello?' },
    });
    assert.ok(inbound.status < 300, inbound.text);
    await eventually(async () => lines.some((l) => l.includes('AI provider failed')), 20_000);
    assert.equal(llm.requests.at(-1)?.headers?.authorization ?? `Bearer ${llmKey}`, `Bearer ${llmKey}`);

    // Keys where they do not belong: a wrong key, a key in the query string.
    const badKey = 'prl_test_NOTAKEY_SECRET_0123456789abcdef';
    secrets.push(badKey);
    assert.equal((await t.call('GET', '/v1/contacts', { key: badKey })).status, 401);
    assert.equal((await t.call('GET', `/v1/contacts?api_key=${ws.test}`)).status, 401);

    // A probe's access line is written at debug only: the capture is at the most verbose level.
    assert.equal((await t.call('GET', '/healthz')).status, 200);
    await eventually(async () => lines.some((l) => l.includes('"level":20') && l.includes('/healthz')));
    const text = lines.join('');
    // The capture is the real thing: every request's access line at least, and debug lines too.
    assert.ok(lines.filter((l) => l.includes('"msg":"request"')).length >= 15, `${lines.length} lines`);
    for (const secret of secrets)
      assert.ok(!text.includes(secret), `a secret was logged: ${secret.slice(0, 12)}...`);
  });
});
