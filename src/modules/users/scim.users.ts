/** SCIM Users (`/scim/v2/Users`): an identity provider creates, updates, deactivates and deletes people. */
import { z } from 'zod';
import { recordAudit } from '../../platform/audit.ts';
import type { AppContext } from '../../platform/context.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import type { Auth } from '../../platform/http/route.ts';
import {
  invalidValue,
  listOf,
  parseFilter,
  parseScim,
  patchBody,
  SCIM,
  ScimError,
  scimBoolean,
} from './scim.protocol.ts';
import { createUser, deleteUser, getUserRow, updateUser } from './users.service.ts';
import { revokeAllSessions } from './users.session-list.ts';
import type { UsersTable } from './users.tables.ts';

/** Who acts over SCIM: the token, as the system (the identity provider), in the token's scope. */
export interface ScimCaller {
  auth: Auth;
  actor: Actor;
  tokenId: string;
  baseUrl: string;
}

const email = z.email().max(254);

const userBody = z.object({
  userName: z.string().trim().min(1).max(254),
  externalId: z.string().max(200).nullable().optional(),
  displayName: z.string().trim().max(200).optional(),
  name: z
    .object({
      formatted: z.string().trim().max(200).optional(),
      givenName: z.string().trim().max(100).optional(),
      familyName: z.string().trim().max(100).optional(),
    })
    .optional(),
  emails: z
    .array(
      z.object({ value: z.string().max(254), primary: scimBoolean.optional(), type: z.string().optional() }),
    )
    .max(20)
    .optional(),
  active: scimBoolean.optional(),
});
type UserBody = z.output<typeof userBody>;

async function teamsOf(ctx: AppContext, userId: string) {
  return ctx.db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .select(['teams.id', 'teams.name'])
    .where('team_members.user_id', '=', userId)
    .orderBy('teams.id')
    .execute();
}

export async function scimUser(ctx: AppContext, caller: ScimCaller, row: UsersTable) {
  const groups = await teamsOf(ctx, row.id);
  return {
    schemas: [SCIM.user],
    id: row.id,
    externalId: row.external_id ?? undefined,
    userName: row.email,
    displayName: row.name,
    name: { formatted: row.name },
    emails: [{ value: row.email, primary: true, type: 'work' }],
    active: row.active !== 0,
    groups: groups.map((g) => ({ value: g.id, display: g.name, $ref: `${caller.baseUrl}/Groups/${g.id}` })),
    meta: {
      resourceType: 'User',
      created: row.created_at,
      lastModified: row.updated_at,
      location: `${caller.baseUrl}/Users/${row.id}`,
    },
  };
}

/** The email a SCIM user signs in with: `userName` when it is one, else the primary email. */
function emailOf(b: UserBody): string {
  const candidates = [
    b.userName,
    ...(b.emails ?? []).sort((a, c) => Number(c.primary) - Number(a.primary)).map((e) => e.value),
  ];
  const found = candidates.find((c) => email.safeParse(c).success);
  if (!found) throw invalidValue('userName: must be an email address (or give one in emails)');
  return found.toLowerCase();
}

const nameOf = (b: UserBody) =>
  b.name?.formatted ||
  [b.name?.givenName, b.name?.familyName].filter(Boolean).join(' ') ||
  b.displayName ||
  b.userName;

/** A SCIM change in the audit log, by the identity provider's token. */
export async function audit(
  ctx: AppContext,
  caller: ScimCaller,
  action: string,
  objectId: string,
  details = {},
) {
  await recordAudit(ctx.db, {
    workspaceId: caller.auth.workspaceId,
    livemode: caller.auth.livemode,
    actor: { type: 'system', id: caller.tokenId },
    action,
    objectType: action.startsWith('scim.group') ? 'team' : 'user',
    objectId,
    details: { scim_token: caller.tokenId, ...details },
    at: ctx.clock.now().toISOString(),
  });
}

export async function listScimUsers(
  ctx: AppContext,
  caller: ScimCaller,
  q: { filter?: string; startIndex: number; count: number },
) {
  const f = parseFilter(q.filter, ['userName', 'externalId', 'emails.value']);
  let query = tenant(ctx.db, caller.auth).selectFrom('users').selectAll();
  if (f?.attribute === 'externalId') query = query.where('external_id', '=', f.value);
  else if (f) query = query.where('email', '=', f.value.toLowerCase());
  const all = await query.orderBy('id').execute();
  const page = all.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
  return listOf(await Promise.all(page.map((r) => scimUser(ctx, caller, r))), all.length, q.startIndex);
}

async function userRowOr404(ctx: AppContext, scope: Scope, id: string) {
  const row = await tenant(ctx.db, scope).findById('users', id);
  if (!row) throw new ScimError(404, `No user ${id}.`);
  return row;
}

export async function getScimUser(ctx: AppContext, caller: ScimCaller, id: string) {
  return scimUser(ctx, caller, await userRowOr404(ctx, caller.auth, id));
}

