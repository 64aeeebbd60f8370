import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signMetaPayload, verifyMetaSignature } from './meta-protocol.ts';
import { buildSendBody, mapGraphError } from './meta-send.ts';
import { buildTemplateSubmission } from './meta-templates.ts';
import { parseMetaWebhook } from './meta-webhook.ts';

const now = new Date('2026-05-10T08:00:00Z');
const envelope = (value: Record<string, unknown>, field = 'messages') => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'WABA', changes: [{ field, value }] }],
});
const meta = { display_phone_number: '15550001111', phone_number_id: 'PN1' };

describe('X-Hub-Signature-256', () => {
  const body = Buffer.from('{"a":1}');
  it('accepts the right HMAC and refuses others', () => {
    assert.equal(verifyMetaSignature(body, signMetaPayload(body, 's3cret'), 's3cret'), true);
    assert.equal(verifyMetaSignature(body, signMetaPayload(body, 'other'), 's3cret'), false);
    assert.equal(
      verifyMetaSignature(Buffer.from('{"a":2}'), signMetaPayload(body, 's3cret'), 's3cret'),
      false,
    );
    assert.equal(verifyMetaSignature(body, undefined, 's3cret'), false);
    assert.equal(verifyMetaSignature(body, 'sha1=abc', 's3cret'), false);
    assert.equal(verifyMetaSignature(body, signMetaPayload(body, ''), ''), false);
  });
});

describe('send bodies', () => {
  it('text with context', () => {
    const b = buildSendBody({
      id: 'msg_1',
      to: '+919876543210',
      type: 'text',
      text: 'hi https://x.io',
      replyToProviderId: 'wamid.X',
    });
    assert.deepEqual(b, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '919876543210',
      type: 'text',
      context: { message_id: 'wamid.X' },
      text: { body: 'hi https://x.io', preview_url: true },
    });
  });
  it('template with header and body parameters', () => {
    const b = buildSendBody({
      id: 'msg_1',
      to: '+15551234567',
      type: 'template',
      template: {
        name: 'order_update',
        language: 'en_US',
        renderedBody: 'x',
        bodyParameters: ['Ana', '42'],
        headerParameters: ['Hello'],
      },
    }) as any;
    assert.equal(b.template.name, 'order_update');
    assert.deepEqual(b.template.language, { code: 'en_US', policy: 'deterministic' });
    assert.deepEqual(b.template.components, [
      { type: 'header', parameters: [{ type: 'text', text: 'Hello' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: '42' },
        ],
      },
    ]);
  });
  it('media by link, no caption on audio', () => {
    const doc = buildSendBody({
      id: 'm',
      to: '+15551234567',
      type: 'document',
      media: { url: 'https://x/a.pdf', caption: 'c', filename: 'a.pdf' },
    }) as any;
    assert.deepEqual(doc.document, { link: 'https://x/a.pdf', caption: 'c', filename: 'a.pdf' });
    const audio = buildSendBody({
      id: 'm',
      to: '+15551234567',
      type: 'audio',
      media: { url: 'https://x/a.ogg', caption: 'c' },
    }) as any;
    assert.deepEqual(audio.audio, { link: 'https://x/a.ogg' });
    assert.throws(() => buildSendBody({ id: 'm', to: '+1', type: 'image' }), /media url/);
  });
  it('interactive buttons and lists', () => {
    const btn = buildSendBody({
      id: 'm',
      to: '+15551234567',
      type: 'interactive',
      interactive: {
        kind: 'button',
        body: 'Pick',
        buttons: [
          { id: 'y', title: 'Yes' },
          { id: 'n', title: 'No' },
        ],
      },
    }) as any;
    assert.deepEqual(btn.interactive.action.buttons[0], { type: 'reply', reply: { id: 'y', title: 'Yes' } });
    const list = buildSendBody({
      id: 'm',
      to: '+15551234567',
      type: 'interactive',
      interactive: {
        kind: 'list',
        body: 'Pick',
        list: { button: 'Menu', sections: [{ title: 'A', rows: [{ id: 'r1', title: 'One' }] }] },
      },
    }) as any;
    assert.deepEqual(list.interactive.action, {
      button: 'Menu',
      sections: [{ title: 'A', rows: [{ id: 'r1', title: 'One' }] }],
    });
    assert.throws(() =>
      buildSendBody({
        id: 'm',
        to: '+1',
        type: 'interactive',
        interactive: {
          kind: 'button',
          body: 'x',
          buttons: [1, 2, 3, 4].map((i) => ({ id: `${i}`, title: 't' })),
        },
      }),
    );
  });
});

