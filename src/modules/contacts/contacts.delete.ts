import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
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
    await ctx.modules.contacts?.erasing.run(tx, { scope, contact: row, reason, actor });
    await tx.db.deleteFrom('contacts').where('id', '=', row.id).execute();
    await emitContact(tx, scope, 'contact.deleted', row, actor);
    return { id: row.id, object: 'contact' as const, deleted: true as const };
  });
}
