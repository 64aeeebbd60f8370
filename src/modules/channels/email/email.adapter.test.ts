import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmailAdapter, inboundTokenOf, parseAddress, parseInboundEmail } from './email.adapter.ts';

const now = new Date('2026-05-10T08:00:00Z');

describe('email parsing', () => {
  it('reads addresses', () => {
    assert.deepEqual(parseAddress('"Ana Lima" <Ana@Example.com>'), {
      address: 'ana@example.com',
      name: 'Ana Lima',
    });
    assert.deepEqual(parseAddress('bob@example.com'), { address: 'bob@example.com' });
    assert.equal(parseAddress('not an address'), undefined);
  });
  it('parses a SendGrid-style post with a raw header block', () => {
    const b = parseInboundEmail(
      {
        from: 'Ana <ana@example.com>',
        to: 'support@shop.test',
        subject: 'Re: order',
        text: 'Where is it?',
        headers:
          'Message-ID: <abc@mail.example.com>\nIn-Reply-To: <msg_1@shop.test>\nReferences: <x@y> <msg_1@shop.test>\nDate: Sun, 10 May 2026 07:00:00 +0000',
      },
      'support@shop.test',
      now,
    );
    const m = b.messages[0];
    assert.equal(m.providerMessageId, '<abc@mail.example.com>');
    assert.equal(m.replyToProviderId, '<msg_1@shop.test>');
    assert.equal(m.subject, 'Re: order');
    assert.equal(m.from, 'ana@example.com');
    assert.equal(m.type, 'email');
    assert.equal(m.timestamp.toISOString(), '2026-05-10T07:00:00.000Z');
  });
  it('parses Mailgun fields, converts html, and hashes a missing Message-ID stably', () => {
    const body = {
      sender: 'bob@example.com',
      subject: 'Hi',
      'body-html': '<p>Hello <b>there</b></p>',
      'In-Reply-To': '<m@x>',
    };
    const a = parseInboundEmail(body, 'support@shop.test', now).messages[0];
    const b = parseInboundEmail(body, 'support@shop.test', now).messages[0];
    assert.equal(a.text, 'Hello there');
    assert.equal(a.replyToProviderId, '<m@x>');
    assert.equal(a.providerMessageId, b.providerMessageId);
    assert.match(a.providerMessageId, /@parley\.inbound>$/);
    assert.equal(parseInboundEmail({ subject: 'no sender' }, 'x@y.z', now).messages.length, 0);
  });
  it('takes the inbound token from the header or the query, constant-time', () => {
    assert.equal(inboundTokenOf({ headers: { authorization: 'Bearer itk_1' }, url: '/h' }), 'itk_1');
    assert.equal(inboundTokenOf({ headers: {}, url: '/hooks/email/ch_1?token=itk_2' }), 'itk_2');
    const adapter = createEmailAdapter();
    const ch = {
      id: 'ch',
      workspaceId: 'ws',
      livemode: true,
      type: 'email' as const,
      provider: 'smtp' as const,
      address: 's@x.io',
      credentials: { inbound_token: 'itk_ok' },
      settings: {},
    };
    assert.equal(
      adapter.verifyInbound(ch, { rawBody: Buffer.from(''), headers: {}, url: '/h?token=itk_ok', body: {} }),
      true,
    );
    assert.equal(
      adapter.verifyInbound(ch, { rawBody: Buffer.from(''), headers: {}, url: '/h?token=itk_no', body: {} }),
      false,
    );
    assert.equal(
      adapter.verifyInbound(
        { ...ch, credentials: {} },
        { rawBody: Buffer.from(''), headers: {}, url: '/h?token=', body: {} },
      ),
      false,
    );
  });
});
