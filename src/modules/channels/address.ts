import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { invalidPhoneMessage, normalizeEmail, normalizePhone } from '../contacts/index.ts';
import { type ChannelKind, type ChannelType, channelKinds, isMetaUserId } from './kinds.ts';

/**
 * An address for a channel type: an email for email, an E.164 number otherwise; undefined when
 * invalid. The same rules as contacts, so a number a contact accepts is one a message accepts.
 */
export function normalizeAddress(type: ChannelType, raw: string, defaultCountry: string): string | undefined {
  if (channelKinds[type].addressKind === 'meta_user') return metaUserId(raw);
  // A website visitor has no address one can send to first: they are answered in their thread.
  if (channelKinds[type].addressKind === 'visitor') return undefined;
  return (
    (channelKinds[type].addressKind === 'email'
      ? normalizeEmail(raw)
      : normalizePhone(raw, defaultCountry)) ?? undefined
  );
}

/** The field error for an address a channel type cannot take (one wording for every route). */
export function invalidAddressMessage(type: ChannelType, raw?: string, defaultCountry?: string): string {
  if (channelKinds[type].addressKind === 'email') return 'must be a valid email address';
  const hint: string | undefined = (channelKinds[type] as ChannelKind).addressHint;
  if (hint) return `must be ${hint}`;
  if (channelKinds[type].addressKind === 'visitor')
    return 'a website visitor cannot be written to first: reply in their conversation (conversation_id)';
  return raw !== undefined && defaultCountry
    ? invalidPhoneMessage(raw, defaultCountry)
    : 'must be a valid phone number (E.164, e.g. +919876543210)';
}

/**
 * A channel's own address. A number is valid by the full metadata, as on every other route (SMS
 * and voice numbers are real, assigned numbers), except where the channel type says its provider
 * hands out numbers the phone library does not know (Meta's +1 555 0xx xxxx test numbers for
 * WhatsApp developers): there any possible number (right length for its country code).
 */
export function normalizeOwnAddress(
  type: ChannelType,
  raw: string,
  defaultCountry: string,
): string | undefined {
  if (channelKinds[type].addressKind === 'email') return normalizeEmail(raw) ?? undefined;
  // A Messenger channel's own address is its Facebook Page id, an Instagram one its account id.
  if (channelKinds[type].addressKind === 'meta_user') return metaUserId(raw);
  if (channelKinds[type].addressKind === 'visitor') return websiteName(raw);
  const strict = normalizePhone(raw, defaultCountry);
  const kind: ChannelKind = channelKinds[type];
  if (strict || !kind.unassignedOwnNumber) return strict ?? undefined;
  const trimmed = raw.trim();
  if (!trimmed || trimmed.length > 40) return undefined;
  const text = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode);
  return parsed?.isPossible() ? parsed.number : undefined;
}

function metaUserId(raw: string): string | undefined {
  const trimmed = raw.trim();
  return isMetaUserId(trimmed) ? trimmed : undefined;
}

/** A web channel's own address: the website's host name it serves (`www.glowsalon.in`), lower case. */
function websiteName(raw: string): string | undefined {
  const host = raw
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(host) &&
    host.length <= 253
    ? host
    : undefined;
}
