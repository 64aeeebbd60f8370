import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { visitorChannel } from '../../src/modules/widget/widget.events.ts';
import { newId } from '../../src/platform/ids.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * The website widget (channel type `web`): CORS only for the channel's allowed domains, visitor
 * sessions, identity tokens, idempotent sends, the visitor's stream with Last-Event-ID replay,
 * the AI's answer and a person's reply from the inbox reaching the visitor, files and floods.
 */
const KEY = 'k'.repeat(40);
const ORIGIN = 'https://www.glowsalon.in';
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(100, 1),
]);
const jwt = (claims: Record<string, unknown>, key = KEY, exp: number | string = '10m') => {
  const j = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== 0) j.setExpirationTime(exp);
  return j.sign(new TextEncoder().encode(key));
};

interface Sse {
  events: Array<{ id?: string; event: string; data: any }>;
  close(): void;
}

/** Reads a widget stream over real HTTP (fetch), collecting its events. */
async function openStream(url: string, headers: Record<string, string>): Promise<Sse & { status: number }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const events: Sse['events'] = [];
  if (res.ok && res.body) {
    (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const e: { id?: string; event: string; data: any } = { event: 'message', data: null };
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) e.id = line.slice(4);
              else if (line.startsWith('event: ')) e.event = line.slice(7);
              else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
            }
            if (e.data !== null) events.push(e);
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch {}
    })();
  }
  return { status: res.status, events, close: () => controller.abort() };
}

