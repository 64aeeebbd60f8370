/**
 * Merging two contacts that are one person (POST /v1/contacts/{id}/merge), and the duplicates a
 * person may want to merge (GET /v1/contacts/{id}/duplicates).
 *
 * The contact named in the path is kept; the other one's phone, email, WhatsApp user id and name
 * fill what the kept one lacks, tags are joined, attributes filled, and do-not-disturb or an
 * opt-out of either holds for the merged contact. Every module that keeps rows of a contact moves
 * them in the same transaction, reacting to the merge's `contact.merged` event
 * (`contactMergeReaction`: conversations, calls, leads, bookings, CSAT, audiences, campaigns,
 * broadcasts), and the consent ledger follows. A row that cannot move because the kept contact already has
 * its unique counterpart (a conversation on the same channel, a recipient of the same campaign)
 * stays with the other contact, which is kept as a record of the merge (`merged_into`), with no
 * address, no tags and never reachable, so both histories stay readable.
 */
import type { AppContext } from '../../platform/context.ts';
import { moveContactRows } from '../../platform/db/rows.ts';
import { tenant } from '../../platform/db/scope.ts';
import { invalidField, notFound } from '../../platform/errors.ts';
import type { Actor, ParleyEvent, Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { lockContacts } from './contacts.lock.ts';
import { type Attributes, type LookupScope, presentContact } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

export interface ContactMergeEvent {
  workspaceId: string;
  livemode: boolean;
  /** The contact that goes away (its rows move to `into`). */
  fromId: string;
  /** The contact that is kept. */
  intoId: string;
}

/** The merge a `contact.merged` event records (`data` is the kept contact, with `merged_contact_id`). */
export function contactMergeOf(event: ParleyEvent): ContactMergeEvent {
  return {
    workspaceId: event.workspace_id,
    livemode: event.livemode,
    fromId: String(event.data.merged_contact_id),
    intoId: String(event.data.id),
  };
}

/**
 * How a module that keeps rows of a contact follows a merge: `move` runs in the merge's
 * transaction, when its `contact.merged` event is recorded (a `follow` reaction: one module after
 * another, in module order).
 */
export function contactMergeReaction(
  name: string,
  move: (tx: Tx, merge: ContactMergeEvent) => Promise<void>,
): Reaction {
  return {
    name,
    hears: ['contact.merged'],
    step: 'follow',
    async run(tx, events) {
      for (const event of events) await move(tx, contactMergeOf(event));
    },
  };
}

/** The merged contact's fields: the kept one's, filled from the other's. */
export function mergedFields(into: ContactRow, from: ContactRow): Partial<ContactRow> {
  const tags = [...new Set([...fromJson<string[]>(into.tags, []), ...fromJson<string[]>(from.tags, [])])];
  const stops = [
    ...new Set([
      ...fromJson<string[]>(into.consent_stops ?? '[]', []),
      ...fromJson<string[]>(from.consent_stops ?? '[]', []),
    ]),
  ];
  const attributes: Attributes = {
    ...fromJson<Attributes>(from.attributes, {}),
    ...fromJson<Attributes>(into.attributes, {}),
  };
  return {
    phone: into.phone ?? from.phone,
    email: into.email ?? from.email,
    whatsapp_user_id: into.whatsapp_user_id ?? from.whatsapp_user_id ?? null,
    messenger_psid: into.messenger_psid ?? from.messenger_psid ?? null,
    instagram_igsid: into.instagram_igsid ?? from.instagram_igsid ?? null,
    telegram_chat_id: into.telegram_chat_id ?? from.telegram_chat_id ?? null,
    name: into.name ?? from.name,
    tags: toJson(tags),
    attributes: toJson(attributes),
    dnd: into.dnd || from.dnd ? 1 : 0,
    opted_out: into.opted_out || from.opted_out ? 1 : 0,
    // A purpose stopped on a channel by either stays stopped.
    consent_stops: stops.length ? toJson(stops) : null,
  };
}

const liveContact = async (tx: Tx, scope: LookupScope, id: string) => {
  const row = await tenant(tx.db, scope).findById('contacts', id);
  if (!row || row.merged_into) throw notFound('contact', id);
  return row;
};

export async function mergeContacts(
  ctx: AppContext,
  scope: LookupScope,
  intoId: string,
  otherId: string,
  actor: Actor,
) {
  if (intoId === otherId)
    throw invalidField('other_id', 'is the contact itself: name another contact to merge');
  return ctx.transaction(async (tx) => {
    await lockContacts(tx.db, [intoId, otherId]);
    const into = await liveContact(tx, scope, intoId);
    const from = await liveContact(tx, scope, otherId).catch(() => {
      throw invalidField('other_id', `no contact with id ${otherId} in this workspace and mode`);
    });
    const now = ctx.clock.now().toISOString();
    // The other contact lets go of its unique addresses first, so the kept one can take them.
    await tx.db
      .updateTable('contacts')
      .set({
        phone: null,
        email: null,
        whatsapp_user_id: null,
        messenger_psid: null,
        instagram_igsid: null,
        telegram_chat_id: null,
        consent_stops: null,
        tags: '[]',
        attributes: '{}',
        dnd: 1,
        opted_out: 1,
        merged_into: into.id,
        merged_at: now,
        updated_at: now,
      })
      .where('id', '=', from.id)
      .execute();
    const merged = { ...into, ...mergedFields(into, from), updated_at: now };
    const { id: _id, workspace_id: _w, livemode: _l, created_at: _c, ...changes } = merged;
    await tx.db.updateTable('contacts').set(changes).where('id', '=', into.id).execute();
    // The consent ledger is history: the other's changes become the kept contact's.
    await moveContactRows(tx.db, 'contact_consents', scope, from.id, into.id);
    const contact = presentContact(merged);
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'contact.merged',
      actor,
      data: { ...contact, merged_contact_id: from.id },
    });
    return contact;
  });
}

