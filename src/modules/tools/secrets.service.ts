import { createHmac, randomBytes } from 'node:crypto';
import type { Updateable } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound } from '../../platform/errors.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { ToolSecretsTable, ToolSettingsTable } from './tools.tables.ts';
import './tools.tables.ts';

/*
 * A workspace's secrets (`{{secret.crm_token}}` in a tool's request) and its tool key. Secrets are
 * sealed like channel credentials (ctx.secrets, AES-256-GCM) and never leave the server: the API
 * answers them masked, and a tool call's record, errors and events carry `[secret:name]` instead.
 */

export const MASK = '********';

const presentSecret = (row: ToolSecretsTable) => ({
  object: 'secret' as const,
  name: row.name,
  value: MASK as typeof MASK,
  livemode: row.livemode === 1,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/** Sets a secret: 201 when new, 200 when its value is replaced. */
export async function putSecret(ctx: AppContext, scope: Scope, input: { name: string; value: string }) {
  const now = ctx.clock.now().toISOString();
  const sealed = ctx.secrets.seal(input.value);
  const existing = await tenant(ctx.db, scope)
    .selectFrom('tool_secrets')
    .selectAll()
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (existing) {
    await tenant(ctx.db, scope).updateById('tool_secrets', existing.id, { sealed, updated_at: now });
    return { created: false, secret: presentSecret({ ...existing, sealed, updated_at: now }) };
  }
  const row: ToolSecretsTable = {
    ...newRow('tsec', scope),
    name: input.name,
    sealed,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('tool_secrets').values(row).execute();
  return { created: true, secret: presentSecret(row) };
}

export async function listSecrets(ctx: AppContext, scope: Scope) {
  const rows = await tenant(ctx.db, scope).selectFrom('tool_secrets').selectAll().orderBy('name').execute();
  return { data: rows.map(presentSecret) };
}

export async function deleteSecret(
  ctx: AppContext,
  scope: Scope,
  name: string,
  usedBy: (name: string) => Promise<string[]>,
) {
  const row = await tenant(ctx.db, scope)
    .selectFrom('tool_secrets')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound('secret', name);
  const tools = await usedBy(name);
  if (tools.length)
    throw new ApiError(
      'conflict',
      `The secret ${name} is used by the tools ${tools.join(', ')}; change them first.`,
      {
        details: { tools },
      },
    );
  await tenant(ctx.db, scope).deleteFrom('tool_secrets').where('id', '=', row.id).execute();
  return { object: 'secret' as const, name, deleted: true as const };
}

export async function secretNames(db: Db | Trx, scope: Scope): Promise<Set<string>> {
  const rows = await tenant(db, scope).selectFrom('tool_secrets').select('name').execute();
  return new Set(rows.map((r) => r.name));
}

/** The opened values of the named secrets (only those a request uses are opened). */
export async function secretValues(
  ctx: AppContext,
  scope: Scope,
  names: string[],
): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const rows = await tenant(ctx.db, scope)
    .selectFrom('tool_secrets')
    .select(['name', 'sealed'])
    .where('name', 'in', names)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.name, ctx.secrets.open(r.sealed)]));
}

// --- The tool key and the private hosts -----------------------------------------------------

export interface ToolSettings {
  signingSecret: string;
  allowedPrivateHosts: string[];
}

const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The workspace's tool settings, made on first use (a tool key of its own per workspace and mode). */
export async function toolSettings(ctx: AppContext, scope: Scope): Promise<ToolSettings> {
  const read = () => tenant(ctx.db, scope).selectFrom('tool_settings').selectAll().executeTakeFirst();
  let row = await read();
  if (!row) {
    const now = ctx.clock.now().toISOString();
    await ctx.db
      .insertInto('tool_settings')
      .values({
        ...newRow('tset', scope),
        signing_secret: ctx.secrets.seal(newSigningSecret()),
        signing_secret_shown_at: null,
        allowed_private_hosts: '[]',
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doNothing())
      .execute();
    row = (await read())!;
  }
  return {
    signingSecret: ctx.secrets.open(row.signing_secret),
    allowedPrivateHosts: fromJson<string[]>(row.allowed_private_hosts, []),
  };
}

/**
 * The settings as the API shows them. The tool key is a secret: it is in the answer only to the
 * one request that first reads it (or rotates it); every other answer has `null` and its last
 * four characters, so a key seen once is never handed out again (as a webhook's secret).
 */
export const presentSettings = (s: ToolSettings, revealed: boolean) => ({
  object: 'tool_settings' as const,
  signing_secret: revealed ? s.signingSecret : null,
  signing_secret_last4: s.signingSecret.slice(-4),
  allowed_private_hosts: s.allowedPrivateHosts,
});

/** Marks the key shown; true for the one caller that shows it first (an UPDATE guarded by the NULL). */
async function revealOnce(ctx: AppContext, scope: Scope): Promise<boolean> {
  const r = await tenant(ctx.db, scope)
    .updateTable('tool_settings')
    .set({ signing_secret_shown_at: ctx.clock.now().toISOString() })
    .where('signing_secret_shown_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** `GET /v1/tool-settings`: made on first use; the key shown to its first reader only. */
export async function readToolSettings(ctx: AppContext, scope: Scope) {
  const settings = await toolSettings(ctx, scope);
  return presentSettings(settings, await revealOnce(ctx, scope));
}

export async function updateToolSettings(
  ctx: AppContext,
  scope: Scope,
  input: { allowed_private_hosts?: string[]; rotate_signing_secret?: boolean },
) {
  await toolSettings(ctx, scope);
  const now = ctx.clock.now().toISOString();
  const patch: Updateable<ToolSettingsTable> = { updated_at: now };
  if (input.allowed_private_hosts)
    patch.allowed_private_hosts = toJson([...new Set(input.allowed_private_hosts)]);
  if (input.rotate_signing_secret) {
    // The new key is shown in this answer, and so counts as shown.
    patch.signing_secret = ctx.secrets.seal(newSigningSecret());
    patch.signing_secret_shown_at = now;
  }
  await tenant(ctx.db, scope).updateTable('tool_settings').set(patch).execute();
  const revealed = input.rotate_signing_secret === true || (await revealOnce(ctx, scope));
  return presentSettings(await toolSettings(ctx, scope), revealed);
}

/**
 * Standard Webhooks headers for one tool request, as the SDK's `verifyWebhook` checks them:
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the bytes after `whsec_`.
 */
export function signRequest(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
