import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { toJson } from '../../platform/json.ts';
import { effectiveAvailability, parseRule, presentUserIds, type TeamRule } from './availability.ts';
import { hashPassword } from './password.ts';
import type { TeamsTable, UsersTable } from './users.tables.ts';

export { AGENT_SCOPES } from './roles.service.ts';
export type { TeamsTable, UsersTable } from './users.tables.ts';
export type { Scope };

export const SESSION_TTL_SECONDS = 12 * 3600;

/** `present`: the user has the inbox open somewhere (see availability.ts). */
export function presentUser(row: UsersTable, present = false) {
  return {
    ...objectHead(row, 'user'),
    name: row.name,
    email: row.email,
    role: row.role,
    has_password: row.password_hash !== null,
    availability: effectiveAvailability(row, present),
    max_open_conversations: row.max_open_conversations,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function getUserRow(db: Db | Trx, scope: Scope, id: string): Promise<UsersTable> {
  return tenant(db, scope).getById('users', id, 'user');
}

/** For assignment checks: does this user exist in the workspace and mode? */
export async function userExists(db: Db | Trx, scope: Scope, id: string): Promise<boolean> {
  const row = await tenant(db, scope)
    .selectFrom('users')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  return Boolean(row);
}

export async function teamExists(db: Db | Trx, scope: Scope, id: string): Promise<boolean> {
  const row = await tenant(db, scope)
    .selectFrom('teams')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  return Boolean(row);
}

async function emailTaken(db: Db | Trx, scope: Scope, email: string, exceptId?: string) {
  let q = tenant(db, scope).selectFrom('users').select('id').where('email', '=', email);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const row = await q.executeTakeFirst();
  if (row)
    throw new ApiError('conflict', `A user with email ${email} already exists: ${row.id}.`, {
      details: { existing_id: row.id },
    });
}

export async function createUser(
  ctx: AppContext,
  scope: Scope,
  input: {
    name: string;
    email: string;
    /** `admin`, `agent` or a role id, as `resolveRoleFor` answered it. */
    role: string;
    password?: string;
    max_open_conversations?: number | null;
  },
) {
  const email = input.email.trim().toLowerCase();
  await emailTaken(ctx.db, scope, email);
  const now = ctx.clock.now().toISOString();
  const row: UsersTable = {
    ...newRow('usr', scope),
    name: input.name,
    email,
    role: input.role,
    password_hash: input.password ? await hashPassword(input.password) : null,
    availability: null,
    max_open_conversations: input.max_open_conversations ?? null,
    session_version: 0,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('users').values(row).execute();
  return presentUser(row);
}

export async function listUsers(
  ctx: AppContext,
  scope: Scope,
  filter: { role?: string; team_id?: string },
  page: PageRequest,
): Promise<Page<ReturnType<typeof presentUser>>> {
  let q = tenant(ctx.db, scope).selectFrom('users').selectAll('users');
  if (filter.role) q = q.where('users.role', '=', filter.role);
  if (filter.team_id) {
    const teamId = filter.team_id;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('team_members')
          .select('team_members.user_id')
          .whereRef('team_members.user_id', '=', 'users.id')
          .where('team_members.team_id', '=', teamId),
      ),
    );
  }
  const result = await paginate(q.orderBy('users.id', 'desc'), page, (r) => r);
  const present = await presentUserIds(
    ctx.db,
    result.data.map((u) => u.id),
    ctx.clock.now(),
  );
  return { ...result, data: result.data.map((u) => presentUser(u, present.has(u.id))) };
}

export async function updateUser(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: {
    name?: string;
    email?: string;
    /** `admin`, `agent` or a role id, as `resolveRoleFor` answered it. */
    role?: string;
    password?: string | null;
    max_open_conversations?: number | null;
  },
) {
  const row = await getUserRow(ctx.db, scope, id);
  const next = { ...row };
  if (input.email !== undefined) {
    next.email = input.email.trim().toLowerCase();
    await emailTaken(ctx.db, scope, next.email, row.id);
  }
  if (input.name !== undefined) next.name = input.name;
  if (input.role !== undefined) next.role = input.role;
  if (input.max_open_conversations !== undefined) next.max_open_conversations = input.max_open_conversations;
  if (input.password !== undefined)
    next.password_hash = input.password === null ? null : await hashPassword(input.password);
  // A new password or role ends the user's open sessions: they sign in again.
  if (input.password !== undefined || (input.role !== undefined && input.role !== row.role))
    next.session_version = row.session_version + 1;
  next.updated_at = ctx.clock.now().toISOString();
  await ctx.db
    .updateTable('users')
    .set({
      name: next.name,
      email: next.email,
      role: next.role,
      password_hash: next.password_hash,
      max_open_conversations: next.max_open_conversations,
      session_version: next.session_version,
      updated_at: next.updated_at,
    })
    .where('id', '=', row.id)
    .execute();
  if (input.max_open_conversations !== undefined) await roomFor(ctx, scope, [row.id], []);
  const present = await presentUserIds(ctx.db, [row.id], ctx.clock.now());
  return presentUser(next, present.has(row.id));
}

/** What the `assigneeDeleting` port gets, inside the delete's transaction. */
export interface AssigneeDeleting {
  scope: Scope;
  type: 'user' | 'team';
  id: string;
  actor: Actor;
  now: Date;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /**
     * A module above this one acts inside a user's or a team's delete: conversations assigned to
     * them are unassigned in the same transaction (they go back to Unassigned, not to nobody).
     * Provided by the conversations module.
     */
    assigneeDeleting: (tx: Tx, e: AssigneeDeleting) => Promise<void>;
  }
}