describe('Graph errors', () => {
  it('maps the documented codes', () => {
    const e = mapGraphError(400, { code: 131047, message: 'Re-engagement message' });
    assert.equal(e.code, 'whatsapp_outside_24h_window');
    assert.equal(e.retryable, false);
    assert.equal(e.providerCode, '131047');
    assert.equal(mapGraphError(400, { code: 131026 }).code, 'whatsapp_undeliverable');
    assert.equal(mapGraphError(400, { code: 130429 }).retryable, true);
    assert.equal(mapGraphError(400, { code: 131056 }).retryAfterMs, 6000);
    assert.equal(mapGraphError(404, { code: 132001 }).code, 'template_not_approved');
    assert.equal(mapGraphError(500, { code: 131000 }).retryable, true);
    assert.equal(mapGraphError(401, { code: 190 }).code, 'channel_not_configured');
    assert.equal(mapGraphError(503, undefined).retryable, true);
    assert.equal(mapGraphError(400, { code: 99999 }).retryable, false);
  });
});

describe('webhook parsing', () => {
  it('parses every message kind and keeps unknown ones as unsupported', () => {
    const batch = parseMetaWebhook(
      envelope({
        messaging_product: 'whatsapp',
        metadata: meta,
        contacts: [{ profile: { name: 'Kerry' }, wa_id: '16315551181' }],
        messages: [
          {
            from: '16315551181',
            id: 'w1',
            timestamp: '1700000000',
            type: 'text',
            text: { body: 'Hello' },
            context: { id: 'wamid.prev' },
          },
          {
            from: '16315551181',
            id: 'w2',
            timestamp: '1700000001',
            type: 'image',
            image: { id: 'MEDIA1', mime_type: 'image/jpeg', caption: 'look' },
          },
          {
            from: '16315551181',
            id: 'w3',
            type: 'location',
            location: { latitude: 1.5, longitude: 2.5, name: 'Cafe' },
          },
          { from: '16315551181', id: 'w4', type: 'button', button: { text: 'Yes', payload: 'YES' } },
          {
            from: '16315551181',
            id: 'w5',
            type: 'interactive',
            interactive: { type: 'list_reply', list_reply: { id: 'r1', title: 'One' } },
          },
          {
            from: '16315551181',
            id: 'w6',
            type: 'reaction',
            reaction: { message_id: 'wamid.out', emoji: '👍' },
          },
          {
            from: '16315551181',
            id: 'w7',
            type: 'unsupported',
            errors: [{ code: 131051, title: 'Message type unknown' }],
          },
          {
            from: '16315551181',
            id: 'w8',
            type: 'contacts',
            contacts: [{ name: { formatted_name: 'Bob' }, phones: [{ phone: '+1' }] }],
          },
          { from: '16315551181', id: 'w9', type: 'ephemeral_thing' },
          // No sender field: from the change's only contact (as a username-only sender's can be).
          { id: 'no-from', type: 'text', text: { body: 'from Kerry' } },
        ],
      }),
      'PN1',
      now,
    );
    const m = batch.messages;
    assert.equal(m.length, 10);
    assert.deepEqual(
      m.map((x) => x.type),
      [
        'text',
        'image',
        'location',
        'button',
        'interactive',
        'reaction',
        'unsupported',
        'contacts',
        'unsupported',
        'text',
      ],
    );
    assert.equal(m[9].from, '+16315551181');
    assert.equal(m[0].from, '+16315551181');
    assert.equal(m[0].to, '+15550001111');
    assert.equal(m[0].profileName, 'Kerry');
    assert.equal(m[0].replyToProviderId, 'wamid.prev');
    assert.equal(m[0].timestamp.getTime(), 1700000000000);
    assert.deepEqual(m[1].media, { id: 'MEDIA1', mime_type: 'image/jpeg', caption: 'look' });
    assert.equal(m[2].text, 'Cafe');
    assert.equal(m[3].payload?.payload, 'YES');
    assert.equal(m[4].text, 'One');
    assert.equal(m[5].replyToProviderId, 'wamid.out');
    assert.equal((m[6].payload?.error as { code: number } | undefined)?.code, 131051);
    assert.equal(m[8].payload?.original_type, 'ephemeral_thing');
    assert.equal(m[2].timestamp.getTime(), now.getTime());
  });
  it('parses statuses with errors, and skips other numbers', () => {
    const batch = parseMetaWebhook(
      envelope({
        metadata: meta,
        statuses: [
          { id: 'w1', status: 'delivered', timestamp: '1700000000', recipient_id: '1' },
          {
            id: 'w2',
            status: 'failed',
            timestamp: '1700000000',
            errors: [{ code: 131026, title: 'Message undeliverable' }],
          },
          { id: 'w3', status: 'deleted' },
        ],
      }),
      'PN1',
      now,
    );
    assert.equal(batch.statuses.length, 2);
    assert.equal(batch.statuses[1].status, 'failed');
    assert.equal(batch.statuses[1].error?.code, 'whatsapp_undeliverable');
    assert.equal(batch.statuses[1].error?.providerCode, '131026');
    const other = parseMetaWebhook(
      envelope({ metadata: { phone_number_id: 'PN2' }, statuses: [{ id: 'w1', status: 'read' }] }),
      'PN1',
      now,
    );
    assert.equal(other.statuses.length, 0);
  });
  it('parses template reviews into notices', () => {
    const batch = parseMetaWebhook(
      envelope(
        {
          event: 'REJECTED',
          message_template_name: 'promo',
          message_template_language: 'en_US',
          reason: 'INVALID_FORMAT',
        },
        'message_template_status_update',
      ),
      'PN1',
      now,
    );
    assert.deepEqual(batch.notices, [
      {
        kind: 'template_status',
        templateName: 'promo',
        language: 'en_US',
        status: 'rejected',
        reason: 'INVALID_FORMAT',
      },
    ]);
  });
  it('tolerates garbage', () => {
    for (const junk of [
      null,
      42,
      'x',
      {},
      { entry: 'x' },
      { entry: [{ changes: [null, { field: 'messages' }] }] },
    ]) {
      assert.deepEqual(parseMetaWebhook(junk, 'PN1', now), { messages: [], statuses: [], notices: [] });
    }
  });
});

