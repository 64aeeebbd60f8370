import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import type { Db, Trx } from '../../../platform/db/database.ts';
import { inScope, type Scope } from '../../../platform/db/scope.ts';
import { fromJson, toJson } from '../../../platform/json.ts';
import type { AccountHealthNotice, ChannelConfig } from '../channel-adapter.ts';
import type { ChannelRow } from '../channels.tables.ts';
import type { ChannelHealthTable } from '../providers.tables.ts';
import '../providers.tables.ts';
import { describe } from '../../../platform/http/schemas.ts';
import { TIER_LIMITS } from './meta-health.ts';

/**
 * A WhatsApp channel's account health: what Meta's health webhooks (meta-health.ts) and the
 * channel doctor's reads say about the number and its account, kept per channel, read by
 * `GET /v1/channels/{id}/health`, the inbox's banner and the broadcast pacing (the messaging tier).
 */

const MAX_EVENTS = 20;

export interface HealthChange {
  quality?: string;
  tier?: string;
  nameStatus?: string;
  verifiedName?: string;
  accountStatus?: string;
  violation?: string;
  restrictions?: Array<{ type: string; expires?: string }>;
  event?: { field: string; event: string; at: string; value?: unknown };
}

async function healthRow(db: Db | Trx, channelId: string): Promise<ChannelHealthTable | undefined> {
  return db.selectFrom('channel_health').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
}

