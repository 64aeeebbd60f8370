import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { modules } from '../../src/modules/index.ts';
import type { Module } from '../../src/modules/module.ts';
import { sha256Hex } from '../../src/platform/crypto.ts';
import { ApiError } from '../../src/platform/errors.ts';
import { canonicalJson } from '../../src/platform/http/register.ts';
import { defineRoute } from '../../src/platform/http/route.ts';
import { FakeMetaGraph, type FakeNumber, messagesPayload, textMessage } from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/** Sends raw bytes on a new connection and resolves with everything the server answers until it closes. */
function rawExchange(port: number, write: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.on('connect', () => write(socket));
  });
}

const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

forEachStorage('NUL characters', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeMetaGraph;
  let number: FakeNumber;
  let channelId: string;
  before(async () => {
    fake = new FakeMetaGraph('v21.0');
    await fake.start();
    t = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_URL: fake.url, PARLEY_META_GRAPH_VERSION: 'v21.0' },
      modules: providerTestModules(),
    });
    ws = await t.workspace();
    number = fake.addNumber({ displayPhoneNumber: '14155550123' });
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+14155550123',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'verify-me',
        },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
  });
  after(async () => {
    await fake?.settled();
    await t?.close();
    await fake?.stop();
  });

  it('refuses a NUL in an API body with a 400 naming each field, and stores nothing', async () => {
    const res = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { phone: '+919812345001', name: 'Ra\u0000vi', attributes: { city: 'Pu\u0000ne' } },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.deepEqual(
      res.body.error.errors.map((e: { field: string }) => e.field),
      ['name', 'attributes.city'],
    );
    const list = await t.call('GET', '/v1/contacts?q=919812345001', { key: ws.test });
    assert.equal(list.status, 200);
    assert.equal(list.body.meta.total, 0);

    for (const [url, body, field] of [
      ['/v1/messages', { to: '+919812345002', type: 'text', text: 'hi\u0000' }, 'text'],
      ['/v1/sandbox/inbound', { from: '+919812345003', text: 'a\u0000b' }, 'text'],
      ['/v1/agents', { name: 'Desk\u0000' }, 'name'],
      ['/v1/webhooks', { url: 'https://example.com/h', events: ['*'], description: '\u0000' }, 'description'],
    ] as const) {
      const r = await t.call('POST', url, { key: ws.test, body });
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.equal(r.body.error.errors[0].field, field, url);
    }
  });

  it('refuses a NUL in a query string', async () => {
    const r = await t.call('GET', '/v1/conversations?q=abc%00def', { key: ws.test });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.errors[0].field, 'q');
  });

  it('ignores a NUL in a body or query the route does not read, as its docs list no 400', async () => {
    // A route without a body (or query) schema ignores what is sent there, malformed or not; a
    // 400 for it was an answer its OpenAPI entry does not list (found by test/app/fuzz.test.ts).
    const get = await t.call('GET', '/v1/retention?note=a%00b', { key: ws.test });
    assert.equal(get.status, 200, get.text);
    // Its own answer to an API key (only an inbox session enrols), not a 400 for the body.
    const post = await t.call('POST', '/v1/me/two-factor', { key: ws.test, body: { note: 'a\u0000b' } });
    assert.equal(post.status, 422, post.text);
  });

  it('fails only the imported row that has a NUL', async () => {
    const r = await t.call('POST', '/v1/imports', {
      key: ws.test,
      body: {
        rows: [
          { phone: '+919812345010', name: 'Asha' },
          { phone: '+919812345011', name: 'Bad\u0000Row' },
          { phone: '+919812345012', name: 'Chetan', attributes: { note: 'x\u0000' } },
          { phone: '+919812345013', name: 'Divya' },
        ],
      },
    });
    assert.equal(r.status, 202, r.text);
    const done = await eventually(async () => {
      const imp = await t.call('GET', `/v1/imports/${r.body.id}`, { key: ws.test });
      return imp.body.status === 'completed' ? imp.body : undefined;
    });
    assert.equal(done.created, 2);
    assert.equal(done.failed, 2);
    assert.deepEqual(
      done.errors.map((e: { row: number; field: string }) => [e.row, e.field]),
      [
        [2, 'name'],
        [3, 'attributes.note'],
      ],
    );
  });

  it('keeps a verified provider message with a NUL, without the character', async () => {
    // A WhatsApp text message as Meta's webhook reference shows it, with a NUL in the body.
    const wamid = 'wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhggNUI2QjQ1';
    const raw = JSON.stringify(
      messagesPayload(number, [textMessage('919876500001', 'Hello\u0000 there', wamid)], 'Nul\u0000 Sender'),
    );
    const res = await t.call('POST', `/hooks/whatsapp/${channelId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(res.status, 200, res.text);
    const msg = await eventually(() =>
      t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', wamid).executeTakeFirst(),
    );
    assert.equal(msg.text, 'Hello there');
  });
});

forEachStorage('sign-in throttling', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    // Sign-in attempts are counted in 15-minute windows aligned to the clock: the app's clock
    // starts a minute into one, so a window never ends in the middle of these tests (one did,
    // at a quarter past, and the sixth attempt was counted in a new window).
    const t0 = Date.now();
    const start = Date.parse('2026-06-01T10:01:00Z');
    t = await startTestApp(storage, {
      env: {
        PARLEY_LOGIN_MAX_ATTEMPTS: '5',
        PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL: '5',
        PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT: '12',
      },
      testing: { now: () => new Date(start + (Date.now() - t0)) },
    });
    ws = await t.workspace();
    const u = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Asha', email: 'asha@example.com', role: 'admin', password: 'correct horse 1' },
    });
    assert.equal(u.status, 201, u.text);
  });
  after(() => t?.close());

  const login = (email: string, password: string, ip = '203.0.113.7') =>
    t.parley.app
      .inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email, password }),
      })
      .then((r) => ({ status: r.statusCode, body: r.json(), headers: r.headers }));

  it('answers 429 with Retry-After after too many attempts on one account, known or unknown alike', async () => {
    for (const email of ['asha@example.com', 'nobody@example.com']) {
      for (let i = 0; i < 5; i++) {
        const r = await login(email, 'wrong password', `198.51.100.${i + 1}`);
        assert.equal(r.status, 401);
        assert.equal(r.body.error.message, 'Invalid email or password.');
      }
      const limited = await login(email, 'wrong password', '198.51.100.99');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // Even the right password waits: the throttle comes before the check.
      if (email === 'asha@example.com') assert.equal((await login(email, 'correct horse 1')).status, 429);
    }
  });

  it('limits one client address across many emails', async () => {
    let limited = 0;
    for (let i = 0; i < 14; i++) {
      const r = await login(`user${i}@example.com`, 'whatever pw', '192.0.2.50');
      if (r.status === 429) limited++;
      else assert.equal(r.status, 401);
    }
    assert.equal(limited, 2);
    // Another address is not affected.
    assert.equal((await login('other@example.com', 'whatever pw', '192.0.2.51')).status, 401);
  });
});

forEachStorage('idempotency around failures', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t?.close());

  it('lets a corrected retry use the key of a request the service refused', async () => {
    const headers = { 'idempotency-key': 'contact-create-1' };
    const first = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      headers,
      body: { phone: '+919811100001', name: 'A' },
    });
    assert.equal(first.status, 201, first.text);
    // Refused by the service (a duplicate phone), not by the schema.
    const dup = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      headers: { 'idempotency-key': 'contact-create-2' },
      body: { phone: '+919811100001', name: 'B' },
    });
    assert.equal(dup.status, 409, dup.text);
    const corrected = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      headers: { 'idempotency-key': 'contact-create-2' },
      body: { phone: '+919811100002', name: 'B' },
    });
    assert.equal(corrected.status, 201, corrected.text);
    const replay = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      headers: { 'idempotency-key': 'contact-create-2' },
      body: { phone: '+919811100002', name: 'B' },
    });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body.id, corrected.body.id);
  });

  /** A key claimed by a `POST /v1/contacts` with this body that has not answered (yet). */
  const claimedKey = async (key: string, body: object, ageMs: number) => {
    const me = await t.call('GET', '/v1/me', { key: ws.test });
    await t.ctx.db
      .insertInto('idempotency_keys')
      .values({
        workspace_id: me.body.workspace.id,
        livemode: 0,
        key,
        request_hash: sha256Hex(`POST /v1/contacts\n${canonicalJson(body)}`),
        status_code: null,
        response_body: null,
        created_at: new Date(Date.now() - ageMs).toISOString(),
      })
      .execute();
  };

  it('tells the retry of a request still in flight (or dead with its process) when to come back', async () => {
    // What a process that died mid-request leaves behind: a claimed key with no answer.
    const body = { phone: '+919811100003' };
    await claimedKey('in-flight-1', body, 20_000);
    // The retry waits for the first request's answer, then gives up: 500 ms here, not 5 s (the
    // wait that ends in an answer is the next test's).
    t.ctx.config.testing!.idempotencyWaitMs = 500;
    const started = performance.now();
    let r: Awaited<ReturnType<typeof t.call>>;
    try {
      r = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        headers: { 'idempotency-key': 'in-flight-1' },
        body,
      });
    } finally {
      t.ctx.config.testing!.idempotencyWaitMs = undefined;
    }
    assert.ok(performance.now() - started >= 500, 'answered after the wait');
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'idempotency_conflict');
    assert.equal(r.body.error.retryable, true);
    assert.equal(r.headers['retry-after'], '2');
  });

  it('a request arriving while the first with its key runs waits for it and gets the same answer', async () => {
    const body = { phone: '+919811100004' };
    // The first request holds the key (as a request in flight does); it finishes 300 ms later.
    await claimedKey('in-flight-2', body, 0);
    const first = { id: 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D', object: 'contact', phone: body.phone };
    const second = t.call('POST', '/v1/contacts', {
      key: ws.test,
      headers: { 'idempotency-key': 'in-flight-2' },
      body,
    });
    setTimeout(() => {
      void t.ctx.db
        .updateTable('idempotency_keys')
        .set({ status_code: 201, response_body: JSON.stringify(first) })
        .where('key', '=', 'in-flight-2')
        .execute();
    }, 300);
    const r = await second;
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['idempotent-replayed'], 'true');
    assert.deepEqual(r.body, first);
  });
});

describe('HTTP edge: slow clients, parser errors, connection bounds, metrics', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp('sqlite', {
      env: {
        PARLEY_REQUEST_TIMEOUT_MS: '1500',
        PARLEY_HEADERS_TIMEOUT_MS: '1000',
        PARLEY_MAX_CONNECTIONS_PER_CLIENT: '5',
      },
    });
    const url = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(url).port);
  });
  after(() => t?.close());

  it('answers a body that never arrives with 408 in the error shape and closes the connection', async () => {
    const raw = await rawExchange(port, (s) =>
      s.write(
        'POST /v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pho',
      ),
    );
    assert.match(raw, /^HTTP\/1\.1 408 /);
    const body = bodyOf(raw);
    assert.equal(body.error.code, 'request_timeout');
    assert.match(body.error.request_id, /^req_/);
  });

  it('answers headers that never end with 408', async () => {
    const raw = await rawExchange(port, (s) => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a'));
    assert.match(raw, /^HTTP\/1\.1 408 /);
    assert.equal(bodyOf(raw).error.code, 'request_timeout');
  });

  it('answers a malformed request line and oversized headers in the error shape', async () => {
    const bad = await rawExchange(port, (s) => s.write('THIS IS NOT HTTP\r\n\r\n'));
    assert.match(bad, /^HTTP\/1\.1 400 /);
    assert.equal(bodyOf(bad).error.code, 'validation_failed');
    const big = await rawExchange(port, (s) =>
      s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.equal(bodyOf(big).error.code, 'headers_too_large');
  });

  it('closes connections past the per-client bound at once', async () => {
    const held: Socket[] = [];
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    for (let i = 0; i < 5; i++) held.push(await open());
    const extra = await open();
    const closed = await new Promise<boolean>((resolve) => {
      extra.on('close', () => resolve(true));
      extra.on('data', () => resolve(false));
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.equal(closed, true);
    for (const s of held) s.destroy();
    // Once they are gone the client is served again.
    await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return r?.status === 200;
    });
  });

  it('serves /metrics to loopback clients only when no token is set', async () => {
    const local = await t.call('GET', '/metrics');
    assert.equal(local.status, 200);
    const remote = await t.parley.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '203.0.113.9',
    });
    assert.equal(remote.statusCode, 403);
    assert.equal(remote.json().error.code, 'forbidden');
    // X-Forwarded-For cannot make a remote client local.
    const spoofed = await t.parley.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    assert.equal(spoofed.statusCode, 403);
  });
});

describe('/metrics with a token', () => {
  let t: TestApp;
  const token = 'metrics-token-0123456789';
  before(async () => {
    t = await startTestApp('sqlite', { env: { PARLEY_METRICS_TOKEN: token } });
  });
  after(() => t?.close());

  it('needs the token from every client', async () => {
    assert.equal((await t.call('GET', '/metrics')).status, 401);
    assert.equal(
      (await t.call('GET', '/metrics', { headers: { authorization: 'Bearer wrong-token-xxxxxxxx' } })).status,
      401,
    );
    const ok = await t.parley.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '203.0.113.9',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /parley_http_requests_total/);
  });
});

describe('documented error codes', () => {
  let t: TestApp;
  const undocumented: Module = {
    name: 'undocumented-test',
    routes: [
      defineRoute({
        method: 'GET',
        path: '/v1/test-undocumented',
        summary: 'Answers a code it does not document',
        tags: ['Test'],
        auth: 'none',
        responses: { 200: null },
        errors: ['not_found'],
        handler: async ({ request }) => {
          throw new ApiError(
            request.query && 'conflict' in (request.query as object) ? 'conflict' : 'not_found',
            'x',
          );
        },
      }),
    ],
  };
  before(async () => {
    t = await startTestApp('sqlite', { modules: [...modules, undocumented] });
  });
  after(() => t?.close());

  it('fails a route that answers an error code its OpenAPI entry does not list (in tests)', async () => {
    const listed = await t.call('GET', '/v1/test-undocumented');
    assert.equal(listed.status, 404);
    const unlisted = await t.call('GET', '/v1/test-undocumented?conflict=1');
    assert.equal(unlisted.status, 500);
    assert.match(unlisted.body.error.message, /answered 409 conflict, which its OpenAPI entry does not list/);
  });
});
