import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { applyEarlyStatuses } from '../../src/modules/messaging/inbound.service.ts';
import {
  CTWA_REFERRAL,
  FakeMetaGraph,
  type FakeNumber,
  statusPayload,
  templatePayload,
} from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  signal,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * WhatsApp Cloud API traffic as Meta documents it, beyond text: customers' media (fetched with
 * `GET /{media-id}` and the bearer token, then kept), username-only senders known by their
 * business-scoped user id, orders, number changes, edits and deletions, click-to-WhatsApp ad
 * referrals, and a status racing the send that stores its id. Payload sources are named at each
 * test ("Meta: ..." is the WhatsApp Business Platform webhook reference page of that name).
 */

/** The smallest JPEG header, then some bytes: what a customer's photo looks like to Parley. */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 1, 2, 3, 4]);

forEachStorage('WhatsApp conformance: media, senders, content kinds', (storage) => {
  let t: TestApp;
  let meta: FakeMetaGraph;
  let ws: Workspace;
  let number: FakeNumber;
  let waId: string;
  let seq = 0;

  const wamid = () => `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMx${++seq}${storage}`;
  const now = () => String(Math.floor(Date.now() / 1000));
  const message = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const byProviderId = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', id).executeTakeFirst();
  const getMessage = async (id: string) => (await t.call('GET', `/v1/messages/${id}`, { key: ws.live })).body;
  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select('type')
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute()
      .then((r) => r.map((e) => e.type));
  /** Meta's `messages` webhook envelope around one change value. */
  const envelope = (value: Record<string, unknown>) => ({
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
              ...value,
            },
          },
        ],
      },
    ],
  });
  const postMeta = async (payload: unknown) => {
    const raw = JSON.stringify(payload);
    const res = await t.call('POST', `/hooks/whatsapp/${waId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(res.status, 200, res.text);
  };
  /** A customer with a phone number writes `msg` (Meta's contacts[] entry with profile and wa_id). */
  const fromCustomer = async (phone: string, msg: Record<string, unknown>, name = 'Sheena Nelson') => {
    const id = wamid();
    const waIdOf = phone.replace('+', '');
    await postMeta(
      envelope({
        contacts: [{ profile: { name }, wa_id: waIdOf }],
        messages: [{ from: waIdOf, id, timestamp: now(), ...msg }],
      }),
    );
    return eventually(() => byProviderId(id));
  };

  before(async () => {
    meta = new FakeMetaGraph('v21.0');
    meta.statusWebhooks = false;
    await meta.start();
    t = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_URL: meta.url, PARLEY_META_GRAPH_VERSION: 'v21.0' },
      modules: providerTestModules(),
    });
    ws = await t.workspace({ default_country: 'US' });
    number = meta.addNumber({ displayPhoneNumber: '15550783881' });
    const wa = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+15550783881',
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
    waId = wa.body.id;
  });
  after(async () => {
    await meta?.settled();
    await t?.close();
    await meta?.stop();
  });

  it("keeps a customer's photo: GET /{media-id}, then its url with the bearer token, served by Parley after", async () => {
    const mediaId = meta.addMedia(number, JPEG, 'image/jpeg');
    // Meta: image messages webhook (image: {caption, mime_type, sha256, id}).
    const row = await fromCustomer('+16505551234', {
      type: 'image',
      image: {
        caption: 'This is a caption',
        mime_type: 'image/jpeg',
        sha256: '81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3',
        id: mediaId,
      },
    });
    const kept = await eventually(async () => {
      const m = await getMessage(row.id);
      return m.attachments.length === 1 ? m : undefined;
    }, 15_000);
    assert.equal(kept.media.caption, 'This is a caption');
    assert.equal(kept.attachments[0].mime_type, 'image/jpeg');
    assert.equal(kept.attachments[0].size, JPEG.length);
    const lookups = meta.requests.filter((r) => r.method === 'GET');
    assert.equal(lookups[0]?.path, `/v21.0/${mediaId}`);
    assert.equal(lookups[1]?.path, '/whatsapp_business/attachments/');
    for (const r of lookups.slice(0, 2))
      assert.equal(r.headers.authorization, `Bearer ${number.accessToken}`);
    // Meta forgets the file (its media expire); Parley still has it.
    meta.media.delete(mediaId);
    const file = await t.parley.app.inject({
      method: 'GET',
      url: `/v1/messages/${row.id}/media`,
      headers: { authorization: `Bearer ${ws.live}` },
    });
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-type'], 'image/jpeg');
    assert.deepEqual(Buffer.from(file.rawPayload), JPEG);
  });

  it('records why media was not kept (too large, a type not kept, Meta refusing) and keeps the message', async () => {
    // Meta's documented image limit is 5 MB: a 6 MB image is refused on `file_size`, before its download.
    const big = meta.addMedia(number, Buffer.alloc(6 * 1024 * 1024, 1), 'image/jpeg');
    const html = meta.addMedia(number, Buffer.from('<script>alert(1)</script>'), 'text/html');
    const downloadsBefore = meta.requests.filter((r) => r.path.startsWith('/whatsapp_business/')).length;
    const a = await fromCustomer('+16505551240', {
      type: 'image',
      image: { mime_type: 'image/jpeg', id: big },
    });
    const b = await fromCustomer('+16505551240', {
      type: 'document',
      document: { filename: 'page.html', mime_type: 'text/html', id: html },
    });
    // Meta's answer for a media id it does not know (code 100, subcode 33).
    const c = await fromCustomer('+16505551240', {
      type: 'audio',
      audio: { mime_type: 'audio/ogg; codecs=opus', id: '999999999', voice: true },
    });
    const errorOf = async (id: string) => (await getMessage(id)).media?.download_error;
    assert.equal((await eventually(() => errorOf(a.id), 15_000)).code, 'media_too_large');
    assert.equal((await eventually(() => errorOf(b.id), 15_000)).code, 'unsupported_media_type');
    assert.equal((await eventually(() => errorOf(c.id), 15_000)).code, 'validation_failed');
    const downloads = meta.requests.filter((r) => r.path.startsWith('/whatsapp_business/'));
    assert.ok(
      !downloads.slice(downloadsBefore).some((r) => r.path.includes(big)),
      'the oversized file was never downloaded',
    );
    for (const id of [a.id, b.id, c.id]) {
      const m = await getMessage(id);
      assert.equal(m.attachments.length, 0);
      assert.ok(m.media.download_url, 'the message and its media reference stay');
    }
  });

  it('retries a media lookup that failed for a while (Meta 500), then keeps the file', async () => {
    const mediaId = meta.addMedia(number, JPEG, 'image/jpeg');
    meta.mediaScript.push({ kind: 'error', status: 500, code: 1, message: 'An unknown error occurred' });
    const row = await fromCustomer('+16505551241', {
      type: 'image',
      image: { mime_type: 'image/jpeg', id: mediaId },
    });
    const kept = await eventually(async () => {
      const m = await getMessage(row.id);
      return m.attachments.length === 1 ? m : undefined;
    }, 20_000);
    assert.equal(kept.media.download_error ?? null, null);
    assert.equal(meta.requests.filter((r) => r.path === `/v21.0/${mediaId}`).length, 2);
  });

  it('stores a username-only sender by business-scoped user id and replies to it with `recipient`', async () => {
    // Meta: "Business-scoped user IDs": contacts[] carries profile.username and user_id, and no
    // wa_id when the user hides their number; messages[] then has from_user_id instead of from.
    const bsuid = 'US.13491208655302741918';
    const id = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Pablo Morales', username: '@pablomorales' }, user_id: bsuid }],
        messages: [
          {
            from_user_id: bsuid,
            id,
            timestamp: now(),
            type: 'text',
            text: { body: 'Hi, is my order ready?' },
          },
        ],
      }),
    );
    const row = await eventually(() => byProviderId(id));
    assert.equal(row.from_address, bsuid);
    const contact = await t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', row.sender_id!)
      .executeTakeFirstOrThrow();
    assert.equal(contact.phone, null);
    assert.equal(contact.whatsapp_user_id, bsuid);
    assert.equal(contact.name, 'Pablo Morales');
    const api = await t.call('GET', `/v1/contacts/${contact.id}`, { key: ws.live });
    assert.equal(api.body.whatsapp_user_id, bsuid);

    // A second message from the same user id reaches the same contact and conversation.
    const id2 = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Pablo Morales' }, user_id: bsuid }],
        messages: [
          { from_user_id: bsuid, id: id2, timestamp: now(), type: 'text', text: { body: 'Hello?' } },
        ],
      }),
    );
    const row2 = await eventually(() => byProviderId(id2));
    assert.equal(row2.sender_id, contact.id);
    assert.equal(row2.conversation_id, row.conversation_id);

    const before = meta.sends(number.phoneNumberId).length;
    const reply = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'Yes, it ships today.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => meta.sends(number.phoneNumberId).slice(before)[0]);
    // Meta's Messages API for a BSUID: `recipient` carries it, `to` is left out.
    assert.equal(sent.body.recipient, bsuid);
    assert.equal(sent.body.to, undefined);
    await eventually(async () => (await message(reply.body.id))?.status === 'sent');
  });

  it('links a user id to the contact of its phone, and finds that contact when the phone is later withheld', async () => {
    const bsuid = 'US.98765432101234567890';
    await fromCustomer('+16505551250', { type: 'text', text: { body: 'First' } });
    const id = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551250', user_id: bsuid }],
        messages: [
          {
            from: '16505551250',
            from_user_id: bsuid,
            id,
            timestamp: now(),
            type: 'text',
            text: { body: 'Second' },
          },
        ],
      }),
    );
    const second = await eventually(() => byProviderId(id));
    const id3 = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Sheena Nelson', username: '@sheena' }, user_id: bsuid }],
        messages: [{ from_user_id: bsuid, id: id3, timestamp: now(), type: 'text', text: { body: 'Third' } }],
      }),
    );
    const third = await eventually(() => byProviderId(id3));
    assert.equal(third.sender_id, second.sender_id);
    assert.equal(third.conversation_id, second.conversation_id);
    const contact = await t.call('GET', `/v1/contacts/${second.sender_id}`, { key: ws.live });
    assert.equal(contact.body.phone, '+16505551250');
    assert.equal(contact.body.whatsapp_user_id, bsuid);
  });

  it('keeps an order with its catalog, products, quantities and prices', async () => {
    // Meta: order messages webhook reference (its example values).
    const row = await fromCustomer('+16505551260', {
      type: 'order',
      order: {
        catalog_id: '194836987003835',
        text: 'Love these!',
        product_items: [
          { product_retailer_id: 'di9ozbzfi4', quantity: 2, item_price: 7.99, currency: 'USD' },
        ],
      },
    });
    const m = await getMessage(row.id);
    assert.equal(m.type, 'order');
    assert.match(m.text, /Love these!/);
    assert.match(m.text, /2 × di9ozbzfi4/);
    assert.deepEqual(m.interactive, {
      catalog_id: '194836987003835',
      text: 'Love these!',
      product_items: [{ product_retailer_id: 'di9ozbzfi4', quantity: 2, item_price: 7.99, currency: 'USD' }],
    });
  });

  it('moves the contact to the new number on user_changed_number, history kept, replies to the new number', async () => {
    const first = await fromCustomer('+16505551270', {
      type: 'text',
      text: { body: 'Hi from my old phone' },
    });
    // Meta: system messages webhook reference (no contacts array; system.wa_id is the new number).
    const id = wamid();
    await postMeta(
      envelope({
        messages: [
          {
            from: '16505551270',
            id,
            timestamp: now(),
            type: 'system',
            system: {
              body: 'User Sheena Nelson changed from 16505551270 to 12195555358',
              wa_id: '12195555358',
              type: 'user_changed_number',
            },
          },
        ],
      }),
    );
    const notice = await eventually(() => byProviderId(id));
    assert.equal(notice.type, 'system');
    assert.equal(notice.sender_type, 'system');
    assert.equal(notice.conversation_id, first.conversation_id);
    const contact = await t.call('GET', `/v1/contacts/${first.sender_id}`, { key: ws.live });
    assert.equal(contact.body.phone, '+12195555358');
    assert.ok((await eventsOf(first.sender_id!)).includes('contact.updated'));
    const thread = await t.call('GET', `/v1/conversations/${first.conversation_id}/messages`, {
      key: ws.live,
    });
    assert.deepEqual(
      thread.body.data.map((m: { id: string }) => m.id),
      [first.id, notice.id],
      'the history stays in the thread',
    );
    const before = meta.sends(number.phoneNumberId).length;
    const reply = await t.call('POST', `/v1/conversations/${first.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'Got your new number.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => meta.sends(number.phoneNumberId).slice(before)[0]);
    assert.equal(sent.body.to, '12195555358');
  });

  it('a known user_id (BSUID) arriving with a new wa_id is a number change: new phone, old one kept, contact.updated, replies to the new number', async () => {
    const bsuid = 'US.55512908655302741999';
    // Meta, "Business-scoped user IDs": contacts[].user_id next to wa_id; from is the wa_id.
    const first = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Pablo Morales' }, wa_id: '16505551290', user_id: bsuid }],
        messages: [{ from: '16505551290', id: first, timestamp: now(), type: 'text', text: { body: 'Hi' } }],
      }),
    );
    const m1 = await eventually(() => byProviderId(first));
    const second = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Pablo Morales' }, wa_id: '16505551291', user_id: bsuid }],
        messages: [
          {
            from: '16505551291',
            id: second,
            timestamp: now(),
            type: 'text',
            text: { body: 'New phone, same me' },
          },
        ],
      }),
    );
    const m2 = await eventually(() => byProviderId(second));
    assert.equal(m2.sender_id, m1.sender_id, 'the same contact');
    assert.equal(m2.from_address, '+16505551291', 'recorded as from the new number');
    const contact = await t.call('GET', `/v1/contacts/${m1.sender_id}`, { key: ws.live });
    assert.equal(contact.body.phone, '+16505551291', JSON.stringify(contact.body));
    assert.equal(contact.body.whatsapp_user_id, bsuid);
    assert.equal(contact.body.attributes.previous_phones, '+16505551290');
    assert.ok((await eventsOf(m1.sender_id!)).includes('contact.updated'));
    assert.equal(m2.conversation_id, m1.conversation_id, 'the thread moves with the contact');
    const before = meta.sends(number.phoneNumberId).length;
    const reply = await t.call('POST', `/v1/conversations/${m1.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'Noted.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => meta.sends(number.phoneNumberId).slice(before)[0]);
    assert.equal(sent.body.to, '16505551291');
  });

  it("applies a customer's edit and deletion to the original message, with message.edited and message.deleted", async () => {
    const original = await fromCustomer('+16505551280', { type: 'text', text: { body: 'See you at 5' } });
    // Meta: edit messages webhook reference (edit: {original_message_id, message}).
    const editId = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551280' }],
        messages: [
          {
            from: '16505551280',
            id: editId,
            timestamp: now(),
            type: 'edit',
            edit: {
              original_message_id: original.provider_message_id,
              message: { type: 'text', text: { body: 'See you at 6' } },
            },
          },
        ],
      }),
    );
    const edited = await eventually(async () => {
      const m = await getMessage(original.id);
      return m.edited_at ? m : undefined;
    });
    assert.equal(edited.text, 'See you at 6');
    assert.equal(await byProviderId(editId), undefined, 'the edit is applied, not stored as a new message');
    // Meta: revoke messages webhook reference (revoke: {original_message_id}).
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551280' }],
        messages: [
          {
            from: '16505551280',
            id: wamid(),
            timestamp: now(),
            type: 'revoke',
            revoke: { original_message_id: original.provider_message_id },
          },
        ],
      }),
    );
    const deleted = await eventually(async () => {
      const m = await getMessage(original.id);
      return m.deleted_at ? m : undefined;
    });
    assert.equal(deleted.text, '');
    assert.deepEqual(
      (await eventsOf(original.id)).filter((e) => e.startsWith('message.')),
      ['message.received', 'message.edited', 'message.deleted'],
    );
    // A deletion of a message Parley never saw is kept as a message of its own, not dropped.
    const lost = wamid();
    await postMeta(
      envelope({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551280' }],
        messages: [
          {
            from: '16505551280',
            id: lost,
            timestamp: now(),
            type: 'revoke',
            revoke: { original_message_id: 'wamid.unknown' },
          },
        ],
      }),
    );
    assert.equal((await eventually(() => byProviderId(lost))).type, 'revoke');
  });

  it('keeps a click-to-WhatsApp ad referral on the message', async () => {
    // Meta: text messages webhook reference, "only included if message sent via a Click to WhatsApp ad".
    const referral = CTWA_REFERRAL;
    const row = await fromCustomer('+16505551290', {
      type: 'text',
      text: { body: 'Is the offer still on?' },
      referral,
    });
    const m = await getMessage(row.id);
    assert.equal(m.text, 'Is the offer still on?');
    assert.deepEqual(m.interactive.referral, referral);
  });

  it('templates with a media header: submitted with its sample handle, sent with the file', async () => {
    // Meta's template docs: a media header is {type: HEADER, format: IMAGE, example: {header_handle:
    // [<handle from the Resumable Upload API>]}}; the send gives {type: header, parameters:
    // [{type: image, image: {link}}]}.
    const handle = '4::aW1hZ2UvanBlZw==:ARZhYWFh_sample';
    const body = {
      name: 'order_delivery_update',
      language: 'en_US',
      category: 'utility',
      header: { type: 'image' },
      body: 'Hi {{1}}, your order is on its way.',
      examples: { body: ['Pablo'] },
    };
    const missing = await t.call('POST', '/v1/templates', { key: ws.live, body });
    assert.equal(missing.status, 400, missing.text);
    assert.deepEqual(
      missing.body.error.errors.map((e: { field: string }) => e.field),
      ['examples.header_handle'],
    );
    const created = await t.call('POST', '/v1/templates', {
      key: ws.live,
      body: { ...body, examples: { body: ['Pablo'], header_handle: handle } },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.header, { type: 'image' });
    const submitted = await eventually(async () =>
      meta.templates.find((x) => x.body.name === 'order_delivery_update'),
    );
    assert.deepEqual(submitted.body.components[0], {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: [handle] },
    });
    // Meta: message_template_status_update webhook.
    await postMeta(templatePayload(number, 'order_delivery_update', 'en_US', 'APPROVED'));
    await eventually(async () => {
      const g = await t.call('GET', `/v1/templates/${created.body.id}`, { key: ws.live });
      return g.body.status === 'approved';
    });
    const noFile = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: '+16505551310', template: { name: 'order_delivery_update', variables: ['Pablo'] } },
    });
    assert.equal(noFile.status, 400, noFile.text);
    assert.equal(noFile.body.error.errors[0].field, 'template.header.media.url');
    const before = meta.sends(number.phoneNumberId).length;
    const ok = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: {
        to: '+16505551310',
        template: {
          name: 'order_delivery_update',
          variables: ['Pablo'],
          header: { media: { url: 'https://cdn.example.com/parcel.jpg' } },
        },
      },
    });
    assert.equal(ok.status, 201, ok.text);
    const req = await eventually(async () => meta.sends(number.phoneNumberId).slice(before)[0]);
    assert.deepEqual(req.body.template.components, [
      {
        type: 'header',
        parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/parcel.jpg' } }],
      },
      { type: 'body', parameters: [{ type: 'text', text: 'Pablo' }] },
    ]);
    await eventually(async () => (await message(ok.body.id))?.status === 'sent');
  });

  it('a status arriving while the send that stores its id is not committed yet is applied, not lost', async () => {
    // A sent message (Meta's answer stored), then the race: a send transaction stores a new
    // provider id and looks for early statuses; before it commits, the `delivered` webhook for
    // that id arrives (Meta: statuses webhook) and is processed.
    const customer = '+16505551299';
    await fromCustomer(customer, { type: 'text', text: { body: 'Hi' } });
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: customer, type: 'text', text: 'Your table is ready.' },
    });
    assert.equal(res.status, 201, res.text);
    const sent = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'sent' ? r : undefined;
    });
    const raceId = `wamid.race${storage}${Date.now()}`;
    const { promise: gate, resolve: release } = signal();
    const { promise: idStored, resolve: stored } = signal();
    const sendTx = t.ctx.transaction(async (tx) => {
      await tx.db
        .updateTable('messages')
        .set({ provider_message_id: raceId })
        .where('id', '=', sent.id)
        .execute();
      await applyEarlyStatuses(tx, [
        { id: sent.id, channel_id: sent.channel_id, provider_message_id: raceId },
      ]);
      stored();
      await gate;
    });
    await idStored;
    const raw = JSON.stringify(statusPayload(number, raceId, customer, 'delivered'));
    const posting = t.call('POST', `/hooks/whatsapp/${waId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    if (storage === 'postgres') {
      // Let the status go as far as it can while the send is open: it either finished (it could
      // not see the message, the bug) or it waits for the send's lock (the fix).
      await eventually(async () => {
        const waiting = await t.ctx.db
          .selectFrom('pg_locks' as any)
          .select((eb: any) => eb.fn.countAll().as('n'))
          .where('locktype' as any, '=', 'advisory')
          .where('granted' as any, '=', false)
          .executeTakeFirst();
        if (Number((waiting as any)?.n ?? 0) > 0) return true;
        const done = await t.ctx.db
          .selectFrom('provider_inbound')
          .select('id')
          .where('raw_body', 'like', `%${raceId}%`)
          .where('processed_at', 'is not', null)
          .executeTakeFirst();
        return Boolean(done);
      }, 15_000);
    }
    // SQLite runs one write transaction at a time: the status waits for the send by design.
    release();
    await sendTx;
    assert.equal((await posting).status, 200);
    await eventually(async () => (await message(sent.id))?.status === 'delivered', 15_000);
    const early = await t.ctx.db
      .selectFrom('early_provider_statuses')
      .select('id')
      .where('provider_message_id', '=', raceId)
      .execute();
    assert.equal(early.length, 0, 'nothing left waiting');
  });
});
