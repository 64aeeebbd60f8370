import type { Db, Trx } from '../../platform/db/database.ts';
import { insertRows } from '../../platform/db/rows.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { presentContact } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/**
 * Inserts contacts in the given order, skipping a phone the workspace's mode already has (the
 * send path's batch, with its own transaction as `db`); returns how many were inserted.
 */
export async function insertNewContactsByPhone(db: Db | Trx, rows: ContactRow[]): Promise<number> {
  const inserted = await insertRows(db, 'contacts', rows)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'phone']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/**
 * Meta gave a WhatsApp user a new business-scoped user id (`user_changed_user_id`): the contact
 * takes it, unless another contact already holds it (then nothing changes). Emits `contact.updated`.
 */
export async function changeWhatsAppUserId(
  tx: Tx,
  scope: { workspaceId: string; livemode: boolean },
  contact: ContactRow,
  newUserId: string,
  actor: Actor,
): Promise<ContactRow> {
  if (contact.whatsapp_user_id === newUserId) return contact;
  const holder = await tenant(tx.db, scope)
    .selectFrom('contacts')
    .select('id')
    .where('whatsapp_user_id', '=', newUserId)
    .executeTakeFirst();
  if (holder) return contact;
  const now = new Date().toISOString();
  await tx.db
    .updateTable('contacts')
    .set({ whatsapp_user_id: newUserId, updated_at: now })
    .where('id', '=', contact.id)
    .execute();
  const row = { ...contact, whatsapp_user_id: newUserId, updated_at: now };
  await tx.emit({
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    type: 'contact.updated',
    actor,
    data: presentContact(row),
  });
  return row;
}

/**
 * Sets a contact's name, email or phone only while it is empty (a value typed by a human or imported is
 * never overwritten; a concurrent edit wins). True when it was set.
 */
export async function fillEmptyContactField(
  db: Db | Trx,
  scope: Scope,
  contactId: string,
  column: 'name' | 'email' | 'phone',
  value: string,
  now: string,
): Promise<boolean> {
  const r = await tenant(db, scope)
    .updateTable('contacts')
    .set({ [column]: value, updated_at: now })
    .where('id', '=', contactId)
    .where((eb) => eb.or([eb(column, 'is', null), eb(column, '=', '')]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