describe('template submission', () => {
  it('builds components with examples for variables', () => {
    const t = buildTemplateSubmission({
      name: 'order_update',
      language: 'en_US',
      category: 'utility',
      body: 'Hi {{1}}, order {{2}} shipped',
      header: 'Update',
      footer: 'Thanks',
      buttons: [{ text: 'Track', url: 'https://x.io' }],
    });
    assert.equal(t.category, 'UTILITY');
    const comps = t.components as any[];
    assert.deepEqual(
      comps.map((c) => c.type),
      ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'],
    );
    assert.equal(comps[1].example.body_text[0].length, 2);
    assert.equal(comps[3].buttons[0].type, 'URL');
  });
});

describe("Meta's 2025-2026 webhook additions", () => {
  const parse = (value: Record<string, unknown>) =>
    parseMetaWebhook(envelope({ messaging_product: 'whatsapp', metadata: meta, ...value }), 'PN1', now);

  it('a username-only sender (user_id, no wa_id, from_user_id) is addressed by its BSUID', () => {
    // Meta, "Business-scoped user IDs": contacts[].user_id and profile.username; no phone.
    const batch = parse({
      contacts: [{ profile: { name: 'Pablo', username: '@pablo' }, user_id: 'US.13491208655302741918' }],
      messages: [{ from_user_id: 'US.13491208655302741918', id: 'b1', type: 'text', text: { body: 'Hi' } }],
    });
    const m = batch.messages[0]!;
    assert.equal(m.from, 'US.13491208655302741918');
    assert.equal(m.userId, 'US.13491208655302741918');
    assert.equal(m.username, '@pablo');
    assert.equal(m.profileName, 'Pablo');
    const body = buildSendBody({ id: 'msg_1', to: 'US.13491208655302741918', type: 'text', text: 'Yes' });
    assert.equal(body.recipient, 'US.13491208655302741918');
    assert.equal('to' in body, false);
    assert.equal(
      buildSendBody({ id: 'msg_2', to: '+16505551234', type: 'text', text: 'Yes' }).to,
      '16505551234',
    );
  });

  it('a message naming no sender is from its contact: the only one, or the one at its index', () => {
    const text = (id: string) => ({ id, type: 'text', text: { body: id } });
    const paired = parse({
      contacts: [{ user_id: 'US.1' }, { wa_id: '16505551234', user_id: 'US.2' }],
      messages: [text('p1'), text('p2')],
    });
    assert.deepEqual(
      paired.messages.map((m) => [m.from, m.userId]),
      [
        ['US.1', 'US.1'],
        ['+16505551234', 'US.2'],
      ],
    );
    // Two contacts for three messages: which is whose cannot be told, so none is guessed.
    const unclear = parse({
      contacts: [{ user_id: 'US.1' }, { user_id: 'US.2' }],
      messages: [text('u1'), text('u2'), text('u3')],
    });
    assert.equal(unclear.messages.length, 0);
  });

  it('reads orders, number changes, edits, revokes and ad referrals', () => {
    const batch = parse({
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages: [
        {
          from: '16505551234',
          id: 'o1',
          type: 'order',
          order: {
            catalog_id: '194836987003835',
            text: 'Love these!',
            product_items: [
              { product_retailer_id: 'di9ozbzfi4', quantity: 2, item_price: 7.99, currency: 'USD' },
            ],
          },
        },
        {
          from: '16505551234',
          id: 's1',
          type: 'system',
          system: {
            body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
            wa_id: '12195555358',
            type: 'user_changed_number',
          },
        },
        {
          from: '16505551234',
          id: 'e1',
          type: 'edit',
          edit: {
            original_message_id: 'wamid.orig',
            message: { type: 'image', image: { id: 'M1', mime_type: 'image/jpeg', caption: 'new caption' } },
          },
        },
        { from: '16505551234', id: 'r1', type: 'revoke', revoke: { original_message_id: 'wamid.orig' } },
        {
          from: '16505551234',
          id: 't1',
          type: 'text',
          text: { body: 'Is it still on?' },
          referral: { source_id: '120226305854810726', source_type: 'ad', ctwa_clid: 'Aff-n8Z' },
        },
      ],
    });
    const [order, system, edit, revoke, referred] = batch.messages;
    assert.equal(order!.type, 'order');
    assert.equal(order!.text, 'Love these!\nOrder: 2 × di9ozbzfi4 (7.99 USD)');
    assert.equal((order!.payload as any).product_items[0].item_price, 7.99);
    assert.equal(system!.type, 'system');
    assert.deepEqual(system!.numberChange, { newAddress: '+12195555358' });
    assert.equal(edit!.type, 'image');
    assert.equal(edit!.text, 'new caption');
    assert.deepEqual(edit!.edit, { originalProviderId: 'wamid.orig' });
    assert.equal(revoke!.type, 'revoke');
    assert.deepEqual(revoke!.revoke, { originalProviderId: 'wamid.orig' });
    assert.deepEqual((referred!.payload as any).referral, {
      source_id: '120226305854810726',
      source_type: 'ad',
      ctwa_clid: 'Aff-n8Z',
    });
  });

  it('a media header is sent as a link and submitted with its sample handle', () => {
    const body = buildSendBody({
      id: 'msg_3',
      to: '+16505551234',
      type: 'template',
      template: {
        name: 'invoice',
        language: 'en',
        renderedBody: 'Your invoice',
        bodyParameters: [],
        headerMedia: { type: 'document', url: 'https://cdn.example.com/inv.pdf', filename: 'inv.pdf' },
      },
    });
    assert.deepEqual((body.template as any).components[0], {
      type: 'header',
      parameters: [
        { type: 'document', document: { link: 'https://cdn.example.com/inv.pdf', filename: 'inv.pdf' } },
      ],
    });
    const sub = buildTemplateSubmission({
      name: 'invoice',
      language: 'en',
      category: 'utility',
      body: 'Your invoice',
      headerFormat: 'DOCUMENT',
      examples: { header_handle: '4::YXBwbGljYXRpb24vcGRm:ARb' },
    });
    assert.deepEqual((sub.components as any[])[0], {
      type: 'HEADER',
      format: 'DOCUMENT',
      example: { header_handle: ['4::YXBwbGljYXRpb24vcGRm:ARb'] },
    });
  });
});
