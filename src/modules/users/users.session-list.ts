import type { AppContext } from '../../platform/context.ts';
import { type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import { notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { UserSessionsTable } from './users.security.tables.ts';

/** A new session row for a sign-in; its id goes into the token (`sid`). */
export async function openSession(
  ctx: AppContext,
  scope: Scope,
  userId: string,
  client: { ip: string; userAgent: string | undefined },
  expiresAt: Date,
): Promise<string> {
  const now = ctx.clock.now().toISOString();
  const row: UserSessionsTable = {
    id: newId('sess'),
    user_id: userId,
    ...scopeColumns(scope),
    ip: client.ip,
    user_agent: client.userAgent?.slice(0, 300) ?? null,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt.toISOString(),
    revoked_at: null,
  };
  await ctx.db.insertInto('user_sessions').values(row).execute();
  // Expired sessions of this user are forgotten.
  await ctx.db
    .deleteFrom('user_sessions')
    .where('user_id', '=', userId)
    .where('expires_at', '<', now)
    .execute();
  return row.id;
}

function presentSession(row: UserSessionsTable, currentId?: string) {
  return {
    id: row.id,
    object: 'session' as const,
    user_id: row.user_id,
    ip: row.ip,
    user_agent: row.user_agent,
    current: row.id === currentId,
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    expires_at: row.expires_at,
  };
}

/** The user's open sessions (not revoked, not expired), newest first. */
export async function listSessions(ctx: AppContext, scope: Scope, userId: string, currentId?: string) {
  const rows = await tenant(ctx.db, scope)
    .selectFrom('user_sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now().toISOString())
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return { object: 'list' as const, data: rows.map((r) => presentSession(r, currentId)), has_more: false };
}

/** Ends one session: its token is refused from the next request on, in every process. */
export async function revokeSession(ctx: AppContext, scope: Scope, userId: string, sessionId: string) {
  const r = await tenant(ctx.db, scope)
    .updateTable('user_sessions')
    .set({ revoked_at: ctx.clock.now().toISOString() })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw notFound('session', sessionId);
  return { id: sessionId, object: 'session' as const, deleted: true as const };
}

/** Ends every session of the user (sign-out everywhere, a password or role change). */
export async function revokeAllSessions(ctx: AppContext, userId: string) {
  await ctx.db
    .updateTable('user_sessions')
    .set({ revoked_at: ctx.clock.now().toISOString() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}
