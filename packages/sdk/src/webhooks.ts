import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebhookEvent } from './types.ts';

/** How far a `webhook-timestamp` may be from now (either way): 5 minutes, as Standard Webhooks. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The key of the Standard Webhooks signature: the base64-decoded part of a `whsec_<base64>`
 * secret, as that specification defines it; for a secret of your own in another form, its UTF-8
 * bytes. (`X-Parley-Signature` is keyed with the secret string itself.)
 */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret) throw new WebhookVerificationError('The webhook secret is empty.');
  if (secret.startsWith('whsec_')) {
    const b64 = secret.slice('whsec_'.length);
    if (b64.length >= 4 && BASE64.test(b64)) return Buffer.from(b64, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/** A fresh `whsec_...` secret (32 random bytes). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Checks a delivery's signature and returns the parsed event. Accepts either signature Parley
 * sends: the Standard Webhooks headers (checked when present; several `v1,` signatures may be
 * listed during a secret rotation; a timestamp more than 5 minutes away is refused), or else
 * `X-Parley-Signature: sha256=<hex>` over the raw body. Pass the body exactly as received.
 * Tool requests (docs/tools.md) are signed the same way with the workspace's tool key; one with
 * no body (a GET) verifies and returns an empty object.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): WebhookEvent {
  const key = webhookSecretKey(secret);
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  const parley = header(headers, 'x-parley-signature');

  if (id || timestamp || signatures) {
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError(
        'Incomplete Standard Webhooks headers: webhook-id, webhook-timestamp and webhook-signature are all required.',
      );
    }
    if (!/^\d+$/.test(timestamp))
      throw new WebhookVerificationError('webhook-timestamp is not a unix timestamp.');
    const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
    const tolerance = opts.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
    const age = now - Number(timestamp);
    if (age > tolerance)
      throw new WebhookVerificationError('The webhook timestamp is too old (possible replay).');
    if (age < -tolerance)
      throw new WebhookVerificationError('The webhook timestamp is too far in the future.');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
    const ok = signatures.split(' ').some((sig) => {
      const [version, value] = sig.split(',', 2);
      return version === 'v1' && value !== undefined && safeEqual(expected, Buffer.from(value, 'base64'));
    });
    if (!ok) throw new WebhookVerificationError('No webhook-signature matches this secret.');
  } else if (parley) {
    // During a secret rotation it lists one signature per secret, comma-separated.
    const values = parley.split(',').map((v) => /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(v)?.[1]);
    if (values.some((v) => v === undefined))
      throw new WebhookVerificationError('X-Parley-Signature is not of the form sha256=<hex>.');
    const expected = createHmac('sha256', secret).update(body).digest();
    if (!values.some((v) => safeEqual(expected, Buffer.from(v!, 'hex')))) {
      throw new WebhookVerificationError('X-Parley-Signature does not match this secret.');
    }
  } else {
    throw new WebhookVerificationError(
      'The request carries no webhook signature (webhook-signature or X-Parley-Signature).',
    );
  }

  // A tool request without a body (GET, DELETE) is signed over the empty body: it verifies as `{}`.
  if (body.length === 0) return {} as WebhookEvent;
  try {
    return JSON.parse(body.toString('utf8')) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('The webhook body is not JSON.');
  }
}

/**
 * The headers Parley puts on a delivery, for a body signed with `secret`: both signatures and
 * `X-Parley-Event`. `parley webhooks listen` uses it to re-sign events for a local receiver.
 */
export function signWebhook(
  secret: string,
  delivery: { id: string; body: string; timestamp?: Date; event?: string },
): Record<string, string> {
  const key = webhookSecretKey(secret);
  const ts = String(Math.floor((delivery.timestamp ?? new Date()).getTime() / 1000));
  const v1 = createHmac('sha256', key).update(`${delivery.id}.${ts}.${delivery.body}`).digest('base64');
  const hex = createHmac('sha256', secret).update(delivery.body).digest('hex');
  return {
    'webhook-id': delivery.id,
    'webhook-timestamp': ts,
    'webhook-signature': `v1,${v1}`,
    'x-parley-signature': `sha256=${hex}`,
    ...(delivery.event ? { 'x-parley-event': delivery.event } : {}),
  };
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : record[key];
  return Array.isArray(v) ? v.join(' ') : v;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
