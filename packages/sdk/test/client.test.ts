import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Parley, ParleyError } from '../src/index.ts';
import { startReceiver, startServer, type TestServer } from './support/server.ts';

describe('Parley client against a real server [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let client: Parley;

  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    client = new Parley({ apiKey: ws.test, baseUrl: server.url });
  });
  after(() => server.close());

  it('me() and the typed get() answer the workspace of the key', async () => {
    const me = await client.me();
    assert.equal(me.workspace.id, ws.id);
    assert.equal(me.api_key?.mode, 'test');
    const same = await client.get('/v1/me');
    assert.equal(same.workspace.id, ws.id);
    const live = await new Parley({ apiKey: ws.live, baseUrl: `${server.url}/` }).me();
    assert.equal(live.livemode, true);
  });

  it('surfaces a validation error as ParleyError with code, request id and field errors', async () => {
    await assert.rejects(client.contacts.create({ phone: 'not a phone', name: 'X' }), (err: unknown) => {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'validation_failed');
      assert.match(err.requestId ?? '', /^req_/);
      assert.ok(err.fieldErrors.some((f) => f.field === 'phone'));
      return true;
    });
  });

  it('a 404 carries not_found, and another mode sees nothing', async () => {
    const c = await client.contacts.create({ phone: '+919876543210', name: 'Asha' });
    const live = new Parley({ apiKey: ws.live, baseUrl: server.url });
    await assert.rejects(
      live.contacts.get(c.id),
      (err: ParleyError) => err.status === 404 && err.code === 'not_found',
    );
    assert.equal((await client.contacts.get(c.id)).name, 'Asha');
    await client.contacts.delete(c.id);
  });

  it('a 409 conflict names the existing id in details', async () => {
    const c = await client.contacts.create({ phone: '+919800000001' });
    await assert.rejects(client.contacts.create({ phone: '+919800000001' }), (err: ParleyError) => {
      assert.equal(err.status, 409);
      assert.equal(err.code, 'conflict');
      assert.ok(JSON.stringify(err.details).includes(c.id) || err.message.includes(c.id));
      return true;
    });
  });

  it('POSTs carry an idempotency key: a fresh one per call, a given one replays', async () => {
    const a = await client.contacts.create({ phone: '+919800000010' }, { idempotencyKey: 'create-010' });
    const b = await client.contacts.create({ phone: '+919800000010' }, { idempotencyKey: 'create-010' });
    assert.equal(a.id, b.id);
    await assert.rejects(
      client.contacts.create({ phone: '+919800000011' }, { idempotencyKey: 'create-010' }),
      (err: ParleyError) => err.code === 'idempotency_conflict',
    );
    // Without a key of its own, each call is its own request (the duplicate is a conflict, not a replay).
    await assert.rejects(
      client.contacts.create({ phone: '+919800000010' }),
      (err: ParleyError) => err.code === 'conflict',
    );
  });

  it('paginate() walks every page', async () => {
    const other = await server.workspace();
    const c = new Parley({ apiKey: other.test, baseUrl: server.url });
    const phones = ['+919811111101', '+919811111102', '+919811111103', '+919811111104', '+919811111105'];
    for (const phone of phones) await c.contacts.create({ phone });
    const seen: string[] = [];
    for await (const contact of c.paginate('/v1/contacts', { perPage: 2 })) seen.push(contact.phone ?? '');
    assert.deepEqual(seen.sort(), phones);
    const iterated: string[] = [];
    for await (const contact of c.contacts.iterate()) iterated.push(contact.id);
    assert.equal(iterated.length, 5);
  });

  it('paginate() reads a list that grows meanwhile by cursor: every item once, none repeated', async () => {
    const other = await server.workspace();
    const c = new Parley({ apiKey: other.test, baseUrl: server.url });
    const phone = (i: number) => `+9198222${String(22_000 + i).padStart(5, '0')}`;
    for (let i = 0; i < 9; i++) await c.contacts.create({ phone: phone(i) });
    const seen: string[] = [];
    let made = 9;
    // Two contacts created per item read: by page number, each page would start two items later.
    for await (const contact of c.paginate('/v1/contacts', { perPage: 3 })) {
      seen.push(contact.id);
      for (let i = 0; i < 2; i++) await c.contacts.create({ phone: phone(made++) });
    }
    assert.equal(new Set(seen).size, seen.length, 'no contact twice');
    assert.equal(seen.length, 9, 'the nine there when the walk began (newer ones sort before them)');
  });

  it('a revoked key is refused with unauthorized', async () => {
    const created = await client.post('/v1/api-keys', { body: { name: 'temp' } });
    const temp = new Parley({ apiKey: created.key, baseUrl: server.url });
    assert.equal((await temp.me()).api_key?.id, created.id);
    await client.delete('/v1/api-keys/{id}', { params: { id: created.id } });
    await assert.rejects(
      temp.me(),
      (err: ParleyError) => err.status === 401 && err.code === 'unauthorized' && /revoked/.test(err.message),
    );
  });

  it('a rate limit surfaces as rate_limited with Retry-After when waiting is too long', async () => {
    const starter = await server.workspace({ plan: 'starter' });
    const c = new Parley({ apiKey: starter.test, baseUrl: server.url, maxRetryWaitSeconds: 0 });
    // The starter plan allows 60 a minute in windows that start on the minute: a burst that
    // crosses into the next minute gets up to 60 more, so 130 leave at least 10 refused.
    const results = await Promise.allSettled(Array.from({ length: 130 }, () => c.me()));
    const limited = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as ParleyError);
    assert.ok(limited.length >= 10, `expected 429s, got ${limited.length}`);
    assert.equal(limited[0].code, 'rate_limited');
    assert.equal(limited[0].status, 429);
    assert.ok((limited[0].retryAfter ?? 0) > 0);
  });

  it('knowledge.push adds a document, then replaces it by title', async (t) => {
    if (!server.routes.has('/v1/agents/{id}/knowledge/{doc_id}'))
      return t.skip('knowledge routes not built yet');
    const agent = await client.post('/v1/agents', { body: { name: 'Glow' } as never });
    const first = await client.knowledge.push(agent.id, {
      title: 'hours.md',
      doc_type: 'markdown',
      content: '# Hours\nMon-Sat 10-7.',
    });
    assert.equal(first.created, true);
    const second = await client.knowledge.push(agent.id, {
      title: 'hours.md',
      doc_type: 'markdown',
      content: '# Hours\nMon-Sun 9-9.',
    });
    assert.equal(second.created, false);
    assert.equal(second.document.id, first.document.id);
    const docs = await client.knowledge.list(agent.id);
    assert.equal(docs.meta.total, 1);
    assert.match(docs.data[0].content, /9-9/);
  });

  it('webhooks.create returns the whsec_ secret once', async (t) => {
    if (!server.routes.has('/v1/webhooks')) return t.skip('webhooks routes not built yet');
    const wh = await client.webhooks.create({
      url: 'https://example.com/hook',
      events: ['contact.created'],
    } as never);
    assert.match(wh.secret, /^whsec_/);
    const got = (await client.webhooks.get(wh.id)) as Record<string, unknown>;
    assert.equal(got.secret, undefined);
  });

  it('events.stream() yields live events of the key, filtered by type', async (t) => {
    if (!server.routes.has('/v1/events/stream')) return t.skip('event stream not built yet');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of client.events.stream({
        types: ['contact.*'],
        signal: controller.signal,
        onOpen: opened,
      })) {
        got.push(`${e.event}:${e.data.phone}`);
        if (got.length === 1) controller.abort();
      }
    })();
    await open;
    await client.contacts.create({ phone: '+919822222201' });
    await reading.catch(() => {});
    clearTimeout(timer);
    assert.deepEqual(got, ['contact.created:+919822222201']);
  });

  it('messages.send and conversations work when those routes exist', async (t) => {
    if (!server.routes.has('/v1/messages') || !server.routes.has('/v1/conversations/{id}'))
      return t.skip('messages/conversations routes not built yet');
    // Test mode enforces WhatsApp's 24-hour window: free text to a number that never wrote is a 422...
    await assert.rejects(
      client.messages.send({ to: '+919876543210', type: 'text', text: 'Hello from the SDK' }),
      (err: ParleyError) =>
        err.code === 'whatsapp_outside_24h_window' &&
        err.status === 422 &&
        /sandbox\/inbound/.test(err.message),
    );
    // ...until the customer writes (simulated in test mode).
    await client.sandbox.inbound({ from: '+919876543210', text: 'Hi' });
    const msg = await client.messages.send({ to: '+919876543210', type: 'text', text: 'Hello from the SDK' });
    assert.equal(msg.status, 'queued');
    const conv = await client.conversations.get(msg.conversation_id);
    assert.equal(conv.id, msg.conversation_id);
    const list = await client.conversations.list();
    assert.ok(list.data.some((c: { id: string }) => c.id === conv.id));
  });

  it('a server that is down is a connection_failed error (status 0)', async () => {
    const down = await startReceiver();
    const url = down.url;
    await down.close();
    await assert.rejects(
      new Parley({ apiKey: ws.test, baseUrl: url }).me(),
      (err: ParleyError) => err.code === 'connection_failed' && err.status === 0,
    );
  });

  it('a base URL that is not Parley is unexpected_response', async () => {
    const other = await startReceiver(() => ({
      status: 404,
      headers: { 'content-type': 'text/html' },
      body: '<h1>Not Found</h1>',
    }));
    try {
      await assert.rejects(
        new Parley({ apiKey: ws.test, baseUrl: other.url }).me(),
        (err: ParleyError) => err.code === 'unexpected_response' && err.status === 404,
      );
    } finally {
      await other.close();
    }
  });
});

