import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { ContactRow } from './contacts.tables.ts';

/**
 * Contacts of a workspace and mode by id, for modules that hold contact ids (audiences,
 * broadcasts, campaigns, imports): read in chunks, in no particular order; ids of no contact
 * (deleted, or of another workspace) are simply absent.
 */
export async function contactsByIds(
  db: Db | Trx,
  scope: Scope,
  ids: readonly string[],
): Promise<ContactRow[]> {
  const out: ContactRow[] = [];
  for (const part of chunked([...ids]))
    out.push(
      ...(await tenant(db, scope).selectFrom('contacts').selectAll().where('id', 'in', part).execute()),
    );
  return out;
}
