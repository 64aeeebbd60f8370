/** SCIM Groups (`/scim/v2/Groups`): an identity provider's groups are Parley's teams. */
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { invalidValue, listOf, parseFilter, parseScim, patchBody, SCIM, ScimError } from './scim.protocol.ts';
import { audit, type ScimCaller } from './scim.users.ts';
import { addTeamMembers, createTeam, deleteTeam, removeTeamMember, updateTeam } from './users.service.ts';
import type { TeamsTable } from './users.tables.ts';

const member = z.object({ value: z.string().max(64), display: z.string().optional() });
const groupBody = z.object({
  displayName: z.string().trim().min(1).max(200),
  externalId: z.string().max(200).optional(),
  members: z.array(member).max(10_000).optional(),
});

async function membersOf(ctx: AppContext, teamId: string) {
  return ctx.db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.name'])
    .where('team_members.team_id', '=', teamId)
    .orderBy('users.id')
    .execute();
}

async function scimGroup(ctx: AppContext, caller: ScimCaller, row: TeamsTable) {
  const members = await membersOf(ctx, row.id);
  return {
    schemas: [SCIM.group],
    id: row.id,
    displayName: row.name,
    members: members.map((m) => ({ value: m.id, display: m.name, $ref: `${caller.baseUrl}/Users/${m.id}` })),
    meta: {
      resourceType: 'Group',
      created: row.created_at,
      lastModified: row.updated_at,
      location: `${caller.baseUrl}/Groups/${row.id}`,
    },
  };
}

async function teamOr404(ctx: AppContext, caller: ScimCaller, id: string) {
  const row = await tenant(ctx.db, caller.auth).findById('teams', id);
  if (!row) throw new ScimError(404, `No group ${id}.`);
  return row;
}

/** Members are this workspace's users: another's id is a 400, never a silent add. */
async function checkMembers(ctx: AppContext, caller: ScimCaller, ids: string[]) {
  if (!ids.length) return;
  const found = await tenant(ctx.db, caller.auth)
    .selectFrom('users')
    .select('id')
    .where('id', 'in', ids)
    .execute();
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw invalidValue(`members: no user ${missing.join(', ')}`);
}

export async function listScimGroups(
  ctx: AppContext,
  caller: ScimCaller,
  q: { filter?: string; startIndex: number; count: number },
) {
  const f = parseFilter(q.filter, ['displayName']);
  let query = tenant(ctx.db, caller.auth).selectFrom('teams').selectAll();
  if (f) query = query.where('name', '=', f.value);
  const all = await query.orderBy('id').execute();
  const page = all.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
  return listOf(await Promise.all(page.map((r) => scimGroup(ctx, caller, r))), all.length, q.startIndex);
}

export async function getScimGroup(ctx: AppContext, caller: ScimCaller, id: string) {
  return scimGroup(ctx, caller, await teamOr404(ctx, caller, id));
}

export async function createScimGroup(ctx: AppContext, caller: ScimCaller, body: unknown) {
  const b = parseScim(groupBody, body);
  const ids = (b.members ?? []).map((m) => m.value);
  await checkMembers(ctx, caller, ids);
  const team = await createTeam(ctx, caller.auth, { name: b.displayName, user_ids: ids });
  await audit(ctx, caller, 'scim.group_created', team.id);
  return getScimGroup(ctx, caller, team.id);
}

async function setMembers(ctx: AppContext, caller: ScimCaller, teamId: string, ids: string[]) {
  await checkMembers(ctx, caller, ids);
  const now = (await membersOf(ctx, teamId)).map((m) => m.id);
  const add = ids.filter((id) => !now.includes(id));
  if (add.length) await addTeamMembers(ctx, caller.auth, teamId, add);
  for (const id of now.filter((n) => !ids.includes(n))) await removeTeamMember(ctx, caller.auth, teamId, id);
}

export async function replaceScimGroup(ctx: AppContext, caller: ScimCaller, id: string, body: unknown) {
  await teamOr404(ctx, caller, id);
  const b = parseScim(groupBody, body);
  await updateTeam(ctx, caller.auth, id, { name: b.displayName });
  await setMembers(ctx, caller, id, [...new Set((b.members ?? []).map((m) => m.value))]);
  await audit(ctx, caller, 'scim.group_replaced', id);
  return getScimGroup(ctx, caller, id);
}

const memberValues = (value: unknown) =>
  parseScim(z.array(member).max(10_000), Array.isArray(value) ? value : [value]).map((m) => m.value);

type PatchOp = { op: 'add' | 'replace' | 'remove'; path?: string; value?: unknown };

/** PATCH: add or remove members (`members`, `members[value eq "id"]`), replace the name or the members. */
export async function patchScimGroup(ctx: AppContext, caller: ScimCaller, id: string, body: unknown) {
  await teamOr404(ctx, caller, id);
  for (const op of parseScim(patchBody, body).Operations) await applyGroupOp(ctx, caller, id, op);
  await audit(ctx, caller, 'scim.group_patched', id);
  return getScimGroup(ctx, caller, id);
}

async function applyGroupOp(ctx: AppContext, caller: ScimCaller, id: string, op: PatchOp) {
  const path = op.path?.trim() ?? '';
  const one = /^members\[value eq "([^"]+)"\]$/i.exec(path);
  if (op.op === 'remove' && one) return removeIfMember(ctx, caller, id, one[1]!);
  if (/^members$/i.test(path)) return changeMembers(ctx, caller, id, op);
  if (op.op !== 'remove' && (/^displayName$/i.test(path) || path === '')) {
    const name = path === '' ? (op.value as { displayName?: unknown } | undefined)?.displayName : op.value;
    await updateTeam(ctx, caller.auth, id, { name: parseScim(z.string().trim().min(1).max(200), name) });
    return;
  }
  throw invalidValue(`${op.op} of ${path || 'the group'} is not supported`);
}

async function changeMembers(ctx: AppContext, caller: ScimCaller, id: string, op: PatchOp) {
  if (op.op === 'remove') {
    if (op.value === undefined) return setMembers(ctx, caller, id, []);
    for (const m of memberValues(op.value)) await removeIfMember(ctx, caller, id, m);
    return;
  }
  const ids = memberValues(op.value);
  await checkMembers(ctx, caller, ids);
  if (op.op === 'replace') await setMembers(ctx, caller, id, ids);
  else if (ids.length) await addTeamMembers(ctx, caller.auth, id, ids);
}

async function removeIfMember(ctx: AppContext, caller: ScimCaller, teamId: string, userId: string) {
  const now = (await membersOf(ctx, teamId)).map((m) => m.id);
  if (now.includes(userId)) await removeTeamMember(ctx, caller.auth, teamId, userId);
}

export async function deleteScimGroup(ctx: AppContext, caller: ScimCaller, id: string) {
  await teamOr404(ctx, caller, id);
  await deleteTeam(ctx, caller.auth, id);
  await audit(ctx, caller, 'scim.group_deleted', id);
}