/** People may take conversations now: routing gives out what waits (the `roomMaybeFreed` port). */
async function roomFor(ctx: AppContext, scope: Scope, userIds: string[], teamIds: string[]) {
  const freed = ctx.ports.roomMaybeFreed;
  if (freed) await ctx.transaction((tx) => freed(tx, { scope, userIds, teamIds }));
}

const actorOf = (auth: Auth): Actor => ({ type: auth.kind, id: auth.principalId });

/**
 * Deleting a user ends their sessions at once (sessions are checked against the table) and
 * unassigns their conversations. A signed-in admin cannot delete themselves (another admin can):
 * that would lock them out and could leave the mode without an admin.
 */
export async function deleteUser(ctx: AppContext, auth: Auth, id: string) {
  await ctx.transaction(async (tx) => {
    const row = await getUserRow(tx.db, auth, id);
    if (auth.kind === 'user' && auth.principalId === row.id)
      throw new ApiError(
        'conflict',
        'You cannot delete your own user while signed in as it. Another admin (or an API key) can.',
      );
    await ctx.ports.assigneeDeleting?.(tx, {
      scope: auth,
      type: 'user',
      id: row.id,
      actor: actorOf(auth),
      now: ctx.clock.now(),
    });
    await tx.db.deleteFrom('team_members').where('user_id', '=', row.id).execute();
    await tx.db.deleteFrom('users').where('id', '=', row.id).execute();
  });
  return { id, object: 'user' as const, deleted: true as const };
}

// Teams

async function memberIds(db: Db | Trx, teamIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(teamIds.map((id) => [id, []]));
  if (!teamIds.length) return out;
  const rows = await db
    .selectFrom('team_members')
    .select(['team_id', 'user_id'])
    .where('team_id', 'in', teamIds)
    .orderBy('user_id')
    .execute();
  for (const r of rows) out.get(r.team_id)?.push(r.user_id);
  return out;
}

