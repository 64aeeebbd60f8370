import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** A user's display name, or null when there is no such user here (canned responses' `{{user.name}}`). */
export async function userName(db: Db | Trx, scope: Scope, id: string): Promise<string | null> {
  const row = await tenant(db, scope)
    .selectFrom('users')
    .select('name')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.name ?? null;
}
