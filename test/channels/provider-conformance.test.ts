import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, statusPayload } from '../fakes/meta-graph.ts';
import { FakeTwilio } from '../fakes/twilio.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * WhatsApp and Twilio traffic as the providers document it: statuses racing the send's answer,
 * timeouts, `played`, read without delivered, senders the phone library does not know, Meta's
 * test numbers, and Twilio's opt-out rules. Payload sources are named at each test.
 */

const PUBLIC = 'https://parley.example.com';

forEachStorage('Provider conformance: WhatsApp and Twilio', (storage) => {
  let t: TestApp;
  let meta: FakeMetaGraph;
  let twilio: FakeTwilio;
  let ws: Workspace;
  let number: FakeNumber;
  let waId: string;
  let smsId: string;
  let base: string;

  const message = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select('type')
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute()
      .then((r) => r.map((e) => e.type));
  const postMeta = (payload: unknown) => {
    const raw = JSON.stringify(payload);
    return t.call('POST', `/hooks/whatsapp/${waId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
  };
  const postTwilio = (path: string, params: Record<string, string>) =>
    t.call('POST', path, {
      payload: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.sign(`${PUBLIC}${path}`, params),
      },
    });
  const contactByPhone = (phone: string) =>
    t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws.id)
      .where('phone', '=', phone)
      .executeTakeFirst();
  /** A customer writes first, so the 24-hour window is open for free-form replies. */
  const customerWrites = async (from: string) => {
    const res = await postMeta({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: number.businessAccountId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: number.displayPhoneNumber,
                  phone_number_id: number.phoneNumberId,
                },
                contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: from.replace('+', '') }],
                messages: [
                  {
                    from: from.replace('+', ''),
                    id: `wamid.in${Date.now()}${Math.random().toString(36).slice(2)}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    text: { body: 'Hello' },
                    type: 'text',
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    assert.equal(res.status, 200);
    await eventually(() => contactByPhone(from));
  };
  const send = async (to: string, text: string) => {
    const res = await t.call('POST', '/v1/messages', { key: ws.live, body: { to, type: 'text', text } });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };

  before(async () => {
    meta = new FakeMetaGraph('v21.0');
    meta.statusWebhooks = false;
    await meta.start();
    twilio = new FakeTwilio();
    await twilio.start();
    t = await startTestApp(storage, {
      env: {
        PARLEY_META_GRAPH_URL: meta.url,
        PARLEY_META_GRAPH_VERSION: 'v21.0',
        PARLEY_TWILIO_API_URL: twilio.url,
        PARLEY_PUBLIC_URL: PUBLIC,
      },
      modules: providerTestModules(),
    });
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    ws = await t.workspace({ default_country: 'US' });
    // Meta's Cloud API test number: +1 555 0xx xxxx ("display_phone_number": "15550783881" in
    // Meta's webhook examples), which the phone library does not list as assigned.
    number = meta.addNumber({ displayPhoneNumber: '15550783881' });
    const wa = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+1 555 078 3881',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'v',
        },
      },
    });
    assert.equal(wa.status, 201, wa.text);
    assert.equal(wa.body.address, '+15550783881');
    waId = wa.body.id;
    number.webhookUrl = `${base}/hooks/whatsapp/${waId}`;
    const sms = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155238886',
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(sms.status, 201, sms.text);
    smsId = sms.body.id;
  });
  after(async () => {
    await meta?.settled();
    await t?.close();
    await meta?.stop();
    await twilio?.stop();
  });

  it('accepts a possible but unassigned number as a channel address, and still refuses nonsense', async () => {
    const bad = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: { type: 'sms', provider: 'sandbox', address: '+1 555' },
    });
    assert.equal(bad.status, 400);
  });

  it('stores a sender whose wa_id the phone library does not know (Meta vouches for it)', async () => {
    // A +1 555 01xx number, as Meta's test recipients are: possible, not assigned.
    await customerWrites('+15550100123');
    const c = await contactByPhone('+15550100123');
    assert.equal(c?.name, 'Kerry Fisher');
  });

  it('keeps a status that arrives before the send stored its provider id, and applies it then', async () => {
    await customerWrites('+16505551234');
    let early = 0;
    meta.beforeAnswer = async (wamid, to, n) => {
      meta.beforeAnswer = undefined;
      // Meta's status webhook shape (statuses[].id/status/timestamp/recipient_id), sent before
      // the answer to the send: delivered, then read.
      for (const status of ['delivered', 'read']) {
        const raw = JSON.stringify(statusPayload(n, wamid, to, status));
        const res = await t.call('POST', `/hooks/whatsapp/${waId}`, {
          payload: raw,
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signMetaPayload(raw, n.appSecret),
          },
        });
        assert.equal(res.status, 200);
      }
      await eventually(async () => {
        const rows = await t.ctx.db
          .selectFrom('early_provider_statuses')
          .select('id')
          .where('provider_message_id', '=', wamid)
          .execute();
        early = rows.length;
        return rows.length === 2;
      });
    };
    const id = await send('+16505551234', 'Your table is ready.');
    const row = await eventually(async () => {
      const r = await message(id);
      return r?.status === 'read' ? r : undefined;
    });
    assert.equal(early, 2);
    assert.ok(row.delivered_at && row.read_at);
    assert.deepEqual(
      (await eventsOf(id)).filter((e) => e.startsWith('message.')),
      ['message.sent', 'message.delivered', 'message.read'],
    );
    const left = await t.ctx.db
      .selectFrom('early_provider_statuses')
      .select('id')
      .where('provider_message_id', '=', row.provider_message_id!)
      .execute();
    assert.equal(left.length, 0, 'applied statuses are not kept');
  });

  it('emits message.delivered when read arrives without delivered, and takes `played` as read', async () => {
    await customerWrites('+16505551235');
    const a = await send('+16505551235', 'Voice note coming.');
    const sentA = await eventually(async () => {
      const r = await message(a);
      return r?.status === 'sent' ? r : undefined;
    });
    // Meta documents `played` for voice messages the customer listened to.
    assert.equal(
      (await postMeta(statusPayload(number, sentA.provider_message_id!, '+16505551235', 'played'))).status,
      200,
    );
    await eventually(async () => (await message(a))?.status === 'read');
    assert.deepEqual(
      (await eventsOf(a)).filter((e) => e.startsWith('message.')),
      ['message.sent', 'message.delivered', 'message.read'],
    );
  });

  it('a send timeout is "outcome unknown": failed with send_outcome_unknown, sent once, not retried', async () => {
    await customerWrites('+16505551236');
    meta.script.push({ kind: 'hang' });
    const before = meta.sends(number.phoneNumberId).length;
    // The send's time limit is 2 s here, not 15 (config.testing, read as the request starts).
    t.ctx.config.testing!.graphTimeoutMs = 2000;
    let row: NonNullable<Awaited<ReturnType<typeof message>>>;
    try {
      const id = await send('+16505551236', 'Are you coming?');
      row = await eventually(async () => {
        const r = await message(id);
        return r?.status === 'failed' ? r : undefined;
      }, 30_000);
    } finally {
      t.ctx.config.testing!.graphTimeoutMs = undefined;
    }
    assert.equal(row.error_code, 'send_outcome_unknown');
    assert.match(
      row.error_message ?? '',
      /did not answer in time: the message may or may not have been sent/,
    );
    assert.equal(meta.sends(number.phoneNumberId).length - before, 1, 'the provider saw one request only');
  });

  it('templates: submits every example Meta requires, and sends header, body and url-button values', async () => {
    // Meta's template docs: a text header "Our {{1}} is on!" (sample "Summer Sale"), a url button
    // "https://www.luckyshrub.com/shop?promo={{1}}" (sample URL ".../shop?promo=summer2023").
    const created = await t.call('POST', '/v1/templates', {
      key: ws.live,
      body: {
        name: 'summer_sale',
        language: 'en_US',
        category: 'marketing',
        header: { type: 'text', text: 'Our {{1}} is on!' },
        body: 'Shop now through {{1}} and use code {{2}} to get {{3}} off of all merchandise.',
        buttons: [{ type: 'url', text: 'Shop Now', url: 'https://www.luckyshrub.com/shop?promo={{1}}' }],
        examples: {
          header: ['Summer Sale'],
          body: ['the end of August', '25OFF', '25%'],
          buttons: [{ index: 0, value: 'summer2023' }],
        },
      },
    });
    assert.equal(created.status, 201, created.text);
    const submitted = await eventually(async () => meta.templates.find((x) => x.body.name === 'summer_sale'));
    const comps = submitted.body.components;
    assert.deepEqual(comps[0].example, { header_text: ['Summer Sale'] });
    assert.deepEqual(comps[1].example, { body_text: [['the end of August', '25OFF', '25%']] });
    assert.deepEqual(comps[2].buttons[0].example, ['https://www.luckyshrub.com/shop?promo=summer2023']);
    assert.equal(submitted.body.parameter_format, undefined);
    await meta.reviewTemplate(number, 'summer_sale', 'en_US', 'APPROVED');
    await eventually(async () => {
      const g = await t.call('GET', `/v1/templates/${created.body.id}`, { key: ws.live });
      return g.body.status === 'approved';
    });

    // Values missing for the header and the url button: a 400 naming each, nothing sent.
    const bad = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: '+16505551237', template: { name: 'summer_sale', variables: ['Sunday', 'SUN10', '10%'] } },
    });
    assert.equal(bad.status, 400, bad.text);
    const fields = bad.body.error.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('template.header.variables.1'), fields.join());
    assert.ok(fields.includes('template.buttons.0.variables.1'), fields.join());

    const before = meta.sends(number.phoneNumberId).length;
    const ok = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: {
        to: '+16505551237',
        template: {
          name: 'summer_sale',
          variables: ['Sunday', 'SUN10', '10%'],
          header: { variables: ['Weekend Sale'] },
          buttons: [{ index: 0, variables: ['weekend'] }],
        },
      },
    });
    assert.equal(ok.status, 201, ok.text);
    const req = await eventually(async () => meta.sends(number.phoneNumberId).slice(before)[0]);
    // Meta's "Send template messages" request shape: one component per part with values.
    assert.deepEqual(req.body.template.components, [
      { type: 'header', parameters: [{ type: 'text', text: 'Weekend Sale' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Sunday' },
          { type: 'text', text: 'SUN10' },
          { type: 'text', text: '10%' },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'weekend' }] },
    ]);
  });

  it('templates with {{name}} placeholders are submitted with parameter_format NAMED and named samples', async () => {
    // Meta's named-parameter example: "Thank you, {{first_name}}! Your order number is {{order_number}}."
    const created = await t.call('POST', '/v1/templates', {
      key: ws.live,
      body: {
        name: 'order_confirmation',
        language: 'en_US',
        category: 'utility',
        body: 'Thank you, {{first_name}}! Your order number is {{order_number}}.',
        examples: { body: { first_name: 'Pablo', order_number: '860198-230332' } },
      },
    });
    assert.equal(created.status, 201, created.text);
    const submitted = await eventually(async () =>
      meta.templates.find((x) => x.body.name === 'order_confirmation'),
    );
    assert.equal(submitted.body.parameter_format, 'NAMED');
    assert.deepEqual(submitted.body.components[0].example, {
      body_text_named_params: [
        { param_name: 'first_name', example: 'Pablo' },
        { param_name: 'order_number', example: '860198-230332' },
      ],
    });
  });

  it("opts out on Twilio's full default list (REVOKE, OPTOUT...) and on OptOutType", async () => {
    const from = '+14155550199';
    let n = 0;
    const inbound = (Body: string, extra: Record<string, string> = {}) =>
      postTwilio(`/hooks/twilio/${smsId}/sms`, {
        MessageSid: `SM${String(++n).padStart(32, '0')}`,
        AccountSid: twilio.accountSid,
        From: from,
        To: '+14155238886',
        Body,
        NumMedia: '0',
        ...extra,
      });
    const optedOut = async (v: number) => (await contactByPhone(from))?.opted_out === v;
    assert.equal((await inbound('Hello')).status, 200);
    await eventually(() => contactByPhone(from));
    for (const word of ['REVOKE', 'optout', 'stopall', 'QUIT.']) {
      await inbound(word);
      await eventually(() => optedOut(1));
      await inbound('UNSTOP');
      await eventually(() => optedOut(0));
    }
    // Twilio Advanced Opt-Out with a custom keyword: Twilio says OptOutType=STOP (its docs'
    // inbound webhook parameter), and its verdict wins over Parley's list.
    await inbound('ARRET', { OptOutType: 'STOP' });
    await eventually(() => optedOut(1));
    await inbound('Yes', { OptOutType: 'START' });
    await eventually(() => optedOut(0));
  });

  it('error 21610 on send or in a status callback marks the contact opted out', async () => {
    const to = '+14155550188';
    // Twilio's error body for 21610 ("Attempt to send to unsubscribed recipient").
    twilio.script.push({
      kind: 'error',
      status: 400,
      code: 21610,
      message: 'Attempt to send to unsubscribed recipient',
    });
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to, channel: 'sms', type: 'text', text: 'Your order shipped.' },
    });
    assert.equal(res.status, 201, res.text);
    const row = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'failed' ? r : undefined;
    });
    assert.equal(row.error_code, 'contact_opted_out');
    await eventually(async () => (await contactByPhone(to))?.opted_out === 1);
    const again = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to, channel: 'sms', type: 'text', text: 'Hello?' },
    });
    assert.equal(again.status, 422);
    assert.equal(again.body.error.code, 'contact_opted_out');

    // The same through a status callback (MessageStatus=undelivered, ErrorCode=21610).
    const to2 = '+14155550177';
    const res2 = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: to2, channel: 'sms', type: 'text', text: 'Reminder' },
    });
    const sent = await eventually(async () => {
      const r = await message(res2.body.id);
      return r?.status === 'sent' ? r : undefined;
    });
    await postTwilio(`/hooks/twilio/${smsId}/status`, {
      MessageSid: sent.provider_message_id!,
      AccountSid: twilio.accountSid,
      MessageStatus: 'undelivered',
      ErrorCode: '21610',
    });
    await eventually(async () => (await contactByPhone(to2))?.opted_out === 1);
  });
});
