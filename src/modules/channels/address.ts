import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ChannelType } from './channel-adapter.ts';

/** E.164 form of a phone number, read with the workspace's default country; undefined when invalid. */
export function normalizePhone(raw: string, defaultCountry: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string): string | undefined {
  const v = raw.trim().toLowerCase();
  return EMAIL.test(v) && v.length <= 320 ? v : undefined;
}

/** An address for a channel type: an email for email, an E.164 number otherwise. */
export function normalizeAddress(type: ChannelType, raw: string, defaultCountry: string): string | undefined {
  return type === 'email' ? normalizeEmail(raw) : normalizePhone(raw, defaultCountry);
}