export function presentTeam(row: TeamsTable, members: string[]) {
  return {
    ...objectHead(row, 'team'),
    name: row.name,
    member_ids: members,
    assignment: parseRule(row.assignment),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function getTeamRow(db: Db | Trx, scope: Scope, id: string): Promise<TeamsTable> {
  return tenant(db, scope).getById('teams', id, 'team');
}

export async function getTeam(ctx: AppContext, scope: Scope, id: string) {
  const row = await getTeamRow(ctx.db, scope, id);
  return presentTeam(row, (await memberIds(ctx.db, [row.id])).get(row.id) ?? []);
}

/** The ids that are not users of this workspace and mode, as field errors. */
async function checkUsers(db: Db | Trx, scope: Scope, ids: string[], field: string) {
  if (!ids.length) return;
  const found = new Set(
    (
      await tenant(db, scope)
        .selectFrom('users')
        .select('id')
        .where('id', 'in', [...new Set(ids)])
        .execute()
    ).map((r) => r.id),
  );
  const errors = ids.flatMap((id, i) =>
    found.has(id) ? [] : [{ field: `${field}.${i}`, message: `no user ${id} in this workspace and mode` }],
  );
  if (errors.length)
    throw new ApiError('validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      errors,
    });
}

export async function createTeam(
  ctx: AppContext,
  scope: Scope,
  input: { name: string; user_ids?: string[]; assignment?: Partial<TeamRule> },
) {
  // Checked as sent, so each error names the position the caller used.
  await checkUsers(ctx.db, scope, input.user_ids ?? [], 'user_ids');
  const userIds = [...new Set(input.user_ids ?? [])];
  const now = ctx.clock.now().toISOString();
  const row: TeamsTable = {
    ...newRow('team', scope),
    name: input.name,
    assignment: toJson({ ...parseRule(null), ...input.assignment }),
    rr_cursor: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('teams').values(row).execute();
    if (userIds.length)
      await tx.db
        .insertInto('team_members')
        .values(userIds.map((user_id) => ({ team_id: row.id, user_id, created_at: now })))
        .execute();
  });
  return presentTeam(row, [...userIds].sort());
}

export async function listTeams(ctx: AppContext, scope: Scope, page: PageRequest) {
  const q = tenant(ctx.db, scope).selectFrom('teams').selectAll().orderBy('id', 'desc');
  const result = await paginate(q, page, (r) => r);
  const members = await memberIds(
    ctx.db,
    result.data.map((t) => t.id),
  );
  return { ...result, data: result.data.map((t) => presentTeam(t, members.get(t.id) ?? [])) };
}

export async function updateTeam(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { name?: string; assignment?: Partial<TeamRule> },
) {
  const row = await getTeamRow(ctx.db, scope, id);
  const now = ctx.clock.now().toISOString();
  if (input.name !== undefined || input.assignment !== undefined) {
    await ctx.db
      .updateTable('teams')
      .set({
        name: input.name ?? row.name,
        assignment: input.assignment ? toJson({ ...parseRule(null), ...input.assignment }) : row.assignment,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
  }
  if (input.assignment) await roomFor(ctx, scope, [], [row.id]);
  return getTeam(ctx, scope, id);
}

/** Deleting a team unassigns its conversations (they go back to Unassigned). */
export async function deleteTeam(ctx: AppContext, auth: Auth, id: string) {
  const row = await getTeamRow(ctx.db, auth, id);
  await ctx.transaction(async (tx) => {
    await ctx.ports.assigneeDeleting?.(tx, {
      scope: auth,
      type: 'team',
      id: row.id,
      actor: actorOf(auth),
      now: ctx.clock.now(),
    });
    await tx.db.deleteFrom('team_members').where('team_id', '=', row.id).execute();
    await tx.db.deleteFrom('teams').where('id', '=', row.id).execute();
  });
  return { id: row.id, object: 'team' as const, deleted: true as const };
}

export async function addTeamMembers(ctx: AppContext, scope: Scope, id: string, userIds: string[]) {
  const row = await getTeamRow(ctx.db, scope, id);
  await checkUsers(ctx.db, scope, userIds, 'user_ids');
  const ids = [...new Set(userIds)];
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('team_members')
    .values(ids.map((user_id) => ({ team_id: row.id, user_id, created_at: now })))
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .execute();
  await ctx.db.updateTable('teams').set({ updated_at: now }).where('id', '=', row.id).execute();
  await roomFor(ctx, scope, [], [row.id]);
  return getTeam(ctx, scope, id);
}

export async function removeTeamMember(ctx: AppContext, scope: Scope, id: string, userId: string) {
  const row = await getTeamRow(ctx.db, scope, id);
  const res = await ctx.db
    .deleteFrom('team_members')
    .where('team_id', '=', row.id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound('member of this team', userId);
  await ctx.db
    .updateTable('teams')
    .set({ updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', row.id)
    .execute();
  return getTeam(ctx, scope, id);
}