export async function createScimUser(ctx: AppContext, caller: ScimCaller, body: unknown) {
  const b = parseScim(userBody, body);
  const created = await createUser(ctx, caller.auth, { name: nameOf(b), email: emailOf(b), role: 'agent' });
  await ctx.db
    .updateTable('users')
    .set({ external_id: b.externalId ?? null })
    .where('id', '=', created.id)
    .execute();
  if (b.active === false) await setActive(ctx, caller, created.id, false);
  await audit(ctx, caller, 'scim.user_created', created.id);
  return scimUser(ctx, caller, await getUserRow(ctx.db, caller.auth, created.id));
}

/**
 * Deactivating ends the person's sessions at once, takes them out of routing, and gives their
 * conversations back to Unassigned through the same path a deleted user's take (the
 * `assigneeDeleting` port), so routing hands them to someone else.
 */
async function setActive(ctx: AppContext, caller: ScimCaller, id: string, active: boolean) {
  const row = await getUserRow(ctx.db, caller.auth, id);
  if ((row.active !== 0) === active) return;
  const now = ctx.clock.now();
  await ctx.transaction(async (tx) => {
    await tx.db
      .updateTable('users')
      .set({
        active: active ? 1 : 0,
        availability: active ? null : 'offline',
        session_version: row.session_version + (active ? 0 : 1),
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .execute();
    if (!active)
      await ctx.ports.assigneeDeleting?.(tx, {
        scope: caller.auth,
        type: 'user',
        id,
        actor: caller.actor,
        now,
      });
  });
  if (!active) await revokeAllSessions(ctx, id);
  await audit(ctx, caller, active ? 'scim.user_reactivated' : 'scim.user_deactivated', id);
}

/** PUT: the whole user as the identity provider holds it. */
export async function replaceScimUser(ctx: AppContext, caller: ScimCaller, id: string, body: unknown) {
  await userRowOr404(ctx, caller.auth, id);
  const b = parseScim(userBody, body);
  await updateUser(ctx, caller.auth, id, { name: nameOf(b), email: emailOf(b) });
  if (b.externalId !== undefined)
    await ctx.db.updateTable('users').set({ external_id: b.externalId }).where('id', '=', id).execute();
  if (b.active !== undefined) await setActive(ctx, caller, id, b.active);
  await audit(ctx, caller, 'scim.user_replaced', id);
  return getScimUser(ctx, caller, id);
}

const PATCHABLE = new Set([
  'active',
  'username',
  'displayname',
  'name.formatted',
  'name.givenname',
  'name.familyname',
  'name',
  'externalid',
  'email',
  'emails',
]);

/** The attributes PATCH operations set, by lower-cased path (an operation without a path sets its value's). */
function patchedAttributes(body: unknown): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const op of parseScim(patchBody, body).Operations) {
    if (op.op === 'remove') throw invalidValue(`remove of ${op.path ?? 'the user'} is not supported`);
    const values =
      op.path === undefined
        ? (op.value as Record<string, unknown>)
        : { [op.path.replace(/^emails\[.*\]\.value$/i, 'email')]: op.value };
    if (!values || typeof values !== 'object')
      throw invalidValue('value: must be an object when no path is given');
    for (const [path, value] of Object.entries(values)) changes[path.toLowerCase()] = value;
  }
  const unknown = Object.keys(changes).filter((k) => !PATCHABLE.has(k));
  if (unknown.length) throw invalidValue(`unsupported attribute(s): ${unknown.join(', ')}`);
  return changes;
}

function patchedName(changes: Record<string, unknown>): string | undefined {
  const nameObj = (changes.name ?? {}) as { formatted?: string; givenName?: string; familyName?: string };
  const given = (changes['name.givenname'] as string | undefined) ?? nameObj.givenName;
  const family = (changes['name.familyname'] as string | undefined) ?? nameObj.familyName;
  const name =
    (changes['name.formatted'] as string | undefined) ??
    nameObj.formatted ??
    ([given, family].filter(Boolean).join(' ') || (changes.displayname as string | undefined));
  return name ? String(name).slice(0, 200) : undefined;
}

/** PATCH: `replace`/`add` of active, userName, names, externalId or the primary email (with or without a path). */
export async function patchScimUser(ctx: AppContext, caller: ScimCaller, id: string, body: unknown) {
  const row = await userRowOr404(ctx, caller.auth, id);
  const changes = patchedAttributes(body);
  const active = changes.active === undefined ? undefined : parseScim(scimBoolean, changes.active);
  const name = patchedName(changes);
  const mail = (changes.email ?? changes.username) as string | undefined;
  if (mail !== undefined && !email.safeParse(mail).success)
    throw invalidValue('userName: must be an email address');
  if (name !== undefined || mail !== undefined)
    await updateUser(ctx, caller.auth, id, { ...(name ? { name } : {}), ...(mail ? { email: mail } : {}) });
  if (changes.externalid !== undefined)
    await ctx.db
      .updateTable('users')
      .set({ external_id: changes.externalid === null ? null : String(changes.externalid) })
      .where('id', '=', row.id)
      .execute();
  if (active !== undefined) await setActive(ctx, caller, id, active);
  await audit(ctx, caller, 'scim.user_patched', id, { attributes: Object.keys(changes) });
  return getScimUser(ctx, caller, id);
}

export async function deleteScimUser(ctx: AppContext, caller: ScimCaller, id: string) {
  await userRowOr404(ctx, caller.auth, id);
  await deleteUser(ctx, caller.auth, id);
  await audit(ctx, caller, 'scim.user_deleted', id);
}
