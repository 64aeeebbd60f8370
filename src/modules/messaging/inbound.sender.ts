import type { Actor, Tx } from '../../platform/events.ts';
import type { ChannelConfig, InboundMessage } from '../channels/index.ts';
import { channelKinds, contactKeyFor, optKeyword, plainOptKeyword } from '../channels/index.ts';
import {
  type ContactRow,
  changeWhatsAppUserId,
  consentPurposes,
  findOrCreateContact,
  findOrCreateMetaUserContact,
  findOrCreateWhatsAppContact,
  getContactRow,
  moveContactPhone,
  recordConsents,
  setContactOptOut,
} from '../contacts/index.ts';
import { moveThreadsAddress } from '../conversations/index.ts';

/**
 * Who wrote an inbound message: the sender's contact found or made (by phone, email or WhatsApp
 * business-scoped user id), an opt keyword applied (and recorded in the consent ledger), a
 * number or user id change followed.
 */

export type InboundScope = { workspaceId: string; livemode: boolean; defaultCountry: string };

/** Who wrote: their contact (after an opt keyword or a number change), address and actor. */
export interface Sender {
  contact: ContactRow;
  address: string;
  actor: Actor;
  /** What a number change did, kept in the message's payload. */
  numberMove: Record<string, unknown>;
}

/**
 * The sender's contact, found or created (verified webhooks only reach here: the provider vouches
 * for the sender's number), with an opt keyword applied and a number change followed.
 */
export async function identifySender(
  tx: Tx,
  scope: InboundScope,
  channel: ChannelConfig,
  m: InboundMessage,
  now: Date,
): Promise<Sender> {
  const customer: Actor = { type: 'customer', id: null };
  const name = m.profileName?.trim() || undefined;
  // Messenger and Instagram: the customer is Meta's scoped id (PSID, IGSID), their thread's address.
  const userIdField = channelKinds[channel.type].userIdField;
  if (userIdField) {
    const { contact } = await findOrCreateMetaUserContact(
      tx,
      scope,
      { field: userIdField, id: m.from, name },
      customer,
    );
    return { contact, address: m.from, actor: { type: 'customer', id: contact.id }, numberMove: {} };
  }
  const isEmail = channelKinds[channel.type].addressKind === 'email';
  // The website widget knows its visitor's contact: the thread is addressed to the visitor id.
  if (m.contactId) {
    const contact = await getContactRow(tx.db, scope, m.contactId);
    return { contact, address: m.from, actor: { type: 'customer', id: contact.id }, numberMove: {} };
  }
  // A WhatsApp sender may come with a business-scoped user id, or with only that (a username-only sender).
  let { contact } =
    !isEmail && m.userId
      ? await findOrCreateWhatsAppContact(
          tx,
          scope,
          { ...(m.from === m.userId ? {} : { phone: m.from }), userId: m.userId, name },
          customer,
        )
      : await findOrCreateContact(
          tx,
          scope,
          { ...contactKeyFor(channel.type, m.from), name, providerVouched: true },
          customer,
        );
  const actor: Actor = { type: 'customer', id: contact.id };
  // An opt-out keyword: STOP opts the sender out, START back in, in this message's transaction,
  // so the agent does not answer an unsubscribe and no send to them goes out.
  const keyword = optKeywordOf(channel, m, isEmail);
  if (keyword && (contact.opted_out === 1) !== (keyword === 'opt_out'))
    contact = await setContactOptOut(tx, scope, contact.id, keyword === 'opt_out', actor);
  // The consent ledger keeps what the customer said, for every purpose on this channel.
  if (keyword) {
    const status = keyword === 'opt_out' ? 'revoked' : 'granted';
    const detail = m.text.trim().slice(0, 100) || keyword;
    const changes = consentPurposes.map(
      (purpose) =>
        ({
          channel: channel.type,
          purpose,
          status,
          source: 'keyword',
          detail,
        }) as const,
    );
    const stops = await recordConsents(tx, scope, contact, changes, now);
    contact = { ...contact, consent_stops: stops.length ? JSON.stringify(stops) : null };
  }
  // A username-only contact's threads are addressed to its user id until a phone is known.
  let address = isEmail
    ? (contact.email ?? m.from.toLowerCase())
    : (contact.phone ?? (m.userId && contact.whatsapp_user_id === m.userId ? m.userId : m.from));
  // Meta gave the user a new business-scoped user id: the contact is found by it from now on, and
  // threads addressed to the old one follow it.
  if (m.userIdChange) {
    const before = contact.whatsapp_user_id;
    contact = await changeWhatsAppUserId(tx, scope, contact, m.userIdChange.newUserId, {
      type: 'system',
      id: null,
    });
    if (before && address === before && contact.whatsapp_user_id !== before) {
      address = contact.whatsapp_user_id as string;
      await moveThreadsAddress(tx.db, contact.id, channel.type, before, address, now.toISOString());
    }
  }
  return { ...(await followNumberChange(tx, scope, channel, m, contact, address, now)), actor };
}

/** SMS takes the carriers' keywords; other phone channels (WhatsApp) the unambiguous ones only. */
function optKeywordOf(channel: ChannelConfig, m: InboundMessage, isEmail: boolean) {
  if (m.type !== 'text' || !m.text || isEmail) return m.optOut;
  return channelKinds[channel.type].optOutKeywords
    ? (m.optOut ?? optKeyword(m.text))
    : plainOptKeyword(m.text);
}

/**
 * A number change (WhatsApp `user_changed_number`, or a known business-scoped user id writing
 * from a new number): the contact and its open threads move to the new number, history kept.
 */
async function followNumberChange(
  tx: Tx,
  scope: InboundScope,
  channel: ChannelConfig,
  m: InboundMessage,
  contact: ContactRow,
  address: string,
  now: Date,
): Promise<Omit<Sender, 'actor'>> {
  const newAddress = m.numberChange?.newAddress ?? bsuidNewNumber(m, contact);
  if (!newAddress) return { contact, address, numberMove: {} };
  const moved = await moveContactPhone(tx, scope, contact, newAddress, { type: 'system', id: null });
  if (!moved.moved)
    return {
      contact,
      address,
      numberMove: { contact_moved: false, ...(moved.holder ? { number_taken_by: moved.holder.id } : {}) },
    };
  const phone = moved.contact.phone as string;
  await moveThreadsAddress(tx.db, contact.id, channel.type, address, phone, now.toISOString());
  return { contact: moved.contact, address: phone, numberMove: { contact_moved: true } };
}

/**
 * The new number of a WhatsApp sender Parley knows by its business-scoped user id (`contacts[].user_id`)
 * when Meta now gives another `wa_id` for it (the customer changed numbers), or its first number.
 */
function bsuidNewNumber(
  m: { from: string; userId?: string },
  contact: { phone: string | null; whatsapp_user_id?: string | null },
): string | undefined {
  if (!m.userId || m.from === m.userId || contact.whatsapp_user_id !== m.userId) return undefined;
  // A contact known only by its user id (a username-only sender) takes the phone when Meta shares it.
  return contact.phone !== m.from ? m.from : undefined;
}
