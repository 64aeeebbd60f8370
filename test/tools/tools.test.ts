import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/webhooks.ts';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { COVERED_BY_TOOLS, validateAllEvents } from '../support/webhook-schemas.ts';

/**
 * Tools as workspace objects and their runtime, through `POST /v1/tools/{id}/test`, against a
 * local fake of a shop's order API. Private addresses are refused on this server
 * (PARLEY_WEBHOOK_ALLOW_PRIVATE=0): the fake on 127.0.0.1 is reached because the workspace lists
 * it in `allowed_private_hosts`.
 */
forEachStorage('tools', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let shop: FakeBusiness;
  let signing: string;
  const logLines: string[] = [];

  before(async () => {
    shop = await startFakeBusiness();
    // Every log line, down to trace: none may hold the secret (checked by the last test).
    t = await startTestApp(storage, {
      env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0', PARLEY_LOG_LEVEL: 'trace' },
      logTo: { write: (line) => void logLines.push(line) },
    });
    ws = await t.workspace({ default_country: 'US' });
    const s = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    assert.equal(s.status, 200, s.text);
    assert.match(s.body.signing_secret, /^whsec_/);
    signing = s.body.signing_secret;
    const secret = await t.call('POST', '/v1/secrets', {
      key: ws.test,
      body: { name: 'shop_token', value: 'sk_shop_0123456789' },
    });
    assert.equal(secret.status, 201, secret.text);
    assert.equal(secret.body.value, '********');
  });
  after(async () => {
    await t?.close();
    await shop?.close();
  });

  const orderTool = (extra: Record<string, unknown> = {}) => ({
    name: `order_status_${Math.random().toString(36).slice(2, 8)}`,
    description: 'Looks up an order by its number.',
    effect: 'read',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}', description: 'The order number' } },
      required: ['order_id'],
    },
    request: {
      method: 'GET',
      url: `${shop.url}/orders/{order_id}`,
      headers: { authorization: 'Bearer {{secret.shop_token}}' },
    },
    ...extra,
  });
  const create = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/tools', { key: ws.test, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const test = (id: string, body: Record<string, unknown>) =>
    t.call('POST', `/v1/tools/${id}/test`, { key: ws.test, body });

  it('creates, reads, lists, updates and deletes a tool; an agent lists its id', async () => {
    const tool = await create(orderTool());
    assert.match(tool.id, /^tool_/);
    assert.equal(tool.on_error, 'say');
    assert.equal(tool.voice.holding_after_ms, 700);
    const got = await t.call('GET', `/v1/tools/${tool.id}`, { key: ws.test });
    assert.equal(got.body.request.headers.authorization, 'Bearer {{secret.shop_token}}');
    const list = await t.call('GET', '/v1/tools', { key: ws.test });
    assert.ok(list.body.data.some((x: { id: string }) => x.id === tool.id));
    const patched = await t.call('PATCH', `/v1/tools/${tool.id}`, {
      key: ws.test,
      body: { timeout_ms: 2000, voice: { holding_phrase: 'One moment.' } },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.timeout_ms, 2000);
    assert.equal(patched.body.voice.holding_phrase, 'One moment.');
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Shop', tools: ['knowledge', tool.id] },
    });
    assert.equal(agent.status, 201, agent.text);
    assert.deepEqual(agent.body.tools, ['knowledge', tool.id]);
    const other = await t.workspace();
    const foreign = await t.call('GET', `/v1/tools/${tool.id}`, { key: other.test });
    assert.equal(foreign.status, 404);
    const del = await t.call('DELETE', `/v1/tools/${tool.id}`, { key: ws.test });
    assert.equal(del.status, 200, del.text);
    const missing = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Shop', tools: [tool.id] },
    });
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.text, /not a tool of this workspace/);
  });

  it('refuses bad definitions with a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ input_schema: { type: 'string' } }, /input_schema/],
      [
        { input_schema: { type: 'object', properties: { a: { type: 'date' } } } },
        /input_schema\.properties\.a\.type/,
      ],
      [{ input_schema: 'order' }, /input_schema/],
      [{ request: { method: 'GET', url: 'ftp://shop.example/x' } }, /http or https/],
      [{ request: { method: 'GET', url: 'https://{{args.host}}/x' } }, /host cannot hold a placeholder/],
      [{ request: { method: 'GET', url: 'https://shop.example/{{args.nope}}' } }, /nope is not a property/],
      [
        { request: { method: 'GET', url: 'https://shop.example/x', headers: { a: '{{secret.missing}}' } } },
        /no secret named missing/,
      ],
      [
        { request: { method: 'GET', url: 'https://shop.example/x', query: { p: '{{contact.ssn}}' } } },
        /contact has no field ssn/,
      ],
      [
        { request: { method: 'GET', url: 'https://shop.example/x', query: { p: '{{model.x}}' } } },
        /model is not one of/,
      ],
      [{ effect: 'write', request: { method: 'POST', url: 'https://shop.example/x' } }, /confirmation/],
    ];
    for (const [change, why] of cases) {
      const r = await t.call('POST', '/v1/tools', { key: ws.test, body: orderTool(change) });
      assert.equal(r.status, 400, `${JSON.stringify(change)}: ${r.text}`);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.match(r.text, why);
    }
    // A body nested 5,000 deep (sent as raw JSON: the test's own JSON.stringify would overflow).
    const raw = JSON.stringify(
      orderTool({ request: { method: 'POST', url: 'https://shop.example/x', body: 'DEEP' } }),
    );
    const deep = await t.call('POST', '/v1/tools', {
      key: ws.test,
      headers: { 'content-type': 'application/json' },
      payload: raw.replace('"DEEP"', `${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}`),
    });
    assert.equal(deep.status, 400, deep.text.slice(0, 300));
    assert.match(deep.text, /nests deeper than 10 levels/);
    const dup = orderTool();
    await create(dup);
    const again = await t.call('POST', '/v1/tools', { key: ws.test, body: dup });
    assert.equal(again.status, 409, again.text);
  });

  it('the tool key is shown once: to its first reader, then only its last four characters until rotated', async () => {
    // The set-up's PATCH was the key's first read: it showed it; nobody is shown it again.
    const again = await t.call('GET', '/v1/tool-settings', { key: ws.test });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.signing_secret, null);
    assert.equal(again.body.signing_secret_last4, signing.slice(-4));
    assert.doesNotMatch(again.text, /whsec_/);
    const patched = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    assert.equal(patched.body.signing_secret, null);
    // Another workspace's first read shows its own key, once, even when two ask at the same time.
    const other = await t.workspace();
    const both = await Promise.all([
      t.call('GET', '/v1/tool-settings', { key: other.test }),
      t.call('GET', '/v1/tool-settings', { key: other.test }),
    ]);
    const shown = both.map((r) => r.body.signing_secret).filter((k) => k !== null);
    assert.equal(shown.length, 1, JSON.stringify(both.map((r) => r.body)));
    assert.notEqual(shown[0], signing);
    // Rotating shows the new key in its answer only; requests are signed with it from then on.
    const rotated = await t.call('PATCH', '/v1/tool-settings', {
      key: other.test,
      body: { rotate_signing_secret: true },
    });
    assert.match(rotated.body.signing_secret, /^whsec_/);
    assert.notEqual(rotated.body.signing_secret, shown[0]);
    const after = await t.call('GET', '/v1/tool-settings', { key: other.test });
    assert.equal(after.body.signing_secret, null);
    assert.equal(after.body.signing_secret_last4, rotated.body.signing_secret.slice(-4));
  });

  it('secrets are write-only, masked in the record, and cannot be deleted while used', async () => {
    const list = await t.call('GET', '/v1/secrets', { key: ws.test });
    assert.deepEqual(
      list.body.data.map((s: { name: string; value: string }) => [s.name, s.value]),
      [['shop_token', '********']],
    );
    assert.doesNotMatch(list.text, /sk_shop/);
    const tool = await create(orderTool());
    shop.on('GET', '/orders/5531', (req, res) =>
      json(res, 200, { id: '5531', status: 'shipped', echo: req.headers.authorization }),
    );
    const r = await test(tool.id, { args: { order_id: '5531' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ok, true);
    assert.equal(shop.requests.at(-1)!.headers.authorization, 'Bearer sk_shop_0123456789');
    assert.doesNotMatch(r.text, /sk_shop_0123456789/);
    assert.equal(r.body.call.request.headers.authorization, 'Bearer [secret:shop_token]');
    assert.equal(r.body.call.result.echo, 'Bearer [secret:shop_token]');
    const events = await t.call('GET', '/v1/events?type=tool.called', { key: ws.test });
    assert.doesNotMatch(events.text, /sk_shop_0123456789/);
    const del = await t.call('DELETE', '/v1/secrets/shop_token', { key: ws.test });
    assert.equal(del.status, 409, del.text);
  });

  it("a read tool's request is signed with the workspace's tool key and verifies with the SDK", async () => {
    const tool = await create(
      orderTool({
        request: {
          method: 'POST',
          url: `${shop.url}/lookup`,
          body: { order_id: '{{args.order_id}}', note: 'order {{args.order_id}}' },
        },
        result: { pointer: '/order', redact: ['card_number'] },
      }),
    );
    shop.on('POST', '/lookup', (_req, res) =>
      json(res, 200, { order: { status: 'packed', card_number: '4242424242424242' } }),
    );
    const r = await test(tool.id, { args: { order_id: '777' } });
    assert.equal(r.body.ok, true, r.text);
    assert.deepEqual(r.body.call.result, { status: 'packed' });
    const req = shop.requests.at(-1)!;
    assert.deepEqual(JSON.parse(req.body), { order_id: '777', note: 'order 777' });
    assert.equal(req.headers['webhook-id'], r.body.call.id);
    assert.deepEqual(verifyWebhook(signing, req.headers, req.body), { order_id: '777', note: 'order 777' });
    assert.throws(() => verifyWebhook(signing, req.headers, req.body.replace('777', '778')));
    // A GET has no body: it is signed over the empty body and verifies too.
    const get = await create(orderTool());
    shop.on('GET', '/orders/4242', (_req, res) => json(res, 200, { status: 'shipped' }));
    await test(get.id, { args: { order_id: '4242' } });
    const g = shop.requests.at(-1)!;
    assert.deepEqual(verifyWebhook(signing, g.headers, g.body), {});
  });

  it('reads to one system share a kept-alive connection; a write goes on a connection of its own', async () => {
    shop.on('GET', '/orders/3301', (_req, res) => json(res, 200, { status: 'packed' }));
    shop.on('GET', '/orders/3302', (_req, res) => json(res, 200, { status: 'shipped' }));
    const read = await create(orderTool());
    const a = await test(read.id, { args: { order_id: '3301' } });
    const b = await test(read.id, { args: { order_id: '3302' } });
    assert.equal(a.body.ok && b.body.ok, true, a.text + b.text);
    const [first, second] = shop.requests.slice(-2);
    assert.equal(second!.remotePort, first!.remotePort, 'the second read came over the first one’s socket');
    shop.on('POST', '/notes', (_req, res) => json(res, 200, { saved: true }));
    const write = await create({
      name: `note_${Math.random().toString(36).slice(2, 8)}`,
      description: 'Saves a note.',
      effect: 'write',
      confirmation: 'I will save the note. Shall I go ahead?',
      input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      request: { method: 'POST', url: `${shop.url}/notes`, body: { text: '{{args.text}}' } },
    });
    const w = await test(write.id, { args: { text: 'hi' }, live: true });
    assert.equal(w.body.ok, true, w.text);
    const sent = shop.requests.filter((r) => r.path === '/notes');
    assert.equal(sent.length, 1);
    assert.notEqual(sent[0]!.remotePort, second!.remotePort);
  });

  it('reads retry a failing answer within the budget; writes run once with the tool call id as Idempotency-Key', async () => {
    let n = 0;
    shop.on('GET', '/orders/900', (_req, res) =>
      ++n < 3 ? json(res, 503, { error: 'busy' }) : json(res, 200, { status: 'ok' }),
    );
    const read = await create(orderTool({ timeout_ms: 5000 }));
    const r = await test(read.id, { args: { order_id: '900' } });
    assert.equal(r.body.ok, true, r.text);
    assert.equal(r.body.call.attempts, 3);
    assert.equal(n, 3);

    let writes = 0;
    shop.on('POST', '/payment-links', (_req, res) => {
      writes++;
      json(res, 503, { error: 'busy' });
    });
    const write = await create({
      name: `payment_link_${Math.random().toString(36).slice(2, 8)}`,
      description: 'Sends a payment link.',
      effect: 'write',
      confirmation: 'I will send a payment link for {{args.amount}} to {{contact.phone}}. Shall I go ahead?',
      input_schema: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
      request: {
        method: 'POST',
        url: `${shop.url}/payment-links`,
        body: { amount: '{{args.amount}}', phone: '{{contact.phone}}' },
      },
      timeout_ms: 5000,
    });
    // Without live: true a write tool is rendered, not sent.
    const dry = await test(write.id, { args: { amount: 20 } });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.live, false);
    assert.equal(dry.body.call.status, 'skipped');
    assert.equal(writes, 0);
    const live = await test(write.id, { args: { amount: 20 }, live: true });
    assert.equal(live.body.ok, false);
    assert.equal(live.body.call.code, 'http_error');
    assert.equal(live.body.call.attempts, 1);
    assert.equal(writes, 1);
    const sent = shop.requests.at(-1)!;
    assert.equal(sent.headers['idempotency-key'], live.body.call.id);
    assert.deepEqual(JSON.parse(sent.body), { amount: 20, phone: null });
  });

  it('bad answers fail cleanly: 500, HTML, 10 MB, too slow, never closing, invalid args', async () => {
    shop.on('GET', '/orders/500', (_req, res) => json(res, 500, { error: 'boom' }));
    shop.on('GET', '/orders/501', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'),
    );
    shop.on('GET', '/orders/502', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"x":"${'a'.repeat(10 * 1024 * 1024)}"}`);
    });
    shop.on('GET', '/orders/503', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":'); // and never closes
    });
    const tool = await create(orderTool({ timeout_ms: 600 }));
    const code = async (order: string) => (await test(tool.id, { args: { order_id: order } })).body.call;
    assert.equal((await code('500')).code, 'http_error');
    assert.equal((await code('501')).code, 'bad_content_type');
    assert.equal((await code('502')).code, 'too_large');
    const hung = await code('503');
    assert.equal(hung.code, 'timeout');
    assert.ok(hung.latency_ms < 2000, `${hung.latency_ms}`);
    const bad = await test(tool.id, { args: { order_id: 42 } });
    assert.equal(bad.body.call.code, 'invalid_args');
    assert.match(bad.body.call.message, /must be a string/);
    const events = await t.call('GET', '/v1/events?type=tool.failed', { key: ws.test });
    assert.ok(events.body.data.length >= 5);
  });

  it('SSRF: private addresses not listed, and redirects to link-local metadata, are refused', async () => {
    const lan = await create(
      orderTool({ request: { method: 'GET', url: 'http://10.255.255.1/orders/{order_id}' } }),
    );
    const r = await test(lan.id, { args: { order_id: '111' } });
    assert.equal(r.body.call.code, 'blocked_address', r.text);
    const local = await create(
      orderTool({
        request: { method: 'GET', url: `${shop.url.replace('127.0.0.1', 'localhost')}/orders/{order_id}` },
      }),
    );
    assert.equal((await test(local.id, { args: { order_id: '111' } })).body.call.code, 'blocked_address');
    const metadata = await create(
      orderTool({ request: { method: 'GET', url: 'http://169.254.169.254/latest/{order_id}' } }),
    );
    assert.equal((await test(metadata.id, { args: { order_id: '111' } })).body.call.code, 'blocked_address');
    const before = shop.requests.length;
    shop.on('GET', '/orders/301', (_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    const redirected = await test((await create(orderTool())).id, { args: { order_id: '301' } });
    assert.equal(redirected.body.call.code, 'blocked_address', redirected.text);
    assert.equal(shop.requests.length, before + 1);
  });

  it("a test binds a contact's fields; an unknown contact is a 400; redact keys leave the recorded response too", async () => {
    const contact = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { name: 'Asha Rao', phone: '+14155550142' },
    });
    assert.equal(contact.status, 201, contact.text);
    const tool = await create(
      orderTool({
        request: {
          method: 'GET',
          url: `${shop.url}/orders/{order_id}`,
          query: { phone: '{{contact.phone}}' },
        },
        result: { pointer: '/order', redact: ['card_number'] },
      }),
    );
    shop.on('GET', '/orders/2468', (_req, res) =>
      json(res, 200, { order: { status: 'packed', payment: { card_number: '4242424242424242' } } }),
    );
    const r = await test(tool.id, { args: { order_id: '2468' }, contact_id: contact.body.id });
    assert.equal(r.body.ok, true, r.text);
    assert.equal(new URL(shop.requests.at(-1)!.path, shop.url).searchParams.get('phone'), '+14155550142');
    assert.deepEqual(r.body.call.result, { status: 'packed', payment: {} });
    assert.doesNotMatch(r.text, /4242424242424242/);
    assert.deepEqual(JSON.parse(r.body.call.response.body), { order: { status: 'packed', payment: {} } });
    const before = shop.requests.length;
    const unknown = await test(tool.id, {
      args: { order_id: '2468' },
      contact_id: 'ct_01M89FGF2E4PVZ29GD5CDR3P9D',
    });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.error.code, 'validation_failed');
    assert.match(unknown.text, /contact_id/);
    assert.equal(shop.requests.length, before);
  });

  it('mocks answer a test unless it is live; the metric counts tool calls', async () => {
    const tool = await create(
      orderTool({ mocks: [{ when: { order_id: '1234' }, response: { body: { status: 'delivered' } } }] }),
    );
    const before = shop.requests.length;
    const mocked = await test(tool.id, { args: { order_id: '1234' } });
    assert.equal(mocked.body.call.status, 'mocked');
    assert.deepEqual(mocked.body.call.result, { status: 'delivered' });
    assert.equal(shop.requests.length, before);
    const metrics = await t.call('GET', '/metrics', {
      headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
    });
    assert.match(metrics.text, /parley_tool_duration_seconds_count\{effect="read",outcome="mocked"\} \d+/);
  });

  it('tool.called and tool.failed payloads match their documented schemas', async () => {
    const { seen, failures } = await validateAllEvents(
      async (url) => (await t.call('GET', url, { key: ws.test })).body,
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(
      COVERED_BY_TOOLS.filter((type) => !seen.has(type)),
      [],
    );
  });

  it('no log line holds a secret, after calls that failed every way and echoed the secret back', async () => {
    // A network failure and an answer that echoes the token, on top of the earlier tests' calls.
    const tool = await create(
      orderTool({
        request: {
          method: 'GET',
          url: 'http://127.0.0.1:1/orders/{order_id}',
          headers: { authorization: 'Bearer {{secret.shop_token}}' },
        },
      }),
    );
    assert.equal((await test(tool.id, { args: { order_id: '123' } })).body.call.code, 'network_error');
    shop.on('GET', '/orders/4040', (req, res) =>
      json(res, 404, { error: `unknown token ${req.headers.authorization}` }),
    );
    const echo = await test((await create(orderTool())).id, { args: { order_id: '4040' } });
    assert.equal(echo.body.call.code, 'http_error');
    assert.doesNotMatch(echo.text, /sk_shop_0123456789/);
    const text = logLines.join('');
    // The requests themselves were logged (the capture works), the secret never.
    assert.match(text, /\/v1\/secrets/);
    assert.match(text, /\/v1\/tools\//);
    assert.doesNotMatch(text, /sk_shop_0123456789/);
  });
});
