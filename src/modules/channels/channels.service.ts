import type { AppContext } from '../../platform/context.ts';
import { randomToken } from '../../platform/crypto.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { livemodeValue, newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, notFound, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import type { Page, PageRequest } from '../../platform/http/pagination.ts';
import { paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { teamExists } from '../users/index.ts';
import { adapterFor } from './adapters.ts';
import { invalidAddressMessage, normalizeOwnAddress } from './address.ts';
import {
  type ChannelConfig,
  ChannelSendError,
  type ChannelType,
  type ProviderName,
} from './channel-adapter.ts';
import { credentialFieldsFor, optionalCredentialFields } from './channels.schemas.ts';
import type { ChannelRow } from './channels.tables.ts';
import { channelKinds } from './kinds.ts';
import { checkWebSettings } from './web-settings.ts';

export type { Scope };

/** Credentials never leave the server; the API says which fields are set. */
function storedFields(ctx: AppContext, row: ChannelRow): string[] {
  const creds = ctx.secrets.openJson<Record<string, string>>(row.credentials);
  return Object.keys(creds).filter((k) => k !== 'inbound_token');
}

export function inboundUrl(
  ctx: AppContext,
  row: Pick<ChannelRow, 'id' | 'type' | 'provider'>,
): string | null {
  const base = (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
  const own = adapterFor(ctx, row.provider)?.inboundPath?.(row);
  if (own) return `${base}${own}`;
  if (row.provider === 'meta')
    return `${base}/hooks/${row.type === 'whatsapp' ? 'whatsapp' : 'meta'}/${row.id}`;
  if (row.provider === 'twilio')
    return `${base}/hooks/twilio/${row.id}/${row.type === 'voice' ? 'voice' : 'sms'}`;
  if (row.type === 'email' && row.provider === 'smtp') return `${base}/hooks/email/${row.id}`;
  if (row.provider === 'livekit') return `${base}/hooks/livekit/${row.id}`;
  if (row.provider === 'widget') return `${base}/widget.js`;
  return null;
}

export function presentChannel(ctx: AppContext, row: ChannelRow) {
  const fields = storedFields(ctx, row);
  return {
    ...objectHead(row, 'channel'),
    type: row.type,
    provider: row.provider,
    address: row.address,
    agent_id: row.agent_id,
    handoff_policy: { team_id: row.handoff_team_id ?? null },
    status: row.status,
    credentials_set: fields.length > 0,
    credential_fields: fields,
    settings: fromJson<Record<string, unknown>>(row.settings, {}),
    inbound_url: inboundUrl(ctx, row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A channel's handoff team must be a team of its workspace and mode. */
async function checkTeam(ctx: AppContext, scope: Scope, teamId: string | null | undefined) {
  if (!teamId) return null;
  if (!(await teamExists(ctx.db, scope, teamId)))
    throw new ApiError('not_found', `No team with id ${teamId}.`, {
      errors: [{ field: 'handoff_policy.team_id', message: 'no such team' }],
    });
  return teamId;
}

/** The team handoffs on a channel go to (null: none named). */
export async function channelHandoffTeam(
  db: Db | Trx,
  scope: Scope,
  channelId: string,
): Promise<string | null> {
  const row = await tenant(db, scope)
    .selectFrom('channels')
    .select('handoff_team_id')
    .where('id', '=', channelId)
    .executeTakeFirst();
  return row?.handoff_team_id ?? null;
}

/**
 * Whether an agent exists in this workspace and mode: the agents module (above this one) provides
 * the check (`ctx.ports.agentExists`); without it there is no agent to bind.
 */
function agentExists(ctx: AppContext, db: Db | Trx, scope: Scope, agentId: string): Promise<boolean> {
  return ctx.ports.agentExists?.(db, scope, agentId) ?? Promise.resolve(false);
}

function checkCredentials(
  provider: ProviderName,
  given: Record<string, string | number> | undefined,
  type?: ChannelType,
): Record<string, string> {
  const needed = credentialFieldsFor(provider, type);
  const optional = optionalCredentialFields[provider] ?? [];
  const errors: FieldError[] = [];
  const out: Record<string, string> = {};
  const input = given ?? {};
  for (const k of Object.keys(input)) {
    if (optional.includes(k)) {
      if (String(input[k]).trim() !== '') out[k] = String(input[k]).trim();
      continue;
    }
    if (!needed.includes(k))
      errors.push({
        field: `credentials.${k}`,
        message: `is not a ${provider} credential (expected: ${needed.join(', ') || 'none'})`,
      });
  }
  for (const k of needed) {
    const v = input[k];
    if (v === undefined || String(v).trim() === '')
      errors.push({ field: `credentials.${k}`, message: 'is required' });
    else out[k] = String(v).trim();
  }
  if (provider === 'livekit' && out.url !== undefined && !/^(wss?|https?):\/\/[^\s/]+/.test(out.url)) {
    errors.push({
      field: 'credentials.url',
      message: 'must be the project URL, e.g. wss://my-project.livekit.cloud',
    });
  }
  if (provider === 'smtp' && out.port !== undefined && !/^\d{1,5}$/.test(out.port)) {
    errors.push({ field: 'credentials.port', message: 'must be a port number' });
  }
  if (errors.length) throw validationFailed(errors);
  return out;
}

interface CreateChannelInput {
  type: ChannelType;
  provider: ProviderName;
  address: string;
  agent_id?: string | null;
  credentials?: Record<string, string | number>;
  settings?: Record<string, unknown>;
  handoff_policy?: { team_id: string | null };
}

export async function createChannel(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  input: CreateChannelInput,
) {
  const errors: FieldError[] = [];
  const providers: readonly ProviderName[] = channelKinds[input.type].providers;
  if (!providers.includes(input.provider)) {
    errors.push({
      field: 'provider',
      message: `a ${input.type} channel uses ${providers.join(' or ')}`,
    });
  }
  const address = normalizeOwnAddress(input.type, input.address, scope.defaultCountry);
  if (!address)
    errors.push({
      field: 'address',
      message: invalidAddressMessage(input.type),
    });
  if (errors.length) throw validationFailed(errors);
  const creds = checkCredentials(input.provider, input.credentials, input.type);
  // Email relays authenticate with a per-channel token; it lives with the sealed credentials.
  const inboundToken = input.provider === 'smtp' ? `itk_${randomToken(24)}` : null;
  if (inboundToken) creds.inbound_token = inboundToken;
  Object.assign(creds, adapterFor(ctx, input.provider)?.generateCredentials?.());
  const settings =
    input.type === 'web' ? checkWebSettings(input.settings ?? {}, creds) : checkCatalogue(input.settings);
  if (input.agent_id && !(await agentExists(ctx, ctx.db, scope, input.agent_id))) {
    throw new ApiError('not_found', `No agent with id ${input.agent_id}.`, {
      errors: [{ field: 'agent_id', message: 'no such agent' }],
    });
  }
  const now = ctx.clock.now().toISOString();
  const row: ChannelRow = {
    ...newRow('ch', scope),
    type: input.type,
    provider: input.provider,
    address: address!,
    agent_id: input.agent_id ?? null,
    handoff_team_id: await checkTeam(ctx, scope, input.handoff_policy?.team_id),
    credentials: ctx.secrets.sealJson(creds),
    settings: toJson(settings ?? {}),
    status: 'active',
    created_at: now,
    updated_at: now,
  };
  await assertAddressFree(ctx.db, scope, row.type, row.address);
  await connectProvider(ctx, row, creds);
  await ctx.db.insertInto('channels').values(row).execute();
  await channelsChanged(ctx);
  return { ...presentChannel(ctx, row), inbound_token: inboundToken };
}

async function assertAddressFree(
  db: Db | Trx,
  scope: Scope,
  type: ChannelType,
  address: string,
  exceptId?: string,
) {
  let q = tenant(db, scope)
    .selectFrom('channels')
    .select('id')
    .where('type', '=', type)
    .where('address', '=', address);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const existing = await q.executeTakeFirst();
  if (existing) {
    throw new ApiError(
      'conflict',
      `A ${type} channel with address ${address} already exists (${existing.id}).`,
      {
        details: { existing_id: existing.id },
      },
    );
  }
}

export function getChannelRow(db: Db | Trx, scope: Scope, id: string): Promise<ChannelRow> {
  return tenant(db, scope).getById('channels', id, 'channel');
}

export async function listChannels(
  ctx: AppContext,
  scope: Scope,
  filters: { type?: ChannelType; provider?: ProviderName; agent_id?: string },
  page: PageRequest,
): Promise<Page<ReturnType<typeof presentChannel>>> {
  let q = tenant(ctx.db, scope).selectFrom('channels').selectAll();
  if (filters.type) q = q.where('type', '=', filters.type);
  if (filters.provider) q = q.where('provider', '=', filters.provider);
  if (filters.agent_id) q = q.where('agent_id', '=', filters.agent_id);
  return paginate(q.orderBy('id', 'desc'), page, (r) => presentChannel(ctx, r));
}

export async function updateChannel(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  id: string,
  input: {
    address?: string;
    agent_id?: string | null;
    credentials?: Record<string, string | number>;
    settings?: Record<string, unknown>;
    handoff_policy?: { team_id: string | null };
    status?: 'active' | 'disabled';
  },
) {
  const row = await getChannelRow(ctx.db, scope, id);
  const patch: Partial<ChannelRow> = { updated_at: ctx.clock.now().toISOString() };
  if (input.address !== undefined) {
    const address = normalizeOwnAddress(row.type, input.address, scope.defaultCountry);
    if (!address)
      throw validationFailed([
        {
          field: 'address',
          message: invalidAddressMessage(row.type),
        },
      ]);
    await assertAddressFree(ctx.db, scope, row.type, address, row.id);
    patch.address = address;
  }
  if (input.agent_id !== undefined) {
    if (input.agent_id && !(await agentExists(ctx, ctx.db, scope, input.agent_id))) {
      throw new ApiError('not_found', `No agent with id ${input.agent_id}.`, {
        errors: [{ field: 'agent_id', message: 'no such agent' }],
      });
    }
    patch.agent_id = input.agent_id;
  }
  if (input.credentials !== undefined) {
    const creds = checkCredentials(row.provider, input.credentials, row.type);
    // The email inbound token stays: replacing credentials must not break the relay.
    const old = ctx.secrets.openJson<Record<string, string>>(row.credentials);
    if (old.inbound_token) creds.inbound_token = old.inbound_token;
    // New credentials, new generated secrets: the provider is pointed at the webhook again with them.
    Object.assign(creds, adapterFor(ctx, row.provider)?.generateCredentials?.());
    await connectProvider(ctx, row, creds);
    patch.credentials = ctx.secrets.sealJson(creds);
  }
  if (input.settings !== undefined || (row.type === 'web' && input.credentials !== undefined)) {
    const settings = input.settings ?? fromJson<Record<string, unknown>>(row.settings, {});
    const creds = ctx.secrets.openJson<Record<string, string>>(patch.credentials ?? row.credentials);
    patch.settings = toJson(
      row.type === 'web' ? checkWebSettings(settings, creds) : checkCatalogue(settings),
    );
  }
  if (input.handoff_policy) patch.handoff_team_id = await checkTeam(ctx, scope, input.handoff_policy.team_id);
  if (input.status !== undefined) patch.status = input.status;
  await ctx.db.updateTable('channels').set(patch).where('id', '=', row.id).execute();
  await channelsChanged(ctx);
  return presentChannel(ctx, { ...row, ...patch });
}

/**
 * Points the provider at the channel's webhook, for providers that are told it by API (the
 * adapter's `connect`); a refusal is the caller's 4xx, and nothing is stored.
 */
async function connectProvider(ctx: AppContext, row: ChannelRow, creds: Record<string, string>) {
  const adapter = adapterFor(ctx, row.provider);
  const url = inboundUrl(ctx, row);
  if (!adapter?.connect || !url) return;
  try {
    await adapter.connect({ ...channelConfigOf(ctx, row), credentials: creds }, url);
  } catch (err) {
    if (!(err instanceof ChannelSendError)) throw err;
    if (err.code === 'channel_not_configured')
      throw validationFailed([{ field: 'credentials', message: err.message }]);
    throw new ApiError('provider_error', err.message);
  }
}

export async function deleteChannel(ctx: AppContext, scope: Scope, id: string) {
  const row = await getChannelRow(ctx.db, scope, id);
  await ctx.db.deleteFrom('channels').where('id', '=', row.id).execute();
  // The provider stops calling a webhook that now answers 404; a refusal leaves it to give up.
  await adapterFor(ctx, row.provider)
    ?.disconnect?.(channelConfigOf(ctx, row))
    .catch((err) => ctx.logger.warn({ channel: row.id, code: err?.code }, 'provider webhook not removed'));
  await channelsChanged(ctx);
  return { id: row.id, object: 'channel' as const, deleted: true as const };
}

function credentialsOf(ctx: AppContext, sealed: string): Record<string, string> {
  const cache = ctx.modules.channels.openedCredentials;
  let opened = cache.get(sealed);
  if (!opened) {
    if (cache.size >= 1000) cache.clear();
    opened = ctx.secrets.openJson<Record<string, string>>(sealed);
    cache.set(sealed, opened);
  }
  return { ...opened };
}

export function channelConfigOf(ctx: AppContext, row: ChannelRow): ChannelConfig {
  return {
    id: row.id,
    ...scopeOf(row),
    type: row.type,
    provider: row.provider,
    address: row.address,
    credentials: credentialsOf(ctx, row.credentials),
    settings: fromJson<Record<string, unknown>>(row.settings, {}),
  };
}

/** The channel with its credentials decrypted, for adapters and the provider-facing routes. Unscoped: the id comes from the hook URL. */
export async function loadChannelConfig(ctx: AppContext, channelId: string): Promise<ChannelConfig> {
  const row = await ctx.db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
  if (!row) throw notFound('channel', channelId);
  return channelConfigOf(ctx, row);
}

/**
 * The active channel a send of this type goes out on: the one bound to `agentId`, else the one
 * whose address is `from`, else the oldest of that type. Undefined when none fits.
 */
export async function findChannelForSend(
  db: Db | Trx,
  scope: Scope,
  opts: { type: ChannelType; from?: string; agentId?: string },
): Promise<ChannelRow | undefined> {
  let q = tenant(db, scope)
    .selectFrom('channels')
    .selectAll()
    .where('type', '=', opts.type)
    .where('status', '=', 'active');
  if (opts.from) q = q.where('address', '=', opts.from);
  if (opts.agentId) q = q.where('agent_id', '=', opts.agentId);
  return q.orderBy('id', 'asc').limit(1).executeTakeFirst();
}

/** Published when a channel is created, changed or deleted: every process forgets its sending channels. */
export const CHANNELS_CHANGED = 'parley:channels:changed';
/** How long a process keeps a sending channel it looked up (a missed change message is bounded by this). */
const SEND_CHANNEL_TTL_MS = 5_000;
const sendChannelCache = (ctx: AppContext) => ctx.modules.channels.sendChannels;

/**
 * `findChannelForSend` without an agent, remembered: every batch of sends asks, and channels
 * rarely change. Only channels found are kept (a new channel is seen at once); a change clears
 * them in this process at once and in the others through the bus, and the time limit bounds a
 * missed message. Provider credentials are not read from here (the sender opens them).
 */
export async function findChannelForSendCached(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  opts: { type: ChannelType; from?: string },
): Promise<ChannelRow | undefined> {
  const cache = sendChannelCache(ctx);
  const key = `${scope.workspaceId}:${livemodeValue(scope)}:${opts.type}:${opts.from ?? ''}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) return hit.row;
  const row = await findChannelForSend(db, scope, opts);
  if (row) cache.set(key, { row, expiresAt: now + SEND_CHANNEL_TTL_MS });
  return row;
}

/** Call after writing a channel: this process forgets its sending channels now, the others on the bus. */
export async function channelsChanged(ctx: AppContext) {
  sendChannelCache(ctx).clear();
  await ctx.bus.publish(CHANNELS_CHANGED, '1');
}

/**
 * Test mode's default channel of a type: made on first use, on the sandbox provider. Its
 * WhatsApp flavour does not enforce the 24-hour window so a first `POST /v1/messages` works
 * as is; a sandbox channel created through the API enforces it (as live WhatsApp does).
 */
/** A new, active test-mode sandbox channel row of this type at `address` (an agent's own, or shared: null). */
export function newSandboxChannelRow(
  ctx: AppContext,
  scope: Scope,
  type: ChannelType,
  address: string,
  agentId: string | null,
): ChannelRow {
  const now = ctx.clock.now().toISOString();
  return {
    ...newRow('ch', { workspaceId: scope.workspaceId, livemode: false }),
    type,
    provider: 'sandbox',
    address,
    agent_id: agentId,
    credentials: ctx.secrets.sealJson({}),
    settings: toJson(channelKinds[type].sandboxSettings),
    status: 'active',
    created_at: now,
    updated_at: now,
  };
}

export async function ensureSandboxChannel(
  db: Db | Trx,
  ctx: AppContext,
  scope: Scope,
  type: ChannelType,
): Promise<ChannelRow> {
  const address = channelKinds[type].sandboxAddress;
  // Sandbox channels exist in test mode only.
  const testScope = { workspaceId: scope.workspaceId, livemode: false };
  const existing = await tenant(db, testScope)
    .selectFrom('channels')
    .selectAll()
    .where('type', '=', type)
    .where('address', '=', address)
    .executeTakeFirst();
  if (existing) return existing;
  const row = newSandboxChannelRow(ctx, testScope, type, address, null);
  // Two first sends at once may race to make it; the loser reads the winner's row.
  await db
    .insertInto('channels')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'type', 'address']).doNothing())
    .execute();
  return tenant(db, testScope)
    .selectFrom('channels')
    .selectAll()
    .where('type', '=', type)
    .where('address', '=', address)
    .executeTakeFirstOrThrow();
}

/**
 * Channels answered by an agent being deleted lose it, in the delete's transaction: a channel
 * with no agent is answered by the workspace's default agent (SPEC §6), and the sandbox binds
 * its default channel to that agent on the next message. Senders forget their channels once it commits.
 */
export async function unbindAgentChannels(ctx: AppContext, tx: Tx, scope: Scope, agentId: string) {
  const unbound = await tenant(tx.db, scope)
    .updateTable('channels')
    .set({ agent_id: null, updated_at: ctx.clock.now().toISOString() })
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  if (Number(unbound.numUpdatedRows) > 0) tx.afterCommit(() => channelsChanged(ctx));
}

/** A WhatsApp channel's `catalog_id` setting: a Commerce Manager catalogue id (digits). */
function checkCatalogue<T extends Record<string, unknown> | undefined>(settings: T): T {
  const id = settings?.catalog_id;
  if (id !== undefined && id !== null && !(typeof id === 'string' && /^\d{1,30}$/.test(id)))
    throw validationFailed([
      {
        field: 'settings.catalog_id',
        message: 'must be the catalogue id from Commerce Manager (digits, as a string)',
      },
    ]);
  return settings;
}
