import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** The workspace's users (id, name, email), for per-person reports. */
export function listUserNames(db: Db | Trx, scope: Scope) {
  return tenant(db, scope).selectFrom('users').select(['id', 'name', 'email']).orderBy('id', 'asc').execute();
}

/** Whether the team exists, and its members' ids. */
export async function teamMembers(db: Db | Trx, scope: Scope, teamId: string): Promise<string[] | null> {
  const team = await tenant(db, scope)
    .selectFrom('teams')
    .select('id')
    .where('id', '=', teamId)
    .executeTakeFirst();
  if (!team) return null;
  const rows = await db.selectFrom('team_members').select('user_id').where('team_id', '=', teamId).execute();
  return rows.map((r) => r.user_id);
}

/** A user's display name, or null when there is no such user here (canned responses' `{{user.name}}`). */
export async function userName(db: Db | Trx, scope: Scope, id: string): Promise<string | null> {
  const row = await tenant(db, scope)
    .selectFrom('users')
    .select('name')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.name ?? null;
}
