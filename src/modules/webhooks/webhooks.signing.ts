import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const SECRET_PREFIX = 'whsec_';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key a secret stands for: the bytes of the base64 text after `whsec_`. */
export function secretKeyBytes(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

// Building a Webhook decodes the secret; endpoints are few and deliveries many, so keep them.
const signers = new Map<string, { webhook: Webhook; key: Buffer }>();
function signer(secret: string) {
  let s = signers.get(secret);
  if (!s) {
    if (signers.size > 5000) signers.clear();
    s = { webhook: new Webhook(secret), key: secretKeyBytes(secret) };
    signers.set(secret, s);
  }
  return s;
}

/** `sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret's decoded bytes>`. */
export function parleySignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', signer(secret).key).update(body).digest('hex')}`;
}

/**
 * The signature headers of one attempt. `secrets` lists the current secret first, then the one
 * it replaced while that is still valid: each header then carries one signature per secret
 * (space-separated in `webhook-signature`, as Standard Webhooks specifies; comma-separated in
 * `X-Parley-Signature`), so a receiver holding either secret verifies the delivery.
 */
export function signatureHeaders(
  secrets: string[],
  msgId: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => signer(s).webhook.sign(msgId, at, body)).join(' '),
    'x-parley-signature': secrets.map((s) => parleySignature(s, body)).join(','),
  };
}
