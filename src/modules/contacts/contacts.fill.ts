import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/**
 * Sets a contact's name or email only while it is empty (a value typed by a human or imported is
 * never overwritten; a concurrent edit wins). True when it was set.
 */
export async function fillEmptyContactField(
  db: Db | Trx,
  scope: Scope,
  contactId: string,
  column: 'name' | 'email',
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
