/**
 * Read-only views of the contacts table for the modules that join their rows to a contact
 * (docs/architecture.md, "Who owns a table"): each is a subquery over `contacts` with only the
 * columns named here, to join by contact id or embed, in the caller's statement and transaction.
 * Both storages inline such a subquery into the join, so it costs what joining the table did.
 */

import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { likeContains } from '../../platform/db/like.ts';
import { inScope, type Scope, tenant } from '../../platform/db/scope.ts';
import type { ContactRow } from './contacts.tables.ts';

/**
 * Who a contact is (`id`, `phone`, `name`, `email`), to show beside a row that names it:
 * `.leftJoin(contactCards(db).as('ct'), 'ct.id', 'c.contact_id')`.
 */
export function contactCards(db: Db | Trx) {
  return db.selectFrom('contacts').select(['id', 'phone', 'name', 'email']);
}

/**
 * Whether a contact may be called or messaged (`id`, `dnd`, `opted_out`), to join by contact id:
 * `.innerJoin(contactReachability(db).as('ct'), 'ct.id', 'r.contact_id')`.
 */
export function contactReachability(db: Db | Trx) {
  return db.selectFrom('contacts').select(['id', 'dnd', 'opted_out']);
}

/** The ids of this workspace's and mode's contacts whose name contains `text` (any case), to embed. */
export function contactIdsNamed(db: Db | Trx, scope: Scope, text: string) {
  return db
    .selectFrom('contacts')
    .select('contacts.id')
    .where(inScope(scope, 'contacts'))
    .where(likeContains('contacts.name', text, { lower: true }));
}

/**
 * The ids of this workspace's and mode's contacts whose name, email or phone contains `text`
 * (any case; a phone matches its digits, so "98111 12222" finds +919811112222), to embed.
 */
export function contactIdsMatching(db: Db | Trx, scope: Scope, text: string) {
  const digits = text.replace(/[\s().+-]/g, '');
  return db
    .selectFrom('contacts')
    .select('contacts.id')
    .where(inScope(scope, 'contacts'))
    .where((eb) =>
      eb.or([
        likeContains('contacts.name', text, { lower: true }),
        likeContains('contacts.email', text, { lower: true }),
        ...(/^\d{3,}$/.test(digits) ? [likeContains('contacts.phone', digits)] : []),
      ]),
    );
}

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