/** Merges a change into the channel's health row (created on first change). */
export async function recordHealth(
  ctx: AppContext,
  channel: Pick<ChannelConfig, 'id' | 'workspaceId' | 'livemode'>,
  change: HealthChange,
): Promise<void> {
  await ctx.transaction(async (tx) => {
    const at = ctx.clock.now().toISOString();
    // The row first (a no-op when it exists), then locked: webhooks processed side by side merge
    // into it one after the other (SQLite has one writer anyway).
    await tx.db
      .insertInto('channel_health')
      .values({
        channel_id: channel.id,
        workspace_id: channel.workspaceId,
        livemode: channel.livemode ? 1 : 0,
        quality: null,
        tier: null,
        name_status: null,
        verified_name: null,
        account_status: null,
        violation: null,
        restrictions: '[]',
        events: '[]',
        updated_at: at,
      })
      .onConflict((oc) => oc.column('channel_id').doNothing())
      .execute();
    let q = tx.db.selectFrom('channel_health').selectAll().where('channel_id', '=', channel.id);
    if (ctx.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    const events = fromJson<unknown[]>(row.events, []);
    if (change.event) events.unshift(change.event);
    await tx.db
      .updateTable('channel_health')
      .set({
        quality: change.quality ?? row.quality,
        tier: change.tier ?? row.tier,
        name_status: change.nameStatus ?? row.name_status,
        verified_name: change.verifiedName ?? row.verified_name,
        account_status: change.accountStatus ?? row.account_status,
        violation: change.violation ?? row.violation,
        restrictions: change.restrictions ? toJson(change.restrictions) : row.restrictions,
        events: toJson(events.slice(0, MAX_EVENTS)),
        updated_at: at,
      })
      .where('channel_id', '=', channel.id)
      .execute();
  });
}

/** Stores what a webhook batch said about the account, oldest first. */
export async function applyHealthNotices(
  ctx: AppContext,
  channel: ChannelConfig,
  notices: AccountHealthNotice[],
): Promise<void> {
  for (const n of notices)
    await recordHealth(ctx, channel, {
      ...(n.quality ? { quality: n.quality } : {}),
      ...(n.tier ? { tier: n.tier } : {}),
      ...(n.nameStatus ? { nameStatus: n.nameStatus } : {}),
      ...(n.verifiedName ? { verifiedName: n.verifiedName } : {}),
      ...(n.accountStatus ? { accountStatus: n.accountStatus } : {}),
      ...(n.violation ? { violation: n.violation } : {}),
      ...(n.restrictions ? { restrictions: n.restrictions } : {}),
      event: { field: n.field, event: n.event, at: n.at.toISOString(), value: n.raw },
    });
}

/** What is wrong, in plain words, with what to do; empty when nothing is. */
function problemsOf(row: ChannelHealthTable): Array<{ severity: 'bad' | 'warning'; message: string }> {
  const out: Array<{ severity: 'bad' | 'warning'; message: string }> = [];
  const restrictions = fromJson<Array<{ type: string; expires?: string }>>(row.restrictions, []);
  const status = row.account_status ?? '';
  if (status === 'DISABLE' || status === 'DELETED')
    out.push({
      severity: 'bad',
      message: `Meta ${status === 'DELETED' ? 'deleted' : 'disabled'} this WhatsApp Business Account: nothing can be sent. Open WhatsApp Manager's Account quality page to see why and request a review.`,
    });
  if (status === 'SCHEDULE_FOR_DISABLE')
    out.push({
      severity: 'bad',
      message:
        "Meta scheduled this WhatsApp Business Account to be disabled. Open WhatsApp Manager's Account quality page and fix or appeal the violation before the date Meta gives.",
    });
  if (row.violation)
    out.push({
      severity: 'bad',
      message: `Meta reported a policy violation (${row.violation}). Review WhatsApp's Business and Commerce policies and the flagged messages in WhatsApp Manager.`,
    });
  for (const r of restrictions)
    out.push({
      severity: 'bad',
      message: `Meta restricted this account (${r.type})${r.expires ? ` until ${r.expires}` : ''}: sends it covers are refused meanwhile.`,
    });
  if (row.quality === 'RED')
    out.push({
      severity: 'bad',
      message:
        'Quality rating is low (red): customers are blocking or reporting your messages. Pause marketing broadcasts, send only to people who asked for them, and check which templates are rated red.',
    });
  else if (row.quality === 'YELLOW')
    out.push({
      severity: 'warning',
      message:
        'Quality rating is medium (yellow): fewer, more relevant marketing messages keep the number out of red.',
    });
  if (row.name_status === 'REJECTED')
    out.push({
      severity: 'bad',
      message:
        'Meta rejected the display name: edit it in WhatsApp Manager following the display name guidelines.',
    });
  else if (row.name_status === 'PENDING' || row.name_status === 'DEFERRED')
    out.push({ severity: 'warning', message: 'The display name is still under review by Meta.' });
  return out;
}

export type HealthStatus = 'ok' | 'warning' | 'bad' | 'unknown';

export function presentHealth(channel: Pick<ChannelRow, 'id'>, row: ChannelHealthTable | undefined) {
  const problems = row ? problemsOf(row) : [];
  const status: HealthStatus = !row
    ? 'unknown'
    : problems.some((p) => p.severity === 'bad')
      ? 'bad'
      : problems.length
        ? 'warning'
        : 'ok';
  const limit = row?.tier ? TIER_LIMITS[row.tier] : undefined;
  return {
    object: 'channel_health' as const,
    channel_id: channel.id,
    status,
    quality: row?.quality?.toLowerCase() ?? null,
    messaging_tier: row?.tier ?? null,
    unique_users_per_24h: limit === undefined || limit < 0 ? null : limit,
    name_status: row?.name_status?.toLowerCase() ?? null,
    verified_name: row?.verified_name ?? null,
    account_status: row?.account_status?.toLowerCase() ?? null,
    violation: row?.violation ?? null,
    restrictions: fromJson<Array<{ type: string; expires?: string }>>(row?.restrictions, []).map((r) => ({
      type: r.type,
      expires: r.expires ?? null,
    })),
    problems: problems.map((p) => p.message),
    events: fromJson<Array<{ field: string; event: string; at: string }>>(row?.events, []).map((e) => ({
      field: e.field,
      event: e.event,
      at: e.at,
    })),
    updated_at: row?.updated_at ?? null,
  };
}

export async function channelHealth(db: Db | Trx, channel: ChannelRow) {
  return presentHealth(channel, await healthRow(db, channel.id));
}

/** Health of several channels of a scope (the inbox banner), by channel id. */
export async function healthOfChannels(db: Db | Trx, scope: Scope, ids: string[]) {
  if (!ids.length) return new Map<string, ReturnType<typeof presentHealth>>();
  const rows = await db
    .selectFrom('channel_health')
    .selectAll()
    .where(inScope(scope))
    .where('channel_id', 'in', ids)
    .execute();
  const byId = new Map(rows.map((r) => [r.channel_id, r]));
  return new Map(ids.map((id) => [id, presentHealth({ id }, byId.get(id))]));
}

/**
 * Meta's messaging limit for a channel: business-initiated conversations with unique users per
 * rolling 24 hours; undefined when unknown or unlimited.
 */
export async function uniqueUsersPer24h(db: Db | Trx, channelId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('channel_health')
    .select('tier')
    .where('channel_id', '=', channelId)
    .executeTakeFirst();
  const limit = row?.tier ? TIER_LIMITS[row.tier] : undefined;
  return limit !== undefined && limit >= 0 ? limit : undefined;
}

const nullableText = (d: string, e: unknown) => describe(z.string().nullable(), d, e);

export const channelHealthObject = z.object({
  object: describe(z.literal('channel_health'), 'Always `channel_health`.', 'channel_health'),
  channel_id: describe(z.string(), 'The channel.', 'ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  status: describe(
    z.enum(['ok', 'warning', 'bad', 'unknown']),
    '`bad` when Meta disabled, restricted or flagged the account or number, or rejected its name; `warning` for a yellow rating or a name under review; `unknown` before Meta has said anything (run the channel doctor).',
    'bad',
  ),
  quality: nullableText('Quality rating: `green`, `yellow`, `red`, `unknown`.', 'red'),
  messaging_tier: nullableText("Meta's messaging limit tier.", 'TIER_250'),
  unique_users_per_24h: describe(
    z.number().int().nullable(),
    'Business-initiated conversations with unique users per rolling 24 hours the tier allows (null: unlimited or unknown). Broadcasts are paced to it.',
    250,
  ),
  name_status: nullableText(
    'Display name review: `approved`, `pending`, `deferred`, `rejected`.',
    'approved',
  ),
  verified_name: nullableText('The display name.', 'Lucky Shrub'),
  account_status: nullableText(
    'The WhatsApp Business Account: `active`, `disable`, `schedule_for_disable`, `deleted`.',
    'active',
  ),
  violation: nullableText('The last policy violation Meta reported.', null),
  restrictions: describe(
    z.array(
      z.object({
        type: describe(z.string(), "Meta's restriction type.", 'RESTRICTED_ADD_PHONE_NUMBER_ACTION'),
        expires: describe(z.string().nullable(), 'When it ends, as Meta gives it (null: not said).', null),
      }),
    ),
    'Restrictions Meta placed on the account.',
    [],
  ),
  problems: describe(z.array(z.string()), 'What is wrong, in plain words, with what to do.', [
    'Quality rating is low (red): customers are blocking or reporting your messages.',
  ]),
  events: describe(
    z.array(
      z.object({
        field: describe(z.string(), 'The webhook field.', 'phone_number_quality_update'),
        event: describe(z.string(), "Meta's event (or the field, when Meta named none).", 'FLAGGED'),
        at: describe(z.string(), 'When Parley received it.', '2026-11-25T10:00:00.000Z'),
      }),
    ),
    "Meta's latest health webhooks, newest first.",
    [{ field: 'phone_number_quality_update', event: 'FLAGGED', at: '2026-11-25T10:00:00.000Z' }],
  ),
  updated_at: nullableText('When Meta last said something.', '2026-11-25T10:00:00.000Z'),
});
