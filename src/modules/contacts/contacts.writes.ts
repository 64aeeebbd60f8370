import type { Db, Trx } from '../../platform/db/database.ts';
import { insertRows } from '../../platform/db/rows.ts';
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
