import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The key of the Standard Webhooks signature, as that specification defines it: the bytes of
 * the base64 text after `whsec_`. A caller's own secret that is not of that form (ConvoAI's
 * `whsec_your_signing_secret`, any passphrase) signs with its UTF-8 bytes instead.
 */
export function secretKeyBytes(secret: string): Buffer {
  if (secret.startsWith(SECRET_PREFIX)) {
    const b64 = secret.slice(SECRET_PREFIX.length);
    if (b64.length >= 4 && BASE64.test(b64)) return Buffer.from(b64, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

// Decoding a secret per delivery adds up; endpoints are few and deliveries many, so keep them.
const keys = new Map<string, Buffer>();
function keyOf(secret: string) {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size > 5000) keys.clear();
    k = secretKeyBytes(secret);
    keys.set(secret, k);
  }
  return k;
}

/**
 * `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the secret string exactly as shown
 * (`whsec_` included): the signature every developer already knows how to check.
 */
export function parleySignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Standard Webhooks `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
function standardSignature(secret: string, msgId: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`;
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
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'webhook-id': msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((s) => standardSignature(s, msgId, timestamp, body)).join(' '),
    'x-parley-signature': secrets.map((s) => parleySignature(s, body)).join(','),
  };
}
