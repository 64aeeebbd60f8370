/**
 * Roles: the built-in `admin` and `agent`, and the roles a business defines (`/v1/roles`). A role
 * is what an inbox session may do (its permissions, the same scopes API keys carry), which
 * conversations its people see, and whether customers' phone numbers and emails are shown masked.
 */
import { auditActor, recordAudit } from '../../platform/audit.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField, notFound } from '../../platform/errors.ts';
import { hasScope } from '../../platform/http/auth.ts';
import { type PageRequest, pageOf } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { RolesTable } from './roles.tables.ts';

/**
 * What an inbox session may do. Admins: everything. Agents: work conversations and contacts,
 * and read what the inbox shows; they cannot manage keys, users, channels or webhooks.
 */
export const AGENT_SCOPES = [
  'conversations:*',
  'messages:*',
  'contacts:*',
  'leads:*',
  'bookings:*',
  'calls:read',
  'templates:read',
  'agents:read',
  'knowledge:read',
  'audiences:read',
  'users:read',
  'teams:read',
  'events:read',
] as const;

export type Visibility = RolesTable['visibility'];

/** A role as sessions use it: what it grants and how far its people see. */
export interface RoleGrant {
  id: string;
  name: string;
  permissions: string[];
  visibility: Visibility;
  maskContactDetails: boolean;
}

export const BUILT_IN_ROLES: Record<'admin' | 'agent', RoleGrant> = {
  admin: { id: 'admin', name: 'admin', permissions: ['*'], visibility: 'all', maskContactDetails: false },
  agent: {
    id: 'agent',
    name: 'agent',
    permissions: [...AGENT_SCOPES],
    visibility: 'all',
    maskContactDetails: false,
  },
};

const isBuiltIn = (key: string): key is 'admin' | 'agent' => key === 'admin' || key === 'agent';

/** The most custom roles one workspace and mode keeps. */
export const MAX_ROLES = 100;

const grantOf = (row: RolesTable): RoleGrant => ({
  id: row.id,
  name: row.name,
  permissions: fromJson<string[]>(row.permissions, []),
  visibility: row.visibility,
  maskContactDetails: row.mask_contact_details === 1,
});

/**
 * The grant of a user's `role` column (`admin`, `agent` or a role id). A role deleted under a user
 * (not possible through the API, which refuses deleting a role in use) grants nothing.
 */
export async function roleGrant(db: Db | Trx, scope: Scope, role: string): Promise<RoleGrant> {
  if (isBuiltIn(role)) return BUILT_IN_ROLES[role];
  const row = await tenant(db, scope).findById('roles', role);
  return row
    ? grantOf(row)
    : { id: role, name: role, permissions: [], visibility: 'assigned', maskContactDetails: true };
}

export function presentRole(g: RoleGrant, row?: RolesTable) {
  return {
    id: g.id,
    object: 'role' as const,
    name: g.name,
    description: row?.description ?? null,
    built_in: !row,
    permissions: g.permissions,
    visibility: g.visibility,
    mask_contact_details: g.maskContactDetails,
    created_at: row?.created_at ?? null,
    updated_at: row?.updated_at ?? null,
  };
}

/** A role by its id or (case-insensitive) name; a built-in by `admin` or `agent`. */
async function findRole(
  db: Db | Trx,
  scope: Scope,
  idOrName: string,
): Promise<RolesTable | 'admin' | 'agent'> {
  const key = idOrName.trim();
  if (isBuiltIn(key.toLowerCase())) return key.toLowerCase() as 'admin' | 'agent';
  const rows = await tenant(db, scope).selectFrom('roles').selectAll().execute();
  const found =
    rows.find((r) => r.id === key) ?? rows.find((r) => r.name.toLowerCase() === key.toLowerCase());
  if (!found) throw notFound('role', key);
  return found;
}

