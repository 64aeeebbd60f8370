import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { randomToken, sha256Hex } from '../../platform/crypto.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { ApiKeysTable } from '../../platform/db/schema.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound } from '../../platform/errors.ts';
import { API_KEYS_CHANGED, hasScope } from '../../platform/http/auth.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { limitsFor, type PlanLimits, type PlanName } from '../../platform/limits.ts';
import type { WorkspacesTable } from './workspaces.tables.ts';

export type Mode = 'live' | 'test';

export function presentWorkspace(row: WorkspacesTable, livemode: boolean) {
  return {
    id: row.id,
    object: 'workspace' as const,
    name: row.name,
    plan: row.plan,
    default_country: row.default_country,
    livemode,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function presentApiKey(row: ApiKeysTable) {
  return {
    ...objectHead(row, 'api_key'),
    name: row.name,
    mode: (row.livemode === 1 ? 'live' : 'test') as Mode,
    prefix: row.prefix,
    scopes: fromJson<string[]>(row.scopes, []),
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** `prl_live_` or `prl_test_` and 32 random url-safe characters (192 bits). */
export function generateApiKey(mode: Mode) {
  const key = `prl_${mode}_${randomToken(24)}`;
  return { key, hash: sha256Hex(key), prefix: key.slice(0, 13) };
}

async function insertApiKey(
  db: Db | Trx,
  workspaceId: string,
  mode: Mode,
  scopes: string[],
  name: string | null,
  now: string,
) {
  const { key, hash, prefix } = generateApiKey(mode);
  const row: ApiKeysTable = {
    id: newId('key'),
    workspace_id: workspaceId,
    livemode: mode === 'live' ? 1 : 0,
    name,
    prefix,
    key_hash: hash,
    scopes: toJson(scopes),
    last_used_at: null,
    revoked_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { ...presentApiKey(row), key };
}

export async function createWorkspace(
  ctx: AppContext,
  input: { name: string; plan?: string; default_country: string },
) {
  const plan = input.plan ?? ctx.config.defaultPlan;
  return ctx.transaction((tx) => insertWorkspace(ctx, tx.db, { ...input, plan }));
}

export function presentAdminWorkspace(row: WorkspacesTable) {
  const overrides = fromJson<Partial<PlanLimits> | null>(row.limits, null) ?? {};
  return {
    ...presentWorkspace(row, true),
    limits: limitsFor(row.plan, overrides),
    limit_overrides: overrides as Record<string, number | null>,
  };
}

/**
 * Changes a workspace's plan and per-limit overrides (admin only). Overrides merge into the
 * ones already set; `limits: null` removes them all. Every process forgets its cached keys, so
 * the new limits apply from the next request.
 */
export async function updateWorkspace(
  ctx: AppContext,
  id: string,
  input: { plan?: PlanName; limits?: Partial<PlanLimits> | null },
) {
  const row = await getWorkspace(ctx, id);
  const now = ctx.clock.now().toISOString();
  let overrides = fromJson<Partial<PlanLimits> | null>(row.limits, null) ?? {};
  if (input.limits === null) overrides = {};
  else if (input.limits) {
    for (const [name, value] of Object.entries(input.limits)) {
      if (value !== undefined) overrides[name as keyof PlanLimits] = value;
    }
  }
  const next: WorkspacesTable = {
    ...row,
    plan: input.plan ?? row.plan,
    limits: Object.keys(overrides).length ? toJson(overrides) : null,
    updated_at: now,
  };
  await ctx.db
    .updateTable('workspaces')
    .set({ plan: next.plan, limits: next.limits, updated_at: now })
    .where('id', '=', id)
    .execute();
  ctx.apiKeys.clear();
  await ctx.bus.publish(API_KEYS_CHANGED, id);
  return presentAdminWorkspace(next);
}

async function insertWorkspace(
  ctx: AppContext,
  db: Trx,
  input: { name: string; plan: string; default_country: string },
) {
  const now = ctx.clock.now().toISOString();
  const row: WorkspacesTable = {
    id: newId('ws'),
    name: input.name,
    plan: input.plan,
    default_country: input.default_country,
    limits: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('workspaces').values(row).execute();
  const live = await insertApiKey(db, row.id, 'live', ['*'], 'Default live key', now);
  const test = await insertApiKey(db, row.id, 'test', ['*'], 'Default test key', now);
  return { workspace: presentWorkspace(row, true), api_keys: [live, test] };
}

/**
 * On the first start of an empty database, creates the default workspace. Processes starting
 * together on one PostgreSQL database take a lock, so only one of them creates it.
 */
export async function bootstrapDefaultWorkspace(ctx: AppContext) {
  return ctx.transaction(async (tx) => {
    if (ctx.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(hashtext('parley.bootstrap'))`.execute(tx.db);
    const row = await tx.db.selectFrom('workspaces').select('id').limit(1).executeTakeFirst();
    if (row) return undefined;
    return insertWorkspace(ctx, tx.db, {
      name: 'Default workspace',
      plan: ctx.config.defaultPlan,
      default_country: 'IN',
    });
  });
}

/** What a workspace's sends and calls are held to: its plan's limits and its default country. */
export interface WorkspaceTerms {
  name: string;
  plan: string;
  limits: PlanLimits;
  /** The country local phone numbers are read in (ISO 3166-1 alpha-2). */
  defaultCountry: string;
}

/**
 * A workspace's terms, for the modules that send, call or read phone numbers on its behalf.
 * The workspace always exists where this is asked (every caller holds a row that references it),
 * so a missing one is a bug and throws.
 */
export async function workspaceTerms(db: Db | Trx, workspaceId: string): Promise<WorkspaceTerms> {
  const row = await db
    .selectFrom('workspaces')
    .select(['name', 'plan', 'limits', 'default_country'])
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) throw new Error(`Workspace ${workspaceId} does not exist.`);
  return {
    name: row.name,
    plan: row.plan,
    limits: limitsFor(row.plan, fromJson<Partial<PlanLimits> | null>(row.limits, null)),
    defaultCountry: row.default_country,
  };
}

export async function getWorkspace(ctx: AppContext, id: string) {
  const row = await ctx.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('workspace', id);
  return row;
}

export async function createApiKey(ctx: AppContext, auth: Auth, input: { name?: string; scopes?: string[] }) {
  const scopes = input.scopes ?? ['*'];
  // A key can hand out only what it has itself.
  const beyond = scopes.filter(
    (s) =>
      !(s === '*'
        ? auth.scopes.includes('*')
        : hasScope(auth.scopes, s.endsWith(':*') ? `${s.slice(0, -2)}:write` : s)),
  );
  if (beyond.length) {
    throw new ApiError('forbidden', `A key cannot grant scopes it does not have: ${beyond.join(', ')}.`);
  }
  const now = ctx.clock.now().toISOString();
  return insertApiKey(
    ctx.db,
    auth.workspaceId,
    auth.livemode ? 'live' : 'test',
    scopes,
    input.name ?? null,
    now,
  );
}

export async function listApiKeys(
  ctx: AppContext,
  auth: Auth,
  page: PageRequest,
): Promise<Page<ReturnType<typeof presentApiKey>>> {
  const query = tenant(ctx.db, auth).selectFrom('api_keys').selectAll().orderBy('id', 'desc');
  return paginate(query, page, presentApiKey);
}

export async function getApiKey(ctx: AppContext, auth: Auth, id: string) {
  const row = await tenant(ctx.db, auth)
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('API key', id);
  return row;
}

/** Revocation is effective at once: keys are checked against the database on every request. */
export async function revokeApiKey(ctx: AppContext, auth: Auth, id: string) {
  const row = await getApiKey(ctx, auth, id);
  if (row.revoked_at) return presentApiKey(row);
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .updateTable('api_keys')
    .set({ revoked_at: now, updated_at: now })
    .where('id', '=', id)
    .execute();
  // Effective at once: this process forgets its cached keys now, the others when the bus tells them.
  ctx.apiKeys.clear();
  await ctx.bus.publish(API_KEYS_CHANGED, id);
  return presentApiKey({ ...row, revoked_at: now, updated_at: now });
}
