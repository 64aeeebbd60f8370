import { normalizeEmail, normalizePhone } from '../contacts/contacts.service.ts';
import type { ChannelType } from './channel-adapter.ts';

/**
 * An address for a channel type: an email for email, an E.164 number otherwise; undefined when
 * invalid. The same rules as contacts, so a number a contact accepts is one a message accepts.
 */
export function normalizeAddress(type: ChannelType, raw: string, defaultCountry: string): string | undefined {
  return (type === 'email' ? normalizeEmail(raw) : normalizePhone(raw, defaultCountry)) ?? undefined;
}