export type DuplicateReason = 'phone' | 'email' | 'name';

/**
 * Contacts that may be the same person as `id`: the same email (any case), the same phone
 * number's last 10 digits (a number saved without or with another country code), or the same
 * full name (any case). At most 20, strongest reason first.
 */
export async function duplicatesOf(ctx: AppContext, scope: LookupScope, id: string) {
  const row = await tenant(ctx.db, scope).findById('contacts', id);
  if (!row || row.merged_into) throw notFound('contact', id);
  const tail = row.phone ? row.phone.replace(/\D/g, '').slice(-10) : null;
  const name = row.name?.trim().toLowerCase() || null;
  if (!row.email && !tail && !name) return [];
  const candidates = await tenant(ctx.db, scope)
    .selectFrom('contacts')
    .selectAll()
    .where('id', '!=', row.id)
    .where('merged_into', 'is', null)
    .where((eb) =>
      eb.or([
        ...(row.email ? [eb(eb.fn('lower', ['email']), '=', row.email.toLowerCase())] : []),
        ...(tail && tail.length >= 7 ? [eb('phone', 'like', `%${tail}`)] : []),
        ...(name ? [eb(eb.fn('lower', ['name']), '=', name)] : []),
      ]),
    )
    .limit(50)
    .execute();
  const rank: Record<DuplicateReason, number> = { email: 0, phone: 1, name: 2 };
  return candidates
    .map((c) => {
      const reasons: DuplicateReason[] = [];
      if (row.email && c.email?.toLowerCase() === row.email.toLowerCase()) reasons.push('email');
      if (tail && c.phone?.replace(/\D/g, '').endsWith(tail)) reasons.push('phone');
      if (name && c.name?.trim().toLowerCase() === name) reasons.push('name');
      return { contact: presentContact(c), reasons };
    })
    .filter((d) => d.reasons.length > 0)
    .sort((a, b) => rank[a.reasons[0]!] - rank[b.reasons[0]!])
    .slice(0, 20);
}
