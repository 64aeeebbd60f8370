import type { Db, Trx } from '../../platform/db/database.ts';
import type { ConversationView } from '../../platform/db/scope.ts';
import type { RoleGrant } from './roles.service.ts';

/**
 * What a person's session carries of their role's limits (`Auth.view`): their teams and teammates,
 * read on each request as the role is, so a change of team applies at once. Undefined for a role
 * that sees everything unmasked.
 */
export async function viewOf(
  db: Db | Trx,
  userId: string,
  grant: RoleGrant,
): Promise<ConversationView | undefined> {
  if (grant.visibility === 'all' && !grant.maskContactDetails) return undefined;
  if (grant.visibility !== 'team')
    return {
      visibility: grant.visibility,
      maskContactDetails: grant.maskContactDetails,
      userId,
      teamIds: [],
      userIds: [userId],
    };
  const rows = await db
    .selectFrom('team_members as mine')
    .leftJoin('team_members as mate', 'mate.team_id', 'mine.team_id')
    .select(['mine.team_id', 'mate.user_id'])
    .where('mine.user_id', '=', userId)
    .execute();
  return {
    visibility: 'team',
    maskContactDetails: grant.maskContactDetails,
    userId,
    teamIds: [...new Set(rows.map((r) => r.team_id))],
    userIds: [...new Set([userId, ...rows.flatMap((r) => (r.user_id ? [r.user_id] : []))])],
  };
}