forEachStorage('website widget', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  let channelId: string;
  let requiredId: string;

  const w = (
    method: string,
    path: string,
    o: {
      token?: string;
      body?: unknown;
      headers?: Record<string, string>;
      payload?: Buffer;
      origin?: string | null;
    } = {},
  ) =>
    t.call(method, `/widget/${o.headers?.channel ?? channelId}${path}`, {
      body: o.body,
      payload: o.payload,
      headers: {
        ...(o.origin === null ? {} : { origin: o.origin ?? ORIGIN }),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.headers ?? {}),
      },
    });
  const session = async (body: unknown = {}, headers: Record<string, string> = {}) => {
    const res = await w('POST', '/session', { body, headers });
    assert.equal(res.status, 201, res.text);
    return res.body as { token: string; visitor_id: string; verified: boolean };
  };

  before(async () => {
    t = await startTestApp(storage);
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow Salon' } });
    assert.equal(agent.status, 201, agent.text);
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'glowsalon.in',
        agent_id: agent.body.id,
        settings: { allowed_domains: ['*.glowsalon.in', 'glowsalon.in'], theme: { color: '#112233' } },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    assert.equal(ch.body.settings.identity, 'optional');
    assert.equal(ch.body.settings.theme.color, '#112233');
    const req = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'members.glowsalon.in',
        credentials: { signing_key: KEY },
        settings: { allowed_domains: ['members.glowsalon.in'], identity: 'required' },
      },
    });
    assert.equal(req.status, 201, req.text);
    requiredId = req.body.id;
  });
  after(async () => t?.close());

  it('refuses web channel settings that do not hold together', async () => {
    const bad = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'x.example.com',
        settings: { identity: 'required', theme: { color: 'red' } },
      },
    });
    assert.equal(bad.status, 400, bad.text);
    const fields = bad.body.error.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('settings.allowed_domains'), fields.join());
    assert.ok(fields.includes('settings.theme.color'), fields.join());
    const noKey = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'y.example.com',
        settings: { allowed_domains: ['y.example.com'], identity: 'required' },
      },
    });
    assert.equal(noKey.status, 400, noKey.text);
    assert.equal(noKey.body.error.errors[0].field, 'credentials.signing_key');
  });

  it('answers CORS only to the allowed domains, preflight included', async () => {
    const pre = await w('OPTIONS', '/session', { headers: { 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204, pre.text);
    assert.equal(pre.headers['access-control-allow-origin'], ORIGIN);
    const foreign = await w('OPTIONS', '/session', { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    const post = await w('POST', '/session', { origin: 'https://glowsalon.in.evil.example', body: {} });
    assert.equal(post.status, 403, post.text);
    assert.equal(post.body.error.code, 'forbidden');
    const none = await w('POST', '/session', { origin: null, body: {} });
    assert.equal(none.status, 403);
    const config = await w('GET', '/config');
    assert.equal(config.status, 200);
    assert.equal(config.body.theme.color, '#112233');
    // Nothing else of Parley answers CORS.
    const api = await t.call('GET', '/v1/contacts', { key: ws.test, headers: { origin: ORIGIN } });
    assert.equal(api.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a request without a session, and a visitor token never reaches /v1', async () => {
    const res = await w('POST', '/messages', {
      body: { text: 'hi' },
      headers: { 'idempotency-key': 'key-00001' },
    });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
    const forged = await w('POST', '/messages', {
      token: `wvt_${'a'.repeat(43)}`,
      body: { text: 'hi' },
      headers: { 'idempotency-key': 'key-00001' },
    });
    assert.equal(forged.status, 401);
    const s = await session();
    const v1 = await t.call('GET', '/v1/conversations', { key: s.token });
    assert.equal(v1.status, 401);
  });

  it('a session token unused for 30 days expires with a clear 401; one in use stays alive', async () => {
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const send = (token: string, key: string) =>
      w('POST', '/messages', { token, body: { text: 'still there?' }, headers: { 'idempotency-key': key } });
    const idle = await session();
    const used = await session();
    assert.equal((await send(idle.token, 'idle-00001')).status, 201);
    // Both were made 40 days ago; one was last used 31 days ago, the other 29.
    const backdate = (visitor: string, lastUsed: string) =>
      t.ctx.db
        .updateTable('widget_sessions')
        .set({ created_at: days(40), last_used_at: lastUsed })
        .where('visitor_id', '=', visitor)
        .execute();
    await backdate(idle.visitor_id, days(31));
    await backdate(used.visitor_id, days(29));
    const expired = await send(idle.token, 'idle-00002');
    assert.equal(expired.status, 401, expired.text);
    assert.equal(expired.body.error.code, 'unauthorized');
    assert.match(expired.body.error.message, /expired after 30 days without use: start a new one/);
    assert.equal(expired.headers['access-control-allow-origin'], ORIGIN);
    const rows = await t.ctx.db
      .selectFrom('widget_sessions')
      .select('last_used_at')
      .where('visitor_id', 'in', [idle.visitor_id, used.visitor_id])
      .execute();
    assert.equal(rows.length, 1, 'the expired token is deleted');
    // The one used within the window works, and its use moves the window on.
    assert.equal((await send(used.token, 'used-00001')).status, 201);
    const touched = await t.ctx.db
      .selectFrom('widget_sessions')
      .select('last_used_at')
      .where('visitor_id', '=', used.visitor_id)
      .executeTakeFirstOrThrow();
    assert.ok(Date.parse(touched.last_used_at!) > Date.now() - 60_000, touched.last_used_at!);
    // A token never used since it was made counts from its creation.
    await t.ctx.db
      .updateTable('widget_sessions')
      .set({ created_at: days(31), last_used_at: null })
      .where('visitor_id', '=', used.visitor_id)
      .execute();
    assert.equal((await send(used.token, 'used-00002')).status, 401);
  });

  it('stores an idempotent resend once, and the stream replays after Last-Event-ID', async () => {
    const s = await session();
    const send = (key: string, text: string) =>
      w('POST', '/messages', { token: s.token, body: { text }, headers: { 'idempotency-key': key } });
    const first = await send('msg-key-0001', 'Do you have a slot on Friday?');
    assert.equal(first.status, 201, first.text);
    const again = await send('msg-key-0001', 'Do you have a slot on Friday?');
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const conv = await eventually(async () => {
      const list = await t.call('GET', '/v1/conversations?limit=100', { key: ws.test });
      if (list.status !== 200) throw new Error(list.text);
      return list.body.data?.find((c: { channel: string }) => c.channel === 'web') as
        | { id: string }
        | undefined;
    });
    const msgs = await t.call('GET', `/v1/conversations/${conv.id}/messages`, { key: ws.test });
    const fromVisitor = msgs.body.data.filter(
      (m: { direction: string; text: string }) => m.direction === 'inbound',
    );
    assert.equal(fromVisitor.length, 1);

    const headers = { origin: ORIGIN, authorization: `Bearer ${s.token}` };
    const a = await openStream(`${base}/widget/${channelId}/stream`, headers);
    assert.equal(a.status, 200);
    // The AI agent answers on the visitor's stream.
    await eventually(async () => a.events.some((e) => e.data.from === 'business'));
    assert.equal(a.events[0].data.text, 'Do you have a slot on Friday?');
    const seen = a.events.at(-1)!.id!;
    a.close();
    // Meanwhile (the visitor changed pages) a person replies from the inbox.
    const reply = await t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.test,
      body: { text: 'Priya here: Friday 4 pm is free.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const b = await openStream(`${base}/widget/${channelId}/stream`, { ...headers, 'last-event-id': seen });
    await eventually(async () => b.events.some((e) => e.data.text === 'Priya here: Friday 4 pm is free.'));
    assert.ok(
      b.events.every((e) => e.id! > seen),
      'nothing before Last-Event-ID again',
    );
    b.close();
  });

  it('a live event published after one with a later id still reaches the stream', async () => {
    const s = await session();
    const a = await openStream(`${base}/widget/${channelId}/stream`, {
      origin: ORIGIN,
      authorization: `Bearer ${s.token}`,
    });
    assert.equal(a.status, 200);
    const probe = { id: newId('wev'), type: 'message', data: { id: 'msg_probe', text: 'probe' } };
    // Two writers side by side: the first id made is the second published.
    const earlier = { id: newId('wev'), type: 'message', data: { id: 'msg_earlier', text: 'earlier' } };
    const later = { id: newId('wev'), type: 'message', data: { id: 'msg_later', text: 'later' } };
    assert.ok(earlier.id < later.id);
    // (Once the stream is live: an event published now is sent, not replayed.)
    await eventually(async () => {
      await t.ctx.bus.publish(visitorChannel(s.visitor_id), JSON.stringify(probe));
      return a.events.some((e) => e.data.text === 'probe');
    });
    await t.ctx.bus.publish(visitorChannel(s.visitor_id), JSON.stringify(later));
    await t.ctx.bus.publish(visitorChannel(s.visitor_id), JSON.stringify(earlier));
    await eventually(async () => a.events.some((e) => e.data.text === 'later'));
    await eventually(async () => a.events.some((e) => e.data.text === 'earlier'));
    a.close();
  });

  it('gives an identified visitor their own thread on any device, and refuses forged or expired tokens', async () => {
    const reqW = (path: string, o: { body?: unknown; token?: string; identity?: string } = {}) =>
      t.call('POST', `/widget/${requiredId}${path}`, {
        body: o.body ?? {},
        headers: {
          origin: 'https://members.glowsalon.in',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.identity ? { 'x-parley-identity': o.identity } : {}),
          'idempotency-key': `k-${Math.random().toString(36).slice(2)}`,
        },
      });
    assert.equal((await reqW('/session')).status, 401);
    const forged = await reqW('/session', { identity: await jwt({ sub: 'u1' }, 'x'.repeat(40)) });
    assert.equal(forged.status, 401);
    const expired = await reqW('/session', {
      identity: await jwt({ sub: 'u1' }, KEY, Math.floor(Date.now() / 1000) - 60),
    });
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
    const noExp = await reqW('/session', { identity: await jwt({ sub: 'u1' }, KEY, 0) });
    assert.equal(noExp.status, 401);
    const id = await jwt({ sub: 'u1', email: 'asha@example.com', name: 'Asha Rao' });
    const one = await reqW('/session', { identity: id });
    assert.equal(one.status, 201, one.text);
    assert.equal(one.body.verified, true);
    const two = await reqW('/session', { identity: id });
    assert.equal(two.body.visitor_id, one.body.visitor_id);
    // Every request needs the identity, and it must be the session's.
    assert.equal((await reqW('/messages', { token: one.body.token, body: { text: 'hi' } })).status, 401);
    const other = await jwt({ sub: 'u2' });
    assert.equal(
      (await reqW('/messages', { token: one.body.token, identity: other, body: { text: 'hi' } })).status,
      401,
    );
    const ok = await reqW('/messages', { token: one.body.token, identity: id, body: { text: 'hi' } });
    assert.equal(ok.status, 201, ok.text);
    const contacts = await t.call('GET', '/v1/contacts?limit=100', { key: ws.test });
    const asha = contacts.body.data.find((c: { email: string }) => c.email === 'asha@example.com');
    assert.equal(asha.name, 'Asha Rao');
    assert.equal(asha.attributes.verified, true);
  });

  it("erasing the visitor's contact removes their visitor, stream, sends and sessions", async () => {
    const s = await session();
    const text = 'My card ends 4242, call me on +919812300777';
    const sent = await w('POST', '/messages', {
      token: s.token,
      body: { text },
      headers: { 'idempotency-key': 'erase-key-0001' },
    });
    assert.equal(sent.status, 201, sent.text);
    const visitor = await t.ctx.db
      .selectFrom('widget_visitors')
      .select('contact_id')
      .where('id', '=', s.visitor_id)
      .executeTakeFirstOrThrow();
    const events = () =>
      t.ctx.db.selectFrom('widget_events').select('data').where('visitor_id', '=', s.visitor_id).execute();
    assert.ok((await events()).some((e) => e.data.includes('4242')));
    const erase = await t.call('POST', `/v1/contacts/${visitor.contact_id}/erase`, {
      key: ws.test,
      body: { reason: 'visitor asked' },
    });
    assert.equal(erase.status, 202, erase.text);
    await eventually(async () => {
      const e = await t.call('GET', `/v1/erasures/${erase.body.id}`, { key: ws.test });
      return e.body.status === 'completed';
    });
    assert.deepEqual(await events(), []);
    for (const table of ['widget_visitors', 'widget_sessions', 'widget_sends'] as const) {
      const column = table === 'widget_visitors' ? 'id' : 'visitor_id';
      const left = await t.ctx.db.selectFrom(table).select(column).where(column, '=', s.visitor_id).execute();
      assert.deepEqual(left, [], table);
    }
    // The old session token no longer opens the thread.
    const after = await w('POST', '/messages', { token: s.token, body: { text: 'hello again' } });
    assert.equal(after.status, 401, after.text);
  });

  it('takes images within the limit, refuses a 10 MB file and other types', async () => {
    const s = await session();
    const file = (payload: Buffer, key: string) =>
      w('POST', '/files?filename=photo.png', {
        token: s.token,
        payload,
        headers: { 'content-type': 'application/octet-stream', 'idempotency-key': key },
      });
    const ok = await file(PNG, 'file-key-001');
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.files[0].mime_type, 'image/png');
    const big = await file(Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]), 'file-key-002');
    assert.equal(big.status, 413);
    const exe = await file(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), 'file-key-003');
    assert.equal(exe.status, 415);
  });

  it('refuses a flood from one visitor with 429, storing nothing past the limit', async () => {
    const s = await session();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await w('POST', '/messages', {
        token: s.token,
        body: { text: `spam ${i}` },
        headers: { 'idempotency-key': `flood-key-${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        assert.ok(Number(res.headers['retry-after']) >= 1);
        break;
      }
    }
    assert.equal(statuses.at(-1), 429, statuses.join());
    // 30 a minute, on the sliding window (src/platform/limits.ts): one more only when the burst
    // crossed a minute's edge, as the limiter's own test allows.
    const passed = statuses.filter((x) => x === 201).length;
    assert.ok(passed === 30 || passed === 31, statuses.join());
  });

  it("starts a web call from the Call button on the visitor's own contact", async () => {
    const s = await session();
    await w('POST', '/messages', {
      token: s.token,
      body: { text: 'Can I call?' },
      headers: { 'idempotency-key': 'call-key-01' },
    });
    const res = await w('POST', '/call', { token: s.token, body: {} });
    assert.equal(res.status, 201, res.text);
    // Absolute, on Parley's origin: the widget runs on the business's own site, where a relative
    // link would be a page of that site (a 404 there).
    assert.match(res.body.url, /^http:\/\/[^/]+\/app\/call\/call_[0-9A-Z]{26}\?token=/);
    const call = await t.call('GET', `/v1/calls/${res.body.call_id}`, { key: ws.test });
    const conv = await eventually(async () => {
      const list = await t.call('GET', '/v1/conversations?limit=100', { key: ws.test });
      return list.body.data.find(
        (c: { channel: string; contact: { id: string } }) =>
          c.channel === 'web' && c.contact.id === call.body.contact_id,
      );
    });
    assert.ok(conv, 'the call is on the contact of the visitor who chats');
    await t.call('POST', `/v1/calls/${res.body.call_id}/hangup`, { key: ws.test });
    assert.equal((await w('POST', '/call', { body: {} })).status, 401);
  });

  it('serves a loader under 10 KB gzipped that loads the UI on demand', async () => {
    const res = await fetch(`${base}/widget.js`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(gzipSync(Buffer.from(text)).length <= 10 * 1024);
    const ui = /\/widget\/a\/([0-9a-f]{12})\/ui\.js/.exec(text);
    assert.ok(ui, 'the loader names the UI');
    const uiRes = await fetch(`${base}${ui[0]}`);
    assert.equal(uiRes.status, 200);
  });
});
