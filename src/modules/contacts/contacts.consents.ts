import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type {
  ConsentPurpose,
  ConsentSource,
  ConsentStatus,
  ContactConsentsTable,
  ContactRow,
} from './contacts.tables.ts';

/**
 * The consent ledger: each change of a contact's consent per channel and purpose (`marketing`,
 * `utility`, `service`) with its source (a keyword, Meta's `user_preferences` webhook, a provider
 * error such as Meta 131050, an import, the API) and time. Append-only; the current state is the
 * latest change per channel and purpose, and the stopped ones are kept on the contact's row
 * (`consent_stops`) so a send checks them without a look-up.
 */

export const consentPurposes = ['marketing', 'utility', 'service'] as const;

export interface ConsentChange {
  channel: string;
  purpose: ConsentPurpose;
  status: 'granted' | 'revoked';
  source: ConsentSource;
  detail?: string | null;
}

const stopKey = (channel: string, purpose: string) => `${channel}:${purpose}`;

/** The "channel:purpose" pairs a contact stopped. */
export function consentStopsOf(contact: Pick<ContactRow, 'consent_stops'>): Set<string> {
  return new Set(fromJson<string[]>(contact.consent_stops ?? null, []));
}

/** True when the contact stopped this purpose on this channel type (a marketing send skips them). */
export function consentStopped(
  contact: Pick<ContactRow, 'consent_stops'> | undefined,
  channel: string,
  purpose: ConsentPurpose,
): boolean {
  if (!contact?.consent_stops) return false;
  return consentStopsOf(contact).has(stopKey(channel, purpose));
}

/**
 * Records consent changes of one contact in the caller's transaction, and keeps the contact's
 * stopped purposes in step. Returns the contact's stops after the changes.
 */
export async function recordConsents(
  tx: Tx,
  scope: Scope,
  contact: Pick<ContactRow, 'id' | 'consent_stops'>,
  changes: ConsentChange[],
  at: Date,
): Promise<string[]> {
  const stops = consentStopsOf(contact);
  if (changes.length === 0) return [...stops];
  const recordedAt = at.toISOString();
  await tx.db
    .insertInto('contact_consents')
    .values(
      changes.map((c) => ({
        ...newRow('cns', scope),
        contact_id: contact.id,
        channel: c.channel,
        purpose: c.purpose,
        status: c.status,
        source: c.source,
        detail: c.detail ?? null,
        recorded_at: recordedAt,
      })),
    )
    .execute();
  for (const c of changes) {
    if (c.status === 'revoked') stops.add(stopKey(c.channel, c.purpose));
    else stops.delete(stopKey(c.channel, c.purpose));
  }
  const list = [...stops].sort();
  const value = list.length ? toJson(list) : null;
  if (value !== (contact.consent_stops ?? null))
    await tx.db.updateTable('contacts').set({ consent_stops: value }).where('id', '=', contact.id).execute();
  return list;
}

export interface ConsentState {
  channel: string;
  purpose: string;
  status: ConsentStatus;
  source: ConsentSource;
  detail: string | null;
  recorded_at: string;
}

/** A contact's ledger, oldest first (at most `limit` latest changes), and its current state per channel and purpose. */
export async function consentsOf(
  db: Db | Trx,
  scope: Scope,
  contactId: string,
  limit = 500,
): Promise<{ current: ConsentState[]; history: ConsentState[] }> {
  const rows = await tenant(db, scope)
    .selectFrom('contact_consents')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const history = rows.reverse().map(stateOf);
  const latest = new Map<string, ConsentState>();
  for (const h of history) {
    if (h.status === 'erased') latest.clear();
    else latest.set(stopKey(h.channel, h.purpose), h);
  }
  const current = [...latest.values()].sort(
    (a, b) => a.channel.localeCompare(b.channel) || a.purpose.localeCompare(b.purpose),
  );
  return { current, history };
}

const stateOf = (r: ContactConsentsTable): ConsentState => ({
  channel: r.channel,
  purpose: r.purpose,
  status: r.status,
  source: r.source,
  detail: r.detail,
  recorded_at: r.recorded_at,
});

/**
 * Erasure (a person's request): the contact's consent ledger is deleted and one row is left that
 * says it was erased and when, with nothing of what it held; the contact's stops are cleared.
 * Runs in the caller's transaction; the contact itself may already be gone. The privacy module's
 * contact erasure calls this.
 */
export async function eraseContactConsents(
  tx: Tx,
  scope: Scope,
  contactId: string,
  at: Date,
): Promise<number> {
  const res = await tenant(tx.db, scope)
    .deleteFrom('contact_consents')
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  await tx.db
    .insertInto('contact_consents')
    .values({
      ...newRow('cns', scope),
      contact_id: contactId,
      channel: '*',
      purpose: '*',
      status: 'erased',
      source: 'erasure',
      detail: null,
      recorded_at: at.toISOString(),
    })
    .execute();
  await tenant(tx.db, scope)
    .updateTable('contacts')
    .set({ consent_stops: null })
    .where('id', '=', contactId)
    .execute();
  return Number(res.numDeletedRows);
}
