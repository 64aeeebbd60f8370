import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError } from '../src/index.ts';

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const body = JSON.stringify({
  id: 'evt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  event: 'message.received',
  data: { text: 'héllo' },
});
const msgId = 'evt_01JD5Z8Q4X3N2M1K0H9G8F7E6D';

function standardHeaders(s: string, at = new Date()) {
  const signature = new Webhook(s).sign(msgId, at, body);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed by the standardwebhooks package and returns the event', () => {
    const event = verifyWebhook(secret, standardHeaders(secret), body);
    assert.equal(event.event, 'message.received');
    assert.equal(event.data.text, 'héllo');
  });

  it('accepts a Headers object and a Buffer body', () => {
    const event = verifyWebhook(secret, new Headers(standardHeaders(secret)), Buffer.from(body));
    assert.equal(event.id, msgId);
  });

  it('accepts any of several signatures (secret rotation)', () => {
    const other = generateWebhookSecret();
    const h = standardHeaders(secret);
    const rotated = {
      ...h,
      'webhook-signature': `${standardHeaders(other)['webhook-signature']} ${h['webhook-signature']}`,
    };
    assert.equal(verifyWebhook(secret, rotated, body).id, msgId);
    assert.equal(verifyWebhook(other, rotated, body).id, msgId);
  });

  it('refuses a wrong secret, a changed body and a changed id', () => {
    const h = standardHeaders(secret);
    assert.throws(() => verifyWebhook(generateWebhookSecret(), h, body), WebhookVerificationError);
    assert.throws(
      () => verifyWebhook(secret, h, body.replace('héllo', 'hello')),
      /No webhook-signature matches/,
    );
    assert.throws(
      () => verifyWebhook(secret, { ...h, 'webhook-id': 'evt_other' }, body),
      /No webhook-signature matches/,
    );
  });

  it('refuses timestamps more than 5 minutes old or ahead', () => {
    const old = standardHeaders(secret, new Date(Date.now() - 6 * 60_000));
    assert.throws(() => verifyWebhook(secret, old, body), /too old/);
    const ahead = standardHeaders(secret, new Date(Date.now() + 6 * 60_000));
    assert.throws(() => verifyWebhook(secret, ahead, body), /future/);
    const recent = standardHeaders(secret, new Date(Date.now() - 4 * 60_000));
    assert.equal(verifyWebhook(secret, recent, body).id, msgId);
  });

  it('refuses incomplete Standard Webhooks headers rather than falling back', () => {
    const h = standardHeaders(secret);
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    assert.throws(
      () =>
        verifyWebhook(
          secret,
          { 'webhook-signature': h['webhook-signature'], 'x-parley-signature': `sha256=${hex}` },
          body,
        ),
      /Incomplete/,
    );
  });

  it('accepts X-Parley-Signature alone (hex HMAC of the body keyed with the secret string as shown), also comma-separated', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    // Keyed with the decoded bytes it does not match: the key is the string, whsec_ included.
    const decoded = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(body)
      .digest('hex');
    assert.throws(() => verifyWebhook(secret, { 'x-parley-signature': `sha256=${decoded}` }, body));
    assert.equal(verifyWebhook(secret, { 'X-Parley-Signature': `sha256=${hex}` }, body).id, msgId);
    const other = createHmac('sha256', Buffer.from('x')).update(body).digest('hex');
    assert.equal(
      verifyWebhook(secret, { 'x-parley-signature': `sha256=${other},sha256=${hex}` }, body).id,
      msgId,
    );
    assert.throws(
      () => verifyWebhook(secret, { 'x-parley-signature': `sha256=${other}` }, body),
      /does not match/,
    );
    assert.throws(() => verifyWebhook(secret, { 'x-parley-signature': 'md5=abc' }, body), /not of the form/);
  });

  it("verifies with a secret of the caller's own that is not whsec_ base64 (UTF-8 key for Standard Webhooks)", () => {
    const own = 'whsec_your_signing_secret';
    const headers = signWebhook(own, { id: msgId, body });
    assert.equal(verifyWebhook(own, headers, body).id, msgId);
    assert.equal(new Webhook(own, { format: 'raw' }).verify(body, headers) !== undefined, true);
    const hex = createHmac('sha256', own).update(body).digest('hex');
    assert.equal(headers['x-parley-signature'], `sha256=${hex}`);
    assert.throws(() => verifyWebhook('whsec_another_secret_of_mine', headers, body), /No webhook-signature/);
  });

  it('returns the event typed by its type: narrowing on `event` types `data` as its object', () => {
    const delivery = JSON.stringify({
      id: msgId,
      object: 'event',
      event: 'message.received',
      timestamp: '2026-05-10T08:23:41.000Z',
      api_version: 'v1',
      workspace_id: 'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      livemode: false,
      actor: { type: 'customer', id: null },
      data: { id: 'msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D', object: 'message', direction: 'inbound', text: 'Hi' },
    });
    const event = verifyWebhook(secret, signWebhook(secret, { id: msgId, body: delivery }), delivery);
    if (event.event !== 'message.received') assert.fail('expected message.received');
    // Type-checked by `npm run typecheck`: `data` is a message here.
    const text: string | null = event.data.text;
    const direction: 'inbound' | 'outbound' = event.data.direction;
    assert.equal(text, 'Hi');
    assert.equal(direction, 'inbound');
  });

  it('refuses a request with no signature at all', () => {
    assert.throws(() => verifyWebhook(secret, {}, body), /no webhook signature/);
  });

  it('signWebhook produces headers the standardwebhooks package verifies', () => {
    const s = generateWebhookSecret();
    assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signWebhook(s, { id: msgId, body, event: 'message.received' });
    assert.equal(headers['x-parley-event'], 'message.received');
    const verified = new Webhook(s).verify(body, headers) as { id: string };
    assert.equal(verified.id, msgId);
    assert.equal(verifyWebhook(s, { 'x-parley-signature': headers['x-parley-signature'] }, body).id, msgId);
  });
});