/** The stored form of a role named by id or name (`admin`, `agent` or its id); undefined: no such role. */
export async function roleIdIfExists(
  db: Db | Trx,
  scope: Scope,
  idOrName: string,
): Promise<string | undefined> {
  const found = await findRole(db, scope, idOrName).catch(() => undefined);
  return found === undefined ? undefined : typeof found === 'string' ? found : found.id;
}

export async function listRoles(ctx: AppContext, scope: Scope, page: PageRequest) {
  const rows = await tenant(ctx.db, scope).selectFrom('roles').selectAll().orderBy('id').execute();
  const all = [
    presentRole(BUILT_IN_ROLES.admin),
    presentRole(BUILT_IN_ROLES.agent),
    ...rows.map((r) => presentRole(grantOf(r), r)),
  ];
  const from = (page.page - 1) * page.perPage;
  return pageOf(all.slice(from, from + page.perPage), all.length, page);
}

export async function getRole(ctx: AppContext, scope: Scope, idOrName: string) {
  const found = await findRole(ctx.db, scope, idOrName);
  return typeof found === 'string' ? presentRole(BUILT_IN_ROLES[found]) : presentRole(grantOf(found), found);
}

/**
 * A caller grants only what it holds itself: every permission, a visibility no wider than its
 * own and, when its own contact details are masked, masked ones. Otherwise 403 naming what it lacks.
 */
export function checkGrantable(
  auth: Auth,
  g: Pick<RoleGrant, 'permissions' | 'visibility' | 'maskContactDetails'>,
) {
  const lacking = g.permissions.filter((p) => !hasScope(auth.scopes, p));
  if (lacking.length)
    throw new ApiError(
      'forbidden',
      `You cannot grant what you do not hold yourself: ${lacking.map((p) => `\`${p}\``).join(', ')}.`,
      { details: { lacking_scopes: lacking } },
    );
  const rank = { assigned: 0, team: 1, all: 2 } as const;
  const own = auth.view;
  if (own && rank[g.visibility] > rank[own.visibility])
    throw new ApiError(
      'forbidden',
      `You see ${own.visibility === 'team' ? "your teams'" : 'your own'} conversations only: you cannot grant visibility \`${g.visibility}\`.`,
    );
  if (own?.maskContactDetails && !g.maskContactDetails)
    throw new ApiError(
      'forbidden',
      "You see customers' contact details masked: you cannot grant a role that shows them.",
    );
}

/** A refused grant changes nothing and is written to the audit log (who tried to grant what). */
async function grantOrRecordRefusal(
  ctx: AppContext,
  auth: Auth,
  grant: Pick<RoleGrant, 'permissions' | 'visibility' | 'maskContactDetails'>,
  action: string,
  roleId: string | null,
) {
  try {
    checkGrantable(auth, grant);
  } catch (err) {
    await recordAudit(ctx.db, {
      workspaceId: auth.workspaceId,
      livemode: auth.livemode,
      actor: auditActor(auth),
      action: 'role.grant_refused',
      objectType: 'role',
      objectId: roleId,
      details: { attempted: action, message: (err as Error).message },
      at: ctx.clock.now().toISOString(),
    });
    throw err;
  }
}

async function nameTaken(db: Db | Trx, scope: Scope, name: string, exceptId?: string) {
  if (isBuiltIn(name.toLowerCase()))
    throw invalidField('name', '`admin` and `agent` are the built-in roles; choose another name');
  const rows = await tenant(db, scope).selectFrom('roles').select(['id', 'name']).execute();
  const same = rows.find((r) => r.id !== exceptId && r.name.toLowerCase() === name.toLowerCase());
  if (same)
    throw new ApiError('conflict', `A role named ${same.name} already exists: ${same.id}.`, {
      details: { existing_id: same.id },
    });
  return rows.length;
}

export interface RoleInput {
  name: string;
  description?: string | null;
  permissions: string[];
  visibility?: Visibility;
  mask_contact_details?: boolean;
}

