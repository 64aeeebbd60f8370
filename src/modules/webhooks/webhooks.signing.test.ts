import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { endpointMatches } from './webhooks.jobs.ts';
import { generateSecret, secretKeyBytes, signatureHeaders } from './webhooks.signing.ts';

describe('webhook signing', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret();
    assert.match(a, /^whsec_/);
    assert.equal(secretKeyBytes(a).length, 32);
    assert.notEqual(a, generateSecret());
  });
  it('produces headers the standardwebhooks library verifies, and a hex HMAC of the raw body', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ id: 'evt_1', data: { text: 'héllo' } });
    const headers = signatureHeaders([secret], 'evt_1', new Date(), body);
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    // X-Parley-Signature is keyed with the secret string exactly as shown, whsec_ included.
    const hex = createHmac('sha256', secret).update(body, 'utf8').digest('hex');
    assert.equal(headers['x-parley-signature'], `sha256=${hex}`);
    assert.throws(() => new Webhook(generateSecret()).verify(body, headers));
  });
  it("signs with a caller's own secret that is not whsec_ base64: Standard Webhooks with its UTF-8 bytes", () => {
    const secret = 'whsec_your_signing_secret'; // ConvoAI's docs example
    const body = '{"id":"evt_3"}';
    const headers = signatureHeaders([secret], 'evt_3', new Date(), body);
    assert.deepEqual(secretKeyBytes(secret), Buffer.from(secret, 'utf8'));
    const raw = new Webhook(secret, { format: 'raw' });
    assert.deepEqual(raw.verify(body, headers), JSON.parse(body));
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    assert.equal(headers['x-parley-signature'], `sha256=${hex}`);
  });
  it('signs with both secrets during a rotation', () => {
    const [next, prev] = [generateSecret(), generateSecret()];
    const headers = signatureHeaders([next, prev], 'evt_2', new Date(), '{}');
    new Webhook(next).verify('{}', headers);
    new Webhook(prev).verify('{}', headers);
    assert.equal(headers['x-parley-signature'].split(',').length, 2);
  });
});

describe('endpoint matching', () => {
  const base = { id: 'wh_1', events: '["*"]', agent_id: null, status: 'enabled' as const };
  it('matches subscriptions, agent filters and status', () => {
    assert.equal(endpointMatches(base, { event: 'message.sent', data: {} }), true);
    assert.equal(
      endpointMatches({ ...base, events: '["lead.captured"]' }, { event: 'message.sent', data: {} }),
      false,
    );
    assert.equal(
      endpointMatches(
        { ...base, agent_id: 'agt_1' },
        { event: 'lead.captured', data: { agent_id: 'agt_2' } },
      ),
      false,
    );
    assert.equal(
      endpointMatches(
        { ...base, agent_id: 'agt_1' },
        { event: 'lead.captured', data: { agent_id: 'agt_1' } },
      ),
      true,
    );
    assert.equal(
      endpointMatches({ ...base, status: 'disabled' }, { event: 'message.sent', data: {} }),
      false,
    );
  });
  it('sends webhook.test to the tested endpoint only, even when disabled', () => {
    assert.equal(
      endpointMatches({ ...base, status: 'disabled' }, { event: 'webhook.test', data: { id: 'wh_1' } }),
      true,
    );
    assert.equal(endpointMatches(base, { event: 'webhook.test', data: { id: 'wh_2' } }), false);
  });
});
