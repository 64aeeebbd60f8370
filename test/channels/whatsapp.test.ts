import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChannelSendError } from '../../src/modules/channels/channel-adapter.ts';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { createWhatsAppAdapter } from '../../src/modules/channels/whatsapp/whatsapp.adapter.ts';
import {
  FakeMetaGraph,
  type FakeNumber,
  messagesPayload,
  statusPayload,
  textMessage,
} from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

const CUSTOMER = '+919876543210';

forEachStorage('WhatsApp Cloud API channel', (storage) => {
  let t: TestApp;
  let fake: FakeMetaGraph;
  let ws: Workspace;
  let number: FakeNumber;
  let channelId: string;
  let base: string;

  const msgByWamid = (wamid: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', wamid).execute();
  const inboundRows = () =>
    t.ctx.db.selectFrom('provider_inbound').selectAll().where('channel_id', '=', channelId).execute();
  const post = (raw: string, signature?: string, contentType = 'application/json') =>
    t.call('POST', `/hooks/whatsapp/${channelId}`, {
      payload: raw,
      headers: { 'content-type': contentType, ...(signature ? { 'x-hub-signature-256': signature } : {}) },
    });

  before(async () => {
    fake = new FakeMetaGraph('v21.0');
    await fake.start();
    t = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_URL: fake.url, PARLEY_META_GRAPH_VERSION: 'v21.0' },
      modules: providerTestModules(),
    });
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    ws = await t.workspace();
    number = fake.addNumber({ displayPhoneNumber: '14155550111' });
    const res = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+14155550111',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'verify-me',
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    channelId = res.body.id;
    number.webhookUrl = `${base}/hooks/whatsapp/${channelId}`;
  });
  after(async () => {
    await fake?.settled();
    await t?.close();
    await fake?.stop();
  });

  it('answers the verification handshake only with the right token', async () => {
    const q = (token: string, mode = 'subscribe') =>
      `/hooks/whatsapp/${channelId}?hub.mode=${mode}&hub.verify_token=${token}&hub.challenge=1158201444`;
    const ok = await t.call('GET', q('verify-me'));
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    assert.match(String(ok.headers['content-type']), /text\/plain/);
    assert.equal((await t.call('GET', q('wrong'))).status, 403);
    assert.equal((await t.call('GET', q('verify-me', 'unsubscribe'))).status, 403);
    assert.equal(
      (
        await t.call(
          'GET',
          `/hooks/whatsapp/ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1`,
        )
      ).status,
      404,
    );
  });

  it('refuses forged, missing and truncated payloads and stores nothing', async () => {
    const raw = JSON.stringify(messagesPayload(number, [textMessage(CUSTOMER, 'forged')]));
    assert.equal((await post(raw, signMetaPayload(raw, 'not-the-secret'))).status, 401);
    assert.equal((await post(raw)).status, 401);
    assert.equal((await post(raw, signMetaPayload(`${raw} `, number.appSecret))).status, 401);
    const truncated = raw.slice(0, 40);
    const res = await post(truncated, signMetaPayload(truncated, number.appSecret));
    assert.equal(res.status, 400);
    // The signature is checked before the body is parsed: a forged, truncated body is a 401.
    assert.equal((await post(truncated, signMetaPayload(truncated, 'not-the-secret'))).status, 401);
    assert.equal((await inboundRows()).length, 0);
  });

  it('stores a signed customer message once, even when delivered twice', async () => {
    const msg = textMessage(CUSTOMER, 'Hello, is my order ready?');
    const payload = messagesPayload(number, [msg], 'Asha');
    assert.equal(await fake.postWebhook(number, payload), 200);
    assert.equal(await fake.postWebhook(number, payload), 200, 'exact replay acknowledged');
    // Meta re-sends the same wamid in a different envelope, too.
    assert.equal(
      await fake.postWebhook(number, { ...payload, entry: [{ ...payload.entry[0], time: 1 }] }),
      200,
    );
    const rows = await eventually(async () => {
      const r = await msgByWamid(msg.id);
      const pending = (await inboundRows()).filter((x) => !x.processed_at);
      return r.length === 1 && pending.length === 0 ? r : undefined;
    });
    assert.equal(rows[0].direction, 'inbound');
    assert.equal(rows[0].text, 'Hello, is my order ready?');
    assert.equal(rows[0].from_address, CUSTOMER);
    assert.equal((await inboundRows()).length, 2, 'the exact replay was not stored again');
    assert.equal((await msgByWamid(msg.id)).length, 1);
  });

  it('keeps unknown message types as unsupported, and ignores statuses for unknown messages', async () => {
    const odd = {
      from: CUSTOMER.slice(1),
      id: 'wamid.ODDTYPE1',
      timestamp: '1700000000',
      type: 'hologram',
      hologram: {},
    };
    assert.equal(await fake.postWebhook(number, messagesPayload(number, [odd])), 200);
    assert.equal(
      await fake.postWebhook(number, statusPayload(number, 'wamid.NEVERSENT', CUSTOMER, 'delivered')),
      200,
    );
    const rows = await eventually(async () => {
      const r = await msgByWamid('wamid.ODDTYPE1');
      const pending = (await inboundRows()).filter((x) => !x.processed_at);
      return r.length === 1 && pending.length === 0 ? r : undefined;
    });
    assert.equal(rows[0].type, 'unsupported');
    assert.equal(
      (await inboundRows()).every((r) => r.error === null),
      true,
    );
  });

  it('sends text to the Graph API and follows the status webhooks to delivered', async () => {
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: CUSTOMER, type: 'text', text: 'Your order ships today.' },
    });
    assert.equal(res.status, 201, res.text);
    const row = await eventually(async () => {
      const r = await t.ctx.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', res.body.id)
        .executeTakeFirst();
      return r?.status === 'delivered' ? r : undefined;
    });
    assert.match(row.provider_message_id ?? '', /^wamid\./);
    const sent = fake.sends(number.phoneNumberId).at(-1)!;
    assert.equal(sent.headers.authorization, `Bearer ${number.accessToken}`);
    assert.deepEqual(sent.body.text, { body: 'Your order ships today.', preview_url: false });
    assert.equal(sent.body.to, CUSTOMER.slice(1));
    assert.equal(sent.body.messaging_product, 'whatsapp');
  });

  it('maps Meta errors: 131047 fails at once with whatsapp_outside_24h_window; a 500 is retried', async () => {
    fake.script.push({ kind: 'error', status: 400, code: 131047, message: 'Re-engagement message' });
    const a = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: CUSTOMER, type: 'text', text: 'late' },
    });
    assert.equal(a.status, 201, a.text);
    const failed = await eventually(async () => {
      const r = await t.ctx.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', a.body.id)
        .executeTakeFirst();
      return r?.status === 'failed' ? r : undefined;
    });
    assert.equal(failed.error_code, 'whatsapp_outside_24h_window');

    fake.script.push({ kind: 'error', status: 500, code: 131000, message: 'Something went wrong' });
    const before = fake.sends(number.phoneNumberId).length;
    const b = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: CUSTOMER, type: 'text', text: 'retry me' },
    });
    const sent = await eventually(async () => {
      const r = await t.ctx.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', b.body.id)
        .executeTakeFirst();
      return r && ['sent', 'delivered'].includes(r.status) ? r : undefined;
    }, 15_000);
    assert.ok(sent.provider_message_id);
    assert.equal(fake.sends(number.phoneNumberId).length - before, 2, 'one failed attempt, one success');
  });

  it('submits live templates to Meta and takes the review webhook', async () => {
    const res = await t.call('POST', '/v1/templates', {
      key: ws.live,
      body: {
        name: 'order_ready',
        language: 'en_US',
        category: 'utility',
        body: 'Hi {{1}}, order {{2}} is ready.',
      },
    });
    assert.equal(res.status, 201, res.text);
    const submitted = await eventually(async () => fake.templates.find((x) => x.body.name === 'order_ready'));
    assert.equal(submitted.body.category, 'UTILITY');
    assert.equal(
      submitted.body.components.find((c: any) => c.type === 'BODY').example.body_text[0].length,
      2,
    );
    assert.equal(await fake.reviewTemplate(number, 'order_ready', 'en_US', 'APPROVED'), 200);
    await eventually(async () => {
      const r = await t.call('GET', `/v1/templates/${res.body.id}`, { key: ws.live });
      return r.body.status === 'approved';
    });
    const send = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: {
        to: CUSTOMER,
        type: 'template',
        template: { name: 'order_ready', language: 'en_US', variables: ['Asha', 'A-17'] },
      },
    });
    assert.equal(send.status, 201, send.text);
    const req = await eventually(async () =>
      fake.sends(number.phoneNumberId).find((r) => r.body.type === 'template'),
    );
    assert.equal(req.body.template.name, 'order_ready');
    assert.deepEqual(req.body.template.components, [
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Asha' },
          { type: 'text', text: 'A-17' },
        ],
      },
    ]);
  });

  it('another channel id or a channel of another provider is not found', async () => {
    const raw = JSON.stringify(messagesPayload(number, [textMessage(CUSTOMER, 'x')]));
    const other = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+12125551234',
        credentials: { account_sid: 'AC1', auth_token: 'tok' },
      },
    });
    assert.equal(other.status, 201, other.text);
    const res = await t.call('POST', `/hooks/whatsapp/${other.body.id}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(res.status, 404);
    assert.equal(
      (
        await t.call('POST', '/hooks/whatsapp/not-an-id', {
          payload: raw,
          headers: { 'content-type': 'application/json' },
        })
      ).status,
      404,
    );
  });
});

describe('WhatsApp adapter against the fake Graph API', () => {
  let fake: FakeMetaGraph;
  let number: FakeNumber;
  const channel = () => ({
    id: 'ch_x',
    workspaceId: 'ws_x',
    livemode: true,
    type: 'whatsapp' as const,
    provider: 'meta' as const,
    address: '+14155550111',
    credentials: {
      phone_number_id: number.phoneNumberId,
      business_account_id: number.businessAccountId,
      access_token: number.accessToken,
      app_secret: number.appSecret,
    },
    settings: {},
  });
  before(async () => {
    fake = new FakeMetaGraph();
    fake.statusWebhooks = false;
    await fake.start();
    number = fake.addNumber();
  });
  after(() => fake.stop());

  it('a timeout is "outcome unknown": not retried, never sent twice silently', async () => {
    const adapter = createWhatsAppAdapter({ graphUrl: fake.url, version: 'v21.0', timeoutMs: 150 });
    fake.script.push({ kind: 'hang' });
    await assert.rejects(
      adapter.send(channel(), { id: 'msg_1', to: CUSTOMER, type: 'text', text: 'hi' }),
      (e: ChannelSendError) =>
        !e.retryable && e.outcomeUnknown && e.code === 'send_outcome_unknown' && e.providerCode === 'timeout',
    );
  });
  it('passes Meta rate limits on as retryable with a wait, and a bad token as not configured', async () => {
    const adapter = createWhatsAppAdapter({ graphUrl: fake.url, version: 'v21.0' });
    fake.script.push({ kind: 'error', status: 400, code: 130429, retryAfter: 3 });
    await assert.rejects(
      adapter.send(channel(), { id: 'm', to: CUSTOMER, type: 'text', text: 'hi' }),
      (e: ChannelSendError) => e.retryable && e.retryAfterMs === 3000,
    );
    await assert.rejects(
      adapter.send(
        { ...channel(), credentials: { ...channel().credentials, access_token: 'bad' } },
        { id: 'm', to: CUSTOMER, type: 'text', text: 'hi' },
      ),
      (e: ChannelSendError) => e.code === 'channel_not_configured' && !e.retryable,
    );
    fake.script.push({ kind: 'raw', status: 502, body: '<html>bad gateway</html>' });
    await assert.rejects(
      adapter.send(channel(), { id: 'm', to: CUSTOMER, type: 'text', text: 'hi' }),
      (e: ChannelSendError) => e.retryable,
    );
  });
  it('sends every content type in a shape Meta accepts', async () => {
    const adapter = createWhatsAppAdapter({ graphUrl: fake.url, version: 'v21.0' });
    const cases = [
      { type: 'image' as const, media: { url: 'https://cdn.example.com/a.jpg', caption: 'A' } },
      { type: 'document' as const, media: { url: 'https://cdn.example.com/a.pdf', filename: 'a.pdf' } },
      { type: 'audio' as const, media: { url: 'https://cdn.example.com/a.ogg' } },
      { type: 'video' as const, media: { url: 'https://cdn.example.com/a.mp4' } },
      {
        type: 'interactive' as const,
        interactive: { kind: 'button' as const, body: 'Confirm?', buttons: [{ id: 'y', title: 'Yes' }] },
      },
      {
        type: 'interactive' as const,
        interactive: {
          kind: 'list' as const,
          body: 'Pick',
          list: { button: 'Menu', sections: [{ rows: [{ id: 'a', title: 'A' }] }] },
        },
      },
      { type: 'text' as const, text: 'reply', replyToProviderId: 'wamid.ctx' },
    ];
    for (const c of cases) {
      const r = await adapter.send(channel(), { id: 'm', to: CUSTOMER, ...c });
      assert.match(r.providerMessageId, /^wamid\./);
    }
    assert.equal(fake.sends().at(-1)!.body.context.message_id, 'wamid.ctx');
  });
});
