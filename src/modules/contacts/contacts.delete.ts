import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { notFound } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import { emitContact, getContactRow } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/** A contact being deleted: the erasure of everything else of theirs starts in this transaction. */
export interface ContactErasing {
  scope: Scope;
  contact: ContactRow;
  /** Why (an explicit erasure request's reason), or null for a plain delete. */
  reason: string | null;
  actor: Actor;
}

/**
 * Deletes the contact and starts erasing everything else of theirs (the privacy module's job,
 * through the `erasing` hook): a deleted contact is an erased one.
 */
export async function deleteContact(
  ctx: AppContext,
  scope: Scope,
  id: string,
  actor: Actor,
  reason: string | null = null,
) {
  return ctx.transaction(async (tx) => {
    const row = await getContactRow(tx.db, scope, id);
    // Deleted first: of two requests at once, the second waits here for the first (PostgreSQL's
    // row lock; SQLite's single writer), deletes nothing and is a 404, so one erasure is recorded.
    const deleted = await tx.db.deleteFrom('contacts').where('id', '=', row.id).executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1) throw notFound('contact', id);
    await ctx.modules.contacts?.erasing.run(tx, { scope, contact: row, reason, actor });
    await emitContact(tx, scope, 'contact.deleted', row, actor);
    return { id: row.id, object: 'contact' as const, deleted: true as const };
  });
}