export async function createRole(ctx: AppContext, auth: Auth, input: RoleInput) {
  const grant = {
    permissions: [...new Set(input.permissions)],
    visibility: input.visibility ?? 'all',
    maskContactDetails: input.mask_contact_details ?? false,
  };
  await grantOrRecordRefusal(ctx, auth, grant, 'createRole', null);
  const count = await nameTaken(ctx.db, auth, input.name);
  if (count >= MAX_ROLES)
    throw new ApiError('unprocessable', `A workspace keeps at most ${MAX_ROLES} roles: delete one first.`);
  const now = ctx.clock.now().toISOString();
  const row: RolesTable = {
    ...newRow('role', auth),
    name: input.name,
    description: input.description ?? null,
    permissions: toJson(grant.permissions),
    visibility: grant.visibility,
    mask_contact_details: grant.maskContactDetails ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('roles').values(row).execute();
  return presentRole(grantOf(row), row);
}

const builtInRefused = (name: string) =>
  new ApiError(
    'conflict',
    `\`${name}\` is a built-in role: it cannot be changed or deleted. Define a role instead.`,
  );

export async function updateRole(ctx: AppContext, auth: Auth, idOrName: string, input: Partial<RoleInput>) {
  const found = await findRole(ctx.db, auth, idOrName);
  if (typeof found === 'string') throw builtInRefused(found);
  const next: RolesTable = {
    ...found,
    name: input.name ?? found.name,
    description: input.description === undefined ? found.description : input.description,
    permissions: input.permissions ? toJson([...new Set(input.permissions)]) : found.permissions,
    visibility: input.visibility ?? found.visibility,
    mask_contact_details:
      input.mask_contact_details === undefined
        ? found.mask_contact_details
        : input.mask_contact_details
          ? 1
          : 0,
    updated_at: ctx.clock.now().toISOString(),
  };
  // The whole new role must be grantable by the caller, not only the fields it changed.
  await grantOrRecordRefusal(ctx, auth, grantOf(next), 'updateRole', found.id);
  if (input.name !== undefined) await nameTaken(ctx.db, auth, next.name, found.id);
  await ctx.db
    .updateTable('roles')
    .set({
      name: next.name,
      description: next.description,
      permissions: next.permissions,
      visibility: next.visibility,
      mask_contact_details: next.mask_contact_details,
      updated_at: next.updated_at,
    })
    .where('id', '=', found.id)
    .execute();
  return presentRole(grantOf(next), next);
}

/** A role in use is kept (409 naming how many users hold it): give them another role first. */
export async function deleteRole(ctx: AppContext, auth: Auth, idOrName: string) {
  const found = await findRole(ctx.db, auth, idOrName);
  if (typeof found === 'string') throw builtInRefused(found);
  await ctx.transaction(async (tx) => {
    const users = await tenant(tx.db, auth)
      .selectFrom('users')
      .select('id')
      .where('role', '=', found.id)
      .execute();
    if (users.length)
      throw new ApiError(
        'conflict',
        `${users.length} user(s) have the role ${found.name}: give them another role first.`,
        { details: { user_ids: users.map((u) => u.id).slice(0, 100) } },
      );
    await tx.db.deleteFrom('roles').where('id', '=', found.id).execute();
  });
  return { id: found.id, object: 'role' as const, deleted: true as const };
}

/**
 * The stored `role` of a user from what a caller sent (`admin`, `agent`, a role's id or name),
 * refused (403) when the role grants what the caller lacks.
 */
export async function resolveRoleFor(db: Db | Trx, auth: Auth, idOrName: string): Promise<string> {
  let found: RolesTable | 'admin' | 'agent';
  try {
    found = await findRole(db, auth, idOrName);
  } catch {
    throw invalidField(
      'role',
      `no role ${idOrName} in this workspace and mode: \`admin\`, \`agent\` or a role's id or name`,
    );
  }
  const grant = typeof found === 'string' ? BUILT_IN_ROLES[found] : grantOf(found);
  checkGrantable(auth, grant);
  return grant.id;
}
