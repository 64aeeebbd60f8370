import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, it } from 'node:test';
import { SignJWT } from 'jose';
import { newId } from '../../src/platform/ids.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * The website widget's first questions and its ways out: the consent line and pre-chat fields,
 * whether a person can answer now, "reply by email" (the thread goes by email from the email
 * channel), "continue on WhatsApp" (a wa.me link with a code that joins the two contacts), a
 * verified identity seen by tools as `contact.verified`, and a stream client that never reads.
 */
const KEY = 'v'.repeat(40);
const ORIGIN = 'https://www.glowsalon.in';

forEachStorage('website widget: consent, pre-chat, fallbacks', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  let shop: Server;
  const shopHits: string[] = [];
  let channelId: string;
  let bareId: string;

  const w = (
    method: string,
    path: string,
    o: { token?: string; body?: unknown; headers?: Record<string, string>; channel?: string } = {},
  ) =>
    t.call(method, `/widget/${o.channel ?? channelId}${path}`, {
      body: o.body,
      headers: {
        origin: ORIGIN,
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.headers ?? {}),
      },
    });
  const say = (token: string, text: string, key: string) =>
    w('POST', '/messages', { token, body: { text }, headers: { 'idempotency-key': key } });

  before(async () => {
    shop = createServer((req, res) => {
      shopHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', () => r()));
    t = await startTestApp(storage);
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    ws = await t.workspace({ default_country: 'IN' });
    const email = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'hello@glowsalon.in',
        credentials: {
          host: '127.0.0.1',
          port: 2525,
          username: 'relay',
          password: 'pw',
          from: 'Glow Salon <hello@glowsalon.in>',
        },
      },
    });
    assert.equal(email.status, 201, email.text);
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'glowsalon.in',
        credentials: { signing_key: KEY },
        settings: {
          allowed_domains: ['www.glowsalon.in'],
          consent: 'I agree that Glow Salon keeps this chat for 90 days.',
          pre_chat_fields: [
            { name: 'name', label: 'Your name', required: true },
            { name: 'email', required: false },
          ],
          fallback: { email: 'hello@glowsalon.in', whatsapp: '+919876543210' },
          theme: { color: '#0b7285', position: 'left', greeting: 'Namaste!', language: 'hi' },
        },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    const bare = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'bare.glowsalon.in',
        settings: { allowed_domains: ['www.glowsalon.in'] },
      },
    });
    assert.equal(bare.status, 201, bare.text);
    bareId = bare.body.id;
  });
  after(async () => {
    await t?.close();
    shop?.close();
  });

  const start = async (pre: Record<string, string> = { name: 'Asha' }) => {
    const s = await w('POST', '/session', { body: { consent: true, pre_chat: pre } });
    assert.equal(s.status, 201, s.text);
    return s.body as { token: string; visitor_id: string };
  };

  it('asks for consent and the required pre-chat fields first, and keeps what was given', async () => {
    const noConsent = await w('POST', '/session', { body: { pre_chat: { name: 'Asha' } } });
    assert.equal(noConsent.status, 400, noConsent.text);
    assert.equal(noConsent.body.error.errors[0].field, 'consent');
    const noName = await w('POST', '/session', { body: { consent: true, pre_chat: { email: 'a@b.in' } } });
    assert.equal(noName.status, 400, noName.text);
    assert.equal(noName.body.error.errors[0].field, 'pre_chat.name');
    const badType = await w('POST', '/session', { body: { consent: 'yes' } });
    assert.equal(badType.status, 400, badType.text);
    const before = await t.ctx.db.selectFrom('widget_visitors').select('id').execute();
    assert.equal(before.length, 0, 'no refused session made a visitor');
    const s = await start({ name: 'Asha Rao', email: 'asha@example.in' });
    const visitor = await t.ctx.db
      .selectFrom('widget_visitors')
      .selectAll()
      .where('id', '=', s.visitor_id)
      .executeTakeFirstOrThrow();
    assert.ok(visitor.consented_at, 'the consent is kept with its time');
    const contact = await t.call('GET', `/v1/contacts/${visitor.contact_id}`, { key: ws.test });
    assert.equal(contact.body.name, 'Asha Rao');
    assert.equal(contact.body.attributes.pre_chat_email, 'asha@example.in');
    assert.equal(contact.body.email, null, 'a typed email proves nothing: not the contact email');
  });

  it("shows the channel's theme, first questions and whether a person can answer now", async () => {
    const config = await w('GET', '/config');
    assert.equal(config.status, 200, config.text);
    assert.deepEqual(config.body.theme, {
      color: '#0b7285',
      position: 'left',
      greeting: 'Namaste!',
      language: 'hi',
    });
    assert.equal(config.body.consent, 'I agree that Glow Salon keeps this chat for 90 days.');
    assert.equal(config.body.pre_chat_fields.length, 2);
    // Nobody of the team is online: the ways out are offered.
    assert.equal(config.body.availability.people_online, false);
    assert.equal(config.body.availability.offer_fallback, true);
    const user = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Priya', email: 'priya@glowsalon.in', role: 'agent', password: 'a long password 1' },
    });
    assert.equal(user.status, 201, user.text);
    const online = await t.call('PUT', `/v1/users/${user.body.id}/availability`, {
      key: ws.test,
      body: { availability: 'online' },
    });
    assert.equal(online.status, 200, online.text);
    const now = await w('GET', '/config');
    assert.equal(now.body.availability.people_online, true);
    assert.equal(now.body.availability.open, true);
    assert.equal(now.body.availability.offer_fallback, false);
    await t.call('PUT', `/v1/users/${user.body.id}/availability`, {
      key: ws.test,
      body: { availability: 'offline' },
    });
  });

  it('reply by email: the thread so far goes by email from the email channel, and carries on there', async () => {
    const s = await start();
    assert.equal((await say(s.token, 'Is the spa open on Sunday?', 'mail-key-01')).status, 201);
    const stream = await fetch(`${base}/widget/${channelId}/stream`, {
      headers: { origin: ORIGIN, authorization: `Bearer ${s.token}` },
    });
    const bad = await w('POST', '/continue', {
      token: s.token,
      body: { via: 'email', email: 'not-an-email' },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.errors[0].field, 'email');
    const missing = await w('POST', '/continue', { token: s.token, body: { via: 'email' } });
    assert.equal(missing.status, 400, missing.text);
    const none = await w('POST', '/continue', { body: { via: 'email', email: 'asha@example.in' } });
    assert.equal(none.status, 401);
    const res = await w('POST', '/continue', {
      token: s.token,
      body: { via: 'email', email: 'asha.rao@example.in' },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { via: 'email', email: 'asha.rao@example.in' });
    // The email conversation is in the inbox, on the visitor's own contact (which took the address),
    // and its first message (from the email channel; test mode delivers it to the sandbox) is the thread so far.
    const visitor = await t.ctx.db
      .selectFrom('widget_visitors')
      .select('contact_id')
      .where('id', '=', s.visitor_id)
      .executeTakeFirstOrThrow();
    const contact = await t.call('GET', `/v1/contacts/${visitor.contact_id}`, { key: ws.test });
    assert.equal(contact.body.email, 'asha.rao@example.in');
    const mailConv = await eventually(async () => {
      const list = await t.call('GET', '/v1/conversations?limit=100', { key: ws.test });
      return list.body.data.find(
        (c: { channel: string; contact: { id: string } }) =>
          c.channel === 'email' && c.contact.id === visitor.contact_id,
      ) as { id: string } | undefined;
    });
    const msgs = await t.call('GET', `/v1/conversations/${mailConv.id}/messages`, { key: ws.test });
    const mail = msgs.body.data[0];
    assert.equal(mail.direction, 'outbound');
    assert.equal(mail.from, 'hello@glowsalon.in');
    assert.equal(mail.to, 'asha.rao@example.in');
    assert.match(mail.text, /You: Is the spa open on Sunday\?/);
    // The visitor's stream says where the conversation went.
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: continued')) text += (await reader.read()).value ?? '';
    assert.match(text, /"via":"email"/);
    await reader.cancel();
  });

  it('continue on WhatsApp: the code in the customer WhatsApp message joins the two contacts, once', async () => {
    const s = await start({ name: 'Ravi' });
    assert.equal((await say(s.token, 'Can I book on WhatsApp?', 'wa-key-01')).status, 201);
    const res = await w('POST', '/continue', { token: s.token, body: { via: 'whatsapp' } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.code, /^WEB-[0-9A-HJKMNP-TV-Z]{6}$/);
    const url = new URL(res.body.url);
    assert.equal(url.origin + url.pathname, 'https://wa.me/919876543210');
    assert.ok(url.searchParams.get('text')?.includes(res.body.code));
    const again = await w('POST', '/continue', { token: s.token, body: { via: 'whatsapp' } });
    assert.equal(again.body.code, res.body.code, 'a valid code is given again, not a new one');
    const visitorContact = async () =>
      (
        await t.ctx.db
          .selectFrom('widget_visitors')
          .select('contact_id')
          .where('id', '=', s.visitor_id)
          .executeTakeFirstOrThrow()
      ).contact_id;
    const webContact = await visitorContact();
    // A message without a code, and one with a code nobody holds, join nothing.
    const other = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+919812300002', text: 'Hello, my code is WEB-ZZZZZZ' },
    });
    assert.equal(other.status, 200, other.text);
    const sent = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+919812300001', text: url.searchParams.get('text') },
    });
    assert.equal(sent.status, 200, sent.text);
    const waConv = await t.call('GET', `/v1/conversations/${sent.body.conversation_id}`, { key: ws.test });
    const waContact = waConv.body.contact.id as string;
    await eventually(async () => (await visitorContact()) === waContact);
    const merged = await t.call('GET', `/v1/contacts/${webContact}`, { key: ws.test });
    assert.ok(merged.status === 404 || merged.body.merged_into === waContact, merged.text);
    const kept = await t.call('GET', `/v1/contacts/${waContact}`, { key: ws.test });
    assert.equal(kept.body.phone, '+919812300001');
    assert.equal(kept.body.name, 'Ravi');
    // Both conversations are the kept contact's; the session still works, on the same thread.
    const list = await t.call('GET', '/v1/conversations?limit=100', { key: ws.test });
    const mine = list.body.data.filter((c: { contact: { id: string } }) => c.contact.id === waContact);
    assert.deepEqual(mine.map((c: { channel: string }) => c.channel).sort(), ['web', 'whatsapp']);
    assert.equal((await say(s.token, 'Thanks!', 'wa-key-02')).status, 201);
    // The code was used: another number sending it joins nothing.
    const reuse = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+919812300003', text: url.searchParams.get('text') },
    });
    assert.equal(reuse.status, 200);
    const after = await t.ctx.db
      .selectFrom('widget_visitors')
      .select(['contact_id', 'join_code'])
      .where('id', '=', s.visitor_id)
      .executeTakeFirstOrThrow();
    assert.equal(after.contact_id, waContact);
    assert.equal(after.join_code, null);
  });

  it('refuses a fallback the channel does not offer', async () => {
    const s = await w('POST', '/session', { channel: bareId, body: {} });
    assert.equal(s.status, 201, s.text);
    for (const body of [{ via: 'email', email: 'x@example.in' }, { via: 'whatsapp' }]) {
      const res = await w('POST', '/continue', { channel: bareId, token: s.body.token, body });
      assert.equal(res.status, 422, res.text);
    }
    const bad = await w('POST', '/continue', { channel: bareId, token: s.body.token, body: { via: 'sms' } });
    assert.equal(bad.status, 400, bad.text);
  });

  it("a verified identity is contact.verified to tools; an anonymous visitor's is false", async () => {
    const settings = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    assert.equal(settings.status, 200, settings.text);
    const tool = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: {
        name: 'member_lookup',
        description: 'Looks up the member.',
        effect: 'read',
        input_schema: { type: 'object', properties: {} },
        request: {
          method: 'GET',
          url: `http://127.0.0.1:${(shop.address() as AddressInfo).port}/member?verified={{contact.verified}}`,
        },
      },
    });
    assert.equal(tool.status, 201, tool.text);
    const id = await new SignJWT({ sub: 'member-7', name: 'Meera' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(KEY));
    const verified = await w('POST', '/session', {
      body: { consent: true },
      headers: { 'x-parley-identity': id },
    });
    assert.equal(verified.status, 201, verified.text);
    const anon = await start({ name: 'Anon' });
    const contactOf = async (visitorId: string) =>
      (
        await t.ctx.db
          .selectFrom('widget_visitors')
          .select('contact_id')
          .where('id', '=', visitorId)
          .executeTakeFirstOrThrow()
      ).contact_id;
    for (const [visitorId, want] of [
      [verified.body.visitor_id, 'true'],
      [anon.visitor_id, 'false'],
    ] as const) {
      shopHits.length = 0;
      const run = await t.call('POST', `/v1/tools/${tool.body.id}/test`, {
        key: ws.test,
        body: { live: true, contact_id: await contactOf(visitorId) },
      });
      assert.equal(run.status, 200, run.text);
      assert.deepEqual(shopHits, [`/member?verified=${want}`]);
    }
  });

  it('a stream client that never reads is cut off past its buffer; the process goes on', async () => {
    const s = await start({ name: 'Slow' });
    const { visitorChannel } = await import('../../src/modules/widget/widget.events.ts');
    const { openStreams } = await import('../../src/modules/widget/widget.stream.ts');
    const before = openStreams.count;
    const port = Number(new URL(base).port);
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(
      `GET /widget/${channelId}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ORIGIN}\r\nAuthorization: Bearer ${s.token}\r\n\r\n`,
    );
    // Wait until the server holds the stream open.
    await eventually(async () => openStreams.count > before);
    const big = 'x'.repeat(256 * 1024);
    let published = 0;
    // 64 MB at most: far past what the kernel's and the server's buffers hold for a reader that never reads.
    while (openStreams.count > before && published < 256) {
      await t.ctx.bus.publish(
        visitorChannel(s.visitor_id),
        JSON.stringify({ id: newId('wev'), type: 'message', data: { text: big } }),
      );
      published++;
      await new Promise((r) => setImmediate(r));
    }
    await eventually(async () => openStreams.count === before);
    assert.ok(published < 256, 'the stream was closed before 64 MB were queued for it');
    socket.destroy();
    await ended;
    // The process still answers the visitor.
    assert.equal((await say(s.token, 'still here', 'slow-key-01')).status, 201);
    const replay = await fetch(`${base}/widget/${channelId}/stream`, {
      headers: { origin: ORIGIN, authorization: `Bearer ${s.token}` },
    });
    assert.equal(replay.status, 200);
    await replay.body?.cancel();
  });

  it("the visitor's typing reaches the inbox's event stream as a notice without an id", async () => {
    const s = await start({ name: 'Typist' });
    assert.equal((await say(s.token, 'Hello?', 'typing-key-01')).status, 201);
    const contact = (
      await t.ctx.db
        .selectFrom('widget_visitors')
        .select('contact_id')
        .where('id', '=', s.visitor_id)
        .executeTakeFirstOrThrow()
    ).contact_id;
    const conv = await eventually(async () => {
      const list = await t.call('GET', '/v1/conversations?limit=100', { key: ws.test });
      return list.body.data.find((c: { contact: { id: string } }) => c.contact.id === contact) as
        | { id: string }
        | undefined;
    });
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/events/stream`, {
      headers: { authorization: `Bearer ${ws.test}` },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    // The stream is live once its first bytes came.
    text += (await reader.read()).value ?? '';
    const bad = await w('POST', '/typing', { token: s.token, body: { typing: 'yes' } });
    assert.equal(bad.status, 400, bad.text);
    const typing = await w('POST', '/typing', { token: s.token, body: { typing: true } });
    assert.equal(typing.status, 204, typing.text);
    while (!text.includes('event: conversation.typing')) text += (await reader.read()).value ?? '';
    while (!/event: conversation\.typing\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? '';
    controller.abort();
    const block = /(?:^|\n\n)((?:id: [^\n]*\n)?event: conversation\.typing\ndata: (.*))\n\n/.exec(text)!;
    assert.ok(!block[1]!.startsWith('id:'), 'a notice has no id: a resume neither counts nor replays it');
    const notice = JSON.parse(block[2]!);
    assert.deepEqual(notice.data, { conversation_id: conv.id, contact_id: contact, typing: true });
    assert.equal(notice.object, 'notice');
    const stored = await t.call('GET', '/v1/events?type=conversation.typing', { key: ws.test });
    assert.ok(stored.status === 400 || stored.body.data.length === 0, 'never stored');
  });

  // Last: it uses up this address's sessions for the minute.
  it('refuses a flood of new sessions from one address with 429, making no contact past the limit', async () => {
    const visitors = async () => (await t.ctx.db.selectFrom('widget_visitors').select('id').execute()).length;
    const before = await visitors();
    const statuses: number[] = [];
    for (let i = 0; i < 80 && !statuses.includes(429); i++)
      statuses.push(
        (await w('POST', '/session', { body: { consent: true, pre_chat: { name: `Bot ${i}` } } })).status,
      );
    assert.equal(statuses.at(-1), 429, statuses.join());
    const made = statuses.filter((x) => x === 201).length;
    assert.ok(made <= 60, `${made} sessions`);
    assert.equal(await visitors(), before + made, 'a refused session makes no visitor');
  });
});