describe('Retry-After handling', () => {
  it('waits out a 429, retries with the same idempotency key, and stops after maxRetries', async () => {
    const fake = await startReceiver(
      (_req, n): { status: number; headers: Record<string, string>; body: string } =>
        n === 1
          ? {
              status: 429,
              headers: { 'content-type': 'application/json', 'retry-after': '1' },
              body: JSON.stringify({
                error: { code: 'rate_limited', message: 'Slow down.', request_id: 'req_1' },
              }),
            }
          : {
              status: 201,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ id: 'ct_1' }),
            },
    );
    try {
      const client = new Parley({ apiKey: 'prl_test_x', baseUrl: fake.url });
      const started = Date.now();
      const res = await client.raw('post', '/v1/contacts', { body: { phone: '+919800000000' } });
      assert.equal(res.status, 201);
      assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
      assert.equal(fake.received.length, 2);
      const [k1, k2] = fake.received.map((r) => r.headers['idempotency-key']);
      assert.match(String(k1), /^[0-9a-f-]{36}$/);
      assert.equal(k1, k2);
    } finally {
      await fake.close();
    }
  });

  it('gives up after maxRetries and throws the last 429', async () => {
    const fake = await startReceiver(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
      body: JSON.stringify({ error: { code: 'rate_limited', message: 'Slow down.', request_id: 'req_2' } }),
    }));
    try {
      const client = new Parley({ apiKey: 'prl_test_x', baseUrl: fake.url, maxRetries: 2 });
      await assert.rejects(
        client.me(),
        (err: ParleyError) =>
          err.code === 'rate_limited' && err.requestId === 'req_2' && err.retryAfter === 0,
      );
      assert.equal(fake.received.length, 3);
    } finally {
      await fake.close();
    }
  });
});
