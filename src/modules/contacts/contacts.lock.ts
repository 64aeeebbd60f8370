import type { Trx } from '../../platform/db/database.ts';
import { onPostgres } from '../../platform/db/rows.ts';

/**
 * Holds these contacts' rows until the caller's transaction ends, taken in id order (two writers
 * locking the same pair cannot deadlock): `FOR UPDATE` on PostgreSQL, so a merge and an edit of the
 * same contact take turns; SQLite runs one writing transaction at a time already.
 */
export async function lockContacts(db: Trx, ids: string[]): Promise<void> {
  if (!onPostgres(db)) return;
  const sorted = [...new Set(ids)].sort();
  await db.selectFrom('contacts').select('id').where('id', 'in', sorted).orderBy('id').forUpdate().execute();
}
