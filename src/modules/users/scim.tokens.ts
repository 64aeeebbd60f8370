/**
 * SCIM bearer tokens (`POST /v1/scim-tokens`): an admin makes one for the identity provider,
 * which provisions this workspace's and mode's users and teams with it (`/scim/v2`). Stored as a
 * SHA-256 hash; the token is shown once.
 */
import type { AppContext } from '../../platform/context.ts';
import { randomToken, sha256Hex } from '../../platform/crypto.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import type { Auth } from '../../platform/http/route.ts';
import { BUILT_IN_ROLES, checkGrantable } from './roles.service.ts';
import type { ScimTokensTable } from './roles.tables.ts';

export function presentScimToken(row: ScimTokensTable) {
  return {
    id: row.id,
    object: 'scim_token' as const,
    livemode: row.livemode === 1,
    name: row.name,
    prefix: row.prefix,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * A token provisions users (as `agent`) and teams: its maker must hold all that, or the token
 * would give more than they have.
 */
export async function createScimToken(ctx: AppContext, auth: Auth, input: { name?: string }) {
  checkGrantable(auth, {
    ...BUILT_IN_ROLES.agent,
    permissions: [...BUILT_IN_ROLES.agent.permissions, 'users:write', 'teams:write'],
  });
  const scope: Scope = auth;
  const token = `scim_${scope.livemode ? 'live' : 'test'}_${randomToken(24)}`;
  const now = ctx.clock.now().toISOString();
  const row: ScimTokensTable = {
    ...newRow('scim', scope),
    name: input.name ?? null,
    token_hash: sha256Hex(token),
    prefix: token.slice(0, 14),
    last_used_at: null,
    revoked_at: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('scim_tokens').values(row).execute();
  return { ...presentScimToken(row), token };
}

export async function listScimTokens(ctx: AppContext, scope: Scope) {
  const rows = await tenant(ctx.db, scope)
    .selectFrom('scim_tokens')
    .selectAll()
    .orderBy('id', 'desc')
    .execute();
  return rows.map(presentScimToken);
}

export async function revokeScimToken(ctx: AppContext, scope: Scope, id: string) {
  const row = await tenant(ctx.db, scope).getById('scim_tokens', id, 'SCIM token');
  if (row.revoked_at) return presentScimToken(row);
  const now = ctx.clock.now().toISOString();
  await tenant(ctx.db, scope).updateById('scim_tokens', id, { revoked_at: now, updated_at: now });
  return presentScimToken({ ...row, revoked_at: now, updated_at: now });
}

/** The scope and id of a live token, or undefined (unknown or revoked). */
export async function scimTokenScope(ctx: AppContext, token: string) {
  const row = await ctx.db
    .selectFrom('scim_tokens')
    .selectAll()
    .where('token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row || row.revoked_at) return undefined;
  const now = ctx.clock.now();
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= 60_000)
    await ctx.db
      .updateTable('scim_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
  return { tokenId: row.id, scope: { workspaceId: row.workspace_id, livemode: row.livemode === 1 } };
}
