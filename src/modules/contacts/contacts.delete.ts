import type { Scope } from '../../platform/db/scope.ts';
import { notFound } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { emitContact, getContactRow } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/**
 * Deletes the contact's row in `tx` and returns it. A deleted contact is an erased one: the
 * privacy module, which erases everything else of theirs, calls this in the transaction that
 * records the erasure (`DELETE /v1/contacts/{id}`, `POST /v1/contacts/{id}/erase`), then
 * `emitContactDeleted`.
 */
export async function removeContact(tx: Tx, scope: Scope, id: string): Promise<ContactRow> {
  const row = await getContactRow(tx.db, scope, id);
  // Deleted first: of two requests at once, the second waits here for the first (PostgreSQL's
  // row lock; SQLite's single writer), deletes nothing and is a 404, so one erasure is recorded.
  const deleted = await tx.db.deleteFrom('contacts').where('id', '=', row.id).executeTakeFirst();
  if (Number(deleted.numDeletedRows) !== 1) throw notFound('contact', id);
  return row;
}

/** `contact.deleted` for a contact `removeContact` deleted. */
export function emitContactDeleted(tx: Tx, scope: Scope, row: ContactRow, actor: Actor): Promise<void> {
  return emitContact(tx, scope, 'contact.deleted', row, actor);
}
