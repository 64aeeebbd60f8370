import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
// @ts-expect-error http_ece ships no types: the reference implementation of RFC 8188 / RFC 8291.
import ece from 'http_ece';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import {
  eventually,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * A push service as RFC 8030 describes it, and a browser's side of RFC 8291: the test holds the
 * subscription's private key and auth secret, so it can open what Parley encrypted to it.
 */
interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    p256dh: ecdh.getPublicKey().toString('base64url'),
    authText: auth.toString('base64url'),
  };
}

forEachStorage('notifications', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let push: Server;
  let pushUrl: string;
  const received: Received[] = [];
  let gone = new Set<string>();

  const session = async (name: string, role: 'agent' | 'admin' = 'agent') => {
    const email = `${name.toLowerCase().replace(/\s+/g, '.')}.${randomBytes(3).toString('hex')}@example.com`;
    const made = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name, email, role, password: 'correct horse battery' },
    });
    assert.equal(made.status, 201, made.text);
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email, password: 'correct horse battery' },
    });
    assert.equal(login.status, 200, login.text);
    return { id: made.body.id as string, token: login.body.token as string };
  };

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    push = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (gone.has(req.url ?? '')) {
          res.writeHead(410).end();
          return;
        }
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => push.listen(0, '127.0.0.1', r));
    pushUrl = `http://127.0.0.1:${(push.address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.close();
    await new Promise((r) => push.close(r));
  });

  it('keeps preferences per person, with defaults, and refuses API keys', async () => {
    const me = await session('Asha Rao');
    const got = await t.call('GET', '/v1/me/notifications', { key: me.token });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body.events, {
      assigned: true,
      mentioned: true,
      handoff: true,
      waiting: true,
      sla: true,
    });
    const set = await t.call('PUT', '/v1/me/notifications', {
      key: me.token,
      body: { events: { sla: false }, browser: false },
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.events.sla, false);
    assert.equal(set.body.events.assigned, true);
    assert.equal(set.body.browser, false);
    assert.equal((await t.call('GET', '/v1/me/notifications', { key: me.token })).body.events.sla, false);
    assert.equal((await t.call('GET', '/v1/me/notifications', { key: w.test })).status, 403);
    const bad = await t.call('PUT', '/v1/me/notifications', {
      key: me.token,
      body: { events: { everything: true } },
    });
    assert.equal(bad.status, 400);
  });

  it('refuses a subscription that is not https, private, or with keys of the wrong size', async () => {
    const strict = await startTestApp(storage, { env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0' } });
    try {
      const ws = await strict.workspace();
      const email = `x${randomBytes(3).toString('hex')}@example.com`;
      await strict.call('POST', '/v1/users', {
        key: ws.test,
        body: { name: 'X', email, role: 'agent', password: 'correct horse battery' },
      });
      const token = (
        await strict.call('POST', '/v1/auth/login', { body: { email, password: 'correct horse battery' } })
      ).body.token;
      const k = browserKeys();
      const keys = { p256dh: k.p256dh, auth: k.authText };
      for (const [endpoint, field] of [
        ['http://push.example.net/x', 'endpoint'],
        ['https://127.0.0.1/x', 'endpoint'],
        ['https://169.254.169.254/latest', 'endpoint'],
        ['https://localhost/x', 'endpoint'],
        ['not a url', 'endpoint'],
      ] as const) {
        const r = await strict.call('POST', '/v1/me/push-subscriptions', {
          key: token,
          body: { endpoint, keys },
        });
        assert.equal(r.status, 400, `${endpoint}: ${r.text}`);
        assert.equal(r.body.error.errors[0].field, field);
      }
      const short = await strict.call('POST', '/v1/me/push-subscriptions', {
        key: token,
        body: {
          endpoint: 'https://push.example.net/x',
          keys: { p256dh: k.p256dh.slice(0, 20), auth: k.authText },
        },
      });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.errors[0].field, 'keys.p256dh');
      const listed = await strict.call('GET', '/v1/me/push-subscriptions', { key: token });
      assert.deepEqual(listed.body.data, []);
    } finally {
      await strict.close();
    }
  });

  it('pushes an encrypted, VAPID-signed notification when a conversation is assigned to me', async () => {
    const me = await session('Meera Iyer');
    const keyRes = await t.call('GET', '/v1/push/key', { key: me.token });
    assert.equal(keyRes.status, 200);
    const serverKey = keyRes.body.public_key as string;
    const k = browserKeys();
    const endpoint = `${pushUrl}/send/${randomBytes(4).toString('hex')}`;
    const sub = await t.call('POST', '/v1/me/push-subscriptions', {
      key: me.token,
      body: { endpoint, keys: { p256dh: k.p256dh, auth: k.authText }, expirationTime: null },
      headers: { 'user-agent': 'TestBrowser/1' },
    });
    assert.equal(sub.status, 201, sub.text);
    assert.equal(sub.body.user_agent, 'TestBrowser/1');
    assert.equal(JSON.stringify(sub.body).includes(k.authText), false, 'keys are never returned');

    const conv = await openWindow(t, w.test, '+919833300001', 'Need help with my order');
    const before = received.length;
    const assigned = await t.call('POST', `/v1/conversations/${conv}/assign`, {
      key: w.test,
      body: { user_id: me.id },
    });
    assert.equal(assigned.status, 200, assigned.text);
    await eventually(async () => received.length > before);
    const got = received.at(-1)!;
    assert.equal(got.headers['content-encoding'], 'aes128gcm');
    assert.ok(Number(got.headers.ttl) > 0);
    // VAPID: a JWT signed with the server's key, for the push service's origin.
    const [, token, pub] = /^vapid t=([^,]+), k=(.+)$/.exec(String(got.headers.authorization))!;
    assert.equal(pub, serverKey);
    assert.equal(decodeProtectedHeader(token!).alg, 'ES256');
    const point = Buffer.from(serverKey, 'base64url');
    const jwk = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      'ES256',
    );
    const { payload } = await jwtVerify(token!, jwk);
    assert.equal(payload.aud, pushUrl);
    // RFC 8291: only the browser's keys open it.
    const clear = ece.decrypt(got.body, { version: 'aes128gcm', privateKey: k.ecdh, authSecret: k.authText });
    const message = JSON.parse(clear.toString('utf8'));
    assert.equal(message.kind, 'assigned');
    assert.equal(message.url, `/app/c/${conv}`);
    assert.match(message.title, /Assigned to you/);
  });

  it('tells a person mentioned in a note, lists the mention, and honours switched-off kinds', async () => {
    const writer = await session('Ravi Kumar');
    const ana = await session('Ana Souza');
    const k = browserKeys();
    const endpoint = `${pushUrl}/send/${randomBytes(4).toString('hex')}`;
    await t.call('POST', '/v1/me/push-subscriptions', {
      key: ana.token,
      body: { endpoint, keys: { p256dh: k.p256dh, auth: k.authText } },
    });
    const conv = await openWindow(t, w.test, '+919833300002', 'Refund?');
    const before = received.length;
    const note = await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: writer.token,
      body: { type: 'note', text: '@ana can you check the refund? cc @nobody' },
    });
    assert.equal(note.status, 201, note.text);
    await eventually(async () => received.length > before);
    const message = JSON.parse(
      ece
        .decrypt(received.at(-1)!.body, { version: 'aes128gcm', privateKey: k.ecdh, authSecret: k.authText })
        .toString(),
    );
    assert.equal(message.kind, 'mentioned');
    const mentions = await t.call('GET', '/v1/me/mentions', { key: ana.token });
    assert.equal(mentions.body.data.length, 1);
    assert.equal(mentions.body.data[0].conversation_id, conv);
    assert.equal(mentions.body.data[0].by_user_id, writer.id);
    assert.equal(mentions.body.data[0].read_at, null);
    assert.deepEqual((await t.call('POST', '/v1/me/mentions/read', { key: ana.token })).body, { read: 1 });
    assert.deepEqual((await t.call('GET', '/v1/me/mentions', { key: writer.token })).body.data, []);

    // Switched off: the next mention is listed but not pushed.
    await t.call('PUT', '/v1/me/notifications', { key: ana.token, body: { events: { mentioned: false } } });
    const count = received.length;
    await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: writer.token,
      body: { type: 'note', text: '@Ana again' },
    });
    await eventually(
      async () => (await t.call('GET', '/v1/me/mentions', { key: ana.token })).body.data.length === 2,
    );
    const jobs = await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('workspace_id', '=', w.id)
      .where('type', '=', 'message.note_added')
      .execute();
    assert.equal(jobs.length, 2);
    assert.equal(received.length, count, 'a kind switched off is not pushed');
  });

  it('forgets a browser whose push service says it is gone', async () => {
    const me = await session('Kavya Nair');
    const k = browserKeys();
    const path = `/send/${randomBytes(4).toString('hex')}`;
    gone = new Set([path]);
    await t.call('POST', '/v1/me/push-subscriptions', {
      key: me.token,
      body: { endpoint: `${pushUrl}${path}`, keys: { p256dh: k.p256dh, auth: k.authText } },
    });
    const conv = await openWindow(t, w.test, '+919833300003', 'Hello');
    await t.call('POST', `/v1/conversations/${conv}/assign`, { key: w.test, body: { user_id: me.id } });
    await eventually(
      async () =>
        (await t.call('GET', '/v1/me/push-subscriptions', { key: me.token })).body.data.length === 0,
    );
  });
});
