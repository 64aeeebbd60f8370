import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { toJson } from '../../platform/json.ts';
import type { ChannelRow } from './channels.tables.ts';
import { channelKinds } from './kinds.ts';

/** Whether any workspace has an active Twilio voice channel (its calls need Parley's public wss:// URL). */
export async function hasTwilioVoiceChannel(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('channels')
    .select('id')
    .where('type', '=', 'voice')
    .where('provider', '=', 'twilio')
    .where('status', '=', 'active')
    .limit(1)
    .executeTakeFirst();
  return !!row;
}

/**
 * An active voice channel of this workspace and mode: the one with this id, the one with this
 * number (`address`, E.164), or with neither the oldest one.
 */
export function activeVoiceChannel(
  db: Db | Trx,
  scope: Scope,
  by: { id?: string; address?: string },
): Promise<ChannelRow | undefined> {
  let q = tenant(db, scope)
    .selectFrom('channels')
    .selectAll()
    .where('type', '=', 'voice')
    .where('status', '=', 'active');
  if (by.id) q = q.where('id', '=', by.id);
  else if (by.address) q = q.where('address', '=', by.address);
  else q = q.orderBy('created_at', 'asc');
  return q.executeTakeFirst();
}

/**
 * The live-mode channel web calls' conversations live on when the workspace has no voice channel:
 * a sandbox-provider voice channel on the sandbox number, made on first use (a race's loser reads
 * the winner's row).
 */
export async function ensureWebCallChannel(db: Db | Trx, ctx: AppContext, scope: Scope): Promise<ChannelRow> {
  const address = channelKinds.voice.sandboxAddress;
  const find = () =>
    tenant(db, scope)
      .selectFrom('channels')
      .selectAll()
      .where('type', '=', 'voice')
      .where('address', '=', address)
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing;
  const at = ctx.clock.now().toISOString();
  await db
    .insertInto('channels')
    .values({
      ...newRow('ch', scope),
      type: 'voice',
      provider: 'sandbox',
      address,
      agent_id: null,
      credentials: ctx.secrets.sealJson({}),
      settings: toJson({ purpose: 'web_calls' }),
      status: 'active',
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'type', 'address']).doNothing())
    .execute();
  return (await find())!;
}
