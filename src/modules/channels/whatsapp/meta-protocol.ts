import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../platform/crypto.ts';

/**
 * Meta's WhatsApp Cloud API wire format, by concern: this file (the `X-Hub-Signature-256` check and
 * WhatsApp ids), `meta-send.ts` (request bodies for `POST /{phone_number_id}/messages` and the mapping
 * of Graph error codes), `meta-webhook.ts` (the webhook payloads: `messages`, `statuses`,
 * `message_template_status_update`) and `meta-templates.ts` (template submissions). Pure functions only.
 */

/** `sha256=<hex HMAC-SHA256 of the raw body keyed by the app secret>`, compared in constant time. */
export function verifyMetaSignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  appSecret: string,
): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !appSecret || !value.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest('hex');
  return safeEqual(value.slice('sha256='.length).toLowerCase(), expected);
}

export function signMetaPayload(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Meta addresses users by their WhatsApp id: the E.164 number without `+`. */
export const toWaId = (e164: string) => e164.replace(/^\+/, '');
export const fromWaId = (waId: string) => (waId.startsWith('+') ? waId : `+${waId}`);

/**
 * A business-scoped user id: a two-letter country code, a dot, then letters and digits
 * (`US.13491208655302741918`, `US.ENT.118...`). Read leniently (any case, `_` and `-` too, up to
 * 128 characters after the code): a phone number never has a letter or a dot, so nothing that is
 * one is taken for it, and an id Meta writes a little differently is not read as a phone.
 */
export const isBusinessScopedUserId = (value: string) => /^[A-Za-z]{2}\.[A-Za-z0-9._-]{1,128}$/.test(value);
