import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, scopeOf } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import type { Auth } from '../../platform/http/route.ts';
import { toJson } from '../../platform/json.ts';
import { getAudienceRow } from '../audiences/index.ts';
import { findChannelForSend } from '../channels/index.ts';
import { contactsByIds, normalizePhone } from '../contacts/index.ts';
import { findTemplateForSend, messageStatuses } from '../messaging/index.ts';
import { DEFAULT_VALID_HOURS } from './broadcasts.deferrals.ts';
import { completionJob, fanOutJob } from './broadcasts.jobs.ts';
import type { recipientStatuses } from './broadcasts.schemas.ts';
import type { BroadcastsTable } from './broadcasts.tables.ts';
import { checkBroadcastVariables } from './variables.ts';

export type { Scope };

type RecipientStatus = (typeof recipientStatuses)[number];
export type Counts = Record<'total' | RecipientStatus, number>;

/** Completion is polled from 0.5 s, growing to 30 s between checks. */
export const pollDelayMs = (round: number) => Math.min(30_000, Math.round(500 * 1.5 ** round));

import { emptyCounts, getBroadcastRow, lockBroadcast, present, presentBroadcast } from './broadcasts.read.ts';

// ---------------------------------------------------------------------------------------------
// Creating and cancelling.

/** By placeholder, or a list by position (`{{1}}`, `{{2}}`...). */
type Variables = Record<string, string | number> | Array<string | number>;

export interface CreateBroadcastInput {
  name: string;
  template: string | { name: string; language?: string; variables?: Variables };
  audience_id?: string;
  contact_ids?: string[];
  phones?: string[];
  variables?: Variables;
  send_at?: string;
  from?: string;
  valid_for_hours?: number;
}

/**
 * Checks everything a caller can fix now (recipients, template, variables, channel), then
 * stores the broadcast and its fan-out job in one transaction: 202 at once, whatever the size.
 */
export async function createBroadcast(ctx: AppContext, auth: Auth, input: CreateBroadcastInput) {
  const scope: Scope = { workspaceId: auth.workspaceId, livemode: auth.livemode };
  const list = await checkRecipients(ctx, auth, scope, input);

  const ref = typeof input.template === 'string' ? { name: input.template } : input.template;
  const tpl = await findTemplateForSend(ctx.db, scope, ref.name, ref.language);
  if (tpl.status !== 'approved')
    throw new ApiError(
      'template_not_approved',
      `Template ${tpl.name} (${tpl.language}) is ${tpl.status}; only approved templates can be broadcast.`,
      { details: { template: tpl.name, template_status: tpl.status } },
    );
  const variables = broadcastVariables(input);
  const varErrors = checkBroadcastVariables(tpl.body, variables);
  if (varErrors.length) throw validationFailed(varErrors);

  await checkSendingChannel(ctx, scope, input.from);

  const now = ctx.clock.now();
  const sendAt = input.send_at ? new Date(input.send_at) : null;
  const later = sendAt !== null && sendAt.getTime() > now.getTime();
  const at = now.toISOString();
  const row: BroadcastsTable = {
    ...newRow('bc', scope),
    name: input.name,
    template_name: tpl.name,
    template_language: tpl.language,
    variables: toJson(variables),
    source: input.audience_id ? 'audience' : input.contact_ids ? 'contact_ids' : 'phones',
    audience_id: input.audience_id ?? null,
    source_list: list ? toJson(list) : null,
    from_address: input.from ?? null,
    send_at: sendAt ? sendAt.toISOString() : null,
    status: later ? 'scheduled' : 'sending',
    actor_type: auth.actor.type,
    actor_id: auth.actor.id,
    error_code: null,
    error_message: null,
    expanded_at: null,
    started_at: later ? null : at,
    cancelled_at: null,
    completed_at: null,
    valid_until: new Date(
      (later ? sendAt!.getTime() : now.getTime()) +
        (input.valid_for_hours ?? DEFAULT_VALID_HOURS) * 3_600_000,
    ).toISOString(),
    created_at: at,
    updated_at: at,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('broadcasts').values(row).execute();
    await ctx.queue.enqueue(tx.db, fanOutJob, { broadcastId: row.id }, later ? { runAt: sendAt } : {});
  });
  return presentBroadcast(row, emptyCounts());
}

/** Exactly one source of recipients, every one valid; the deduplicated phones or contact ids. */
async function checkRecipients(
  ctx: AppContext,
  auth: Auth,
  scope: Scope,
  input: CreateBroadcastInput,
): Promise<string[] | null> {
  const sources = (['audience_id', 'contact_ids', 'phones'] as const).filter((k) => input[k] !== undefined);
  if (sources.length !== 1) {
    const message =
      sources.length === 0
        ? 'give the recipients: one of audience_id, contact_ids or phones'
        : `give only one of audience_id, contact_ids or phones (got ${sources.join(', ')})`;
    throw validationFailed((sources.length ? sources : ['audience_id']).map((field) => ({ field, message })));
  }
  if (sources[0] === 'phones') return checkPhones(input.phones ?? [], auth.defaultCountry);
  if (sources[0] === 'contact_ids') return checkContactIds(ctx, scope, input.contact_ids ?? []);
  if (input.audience_id) await getAudienceRow(ctx.db, auth, input.audience_id);
  return null;
}

function checkPhones(phones: string[], defaultCountry: string): string[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  phones.forEach((p, i) => {
    const e164 = normalizePhone(p, defaultCountry);
    if (!e164)
      errors.push({ field: `phones.${i}`, message: `${JSON.stringify(p)} is not a valid phone number` });
    else seen.add(e164);
  });
  if (errors.length) throw validationFailed(errors);
  return [...seen];
}

async function checkContactIds(ctx: AppContext, scope: Scope, ids: string[]): Promise<string[]> {
  const list = [...new Set(ids)];
  const found = new Set<string>();
  for (const r of await contactsByIds(ctx.db, scope, list)) found.add(r.id);
  const errors: FieldError[] = [];
  ids.forEach((id, i) => {
    if (!found.has(id)) errors.push({ field: `contact_ids.${i}`, message: `no contact ${id}` });
  });
  if (errors.length) throw validationFailed(errors);
  return list;
}

/** A list is by position ({{1}}, {{2}}...); the template's own variables, then the top-level ones. */
function broadcastVariables(input: CreateBroadcastInput): Record<string, string | number> {
  const byPlace = (v: Variables | undefined): Record<string, string | number> =>
    Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i + 1), x])) : (v ?? {});
  return {
    ...byPlace(typeof input.template === 'string' ? undefined : input.template.variables),
    ...byPlace(input.variables),
  };
}

/** The `from` address names an active WhatsApp channel; without one, live mode needs some channel. */
async function checkSendingChannel(ctx: AppContext, scope: Scope, from: string | undefined): Promise<void> {
  if (from && !(await findChannelForSend(ctx.db, scope, { type: 'whatsapp', from })))
    throw new ApiError('channel_not_configured', `No active WhatsApp channel has the address ${from}.`);
  if (!from && scope.livemode && !(await findChannelForSend(ctx.db, scope, { type: 'whatsapp' })))
    throw new ApiError(
      'channel_not_configured',
      'No WhatsApp channel is configured for live mode; connect one with POST /v1/channels.',
    );
}

/**
 * Stops a broadcast: recipients not yet handed to messaging become `cancelled` (those already
 * sent keep their message). Cancelling a cancelled broadcast returns it; a finished one is 409.
 */
export async function cancelBroadcast(ctx: AppContext, scope: Scope, id: string) {
  const now = ctx.clock.now().toISOString();
  const row = await ctx.transaction(async (tx) => {
    const b = await getBroadcastRow(tx.db, scope, id);
    if (b.status === 'cancelled') return b;
    if (b.status === 'completed' || b.status === 'failed')
      throw new ApiError('conflict', `Broadcast ${id} is already ${b.status}.`);
    const res = await tx.db
      .updateTable('broadcasts')
      .set({ status: 'cancelled', cancelled_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', b.status)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      throw new ApiError('conflict', `Broadcast ${id} changed meanwhile; retry.`);
    await cancelPending(tx.db, id, now);
    const updated = { ...b, status: 'cancelled' as const, cancelled_at: now, updated_at: now };
    if (!b.expanded_at) {
      // Its recipients are still written (as cancelled) so the counts show who was not sent.
      await ctx.queue.enqueue(tx.db, fanOutJob, { broadcastId: id });
    } else if (!(await completeIfSettled(ctx, tx, id))) {
      await ctx.queue.enqueue(
        tx.db,
        completionJob,
        { broadcastId: id, round: 0 },
        { delayMs: pollDelayMs(0) },
      );
    }
    return updated;
  });
  return present(ctx.db, await getBroadcastRow(ctx.db, scope, row.id));
}

export async function cancelPending(db: Db | Trx, broadcastId: string, now: string) {
  await db
    .updateTable('broadcast_recipients')
    .set({
      status: 'cancelled',
      error_code: 'broadcast_cancelled',
      error_message: 'The broadcast was cancelled before this recipient was sent.',
      updated_at: now,
    })
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'pending')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Completion: every recipient handed to the provider (message sent, delivered, read or failed)
// or left out (skipped, failed before sending, cancelled). Delivery and reads come later and
// keep moving the counts; they do not hold the event back.

export async function completeIfSettled(ctx: AppContext, tx: Tx, broadcastId: string): Promise<boolean> {
  // The broadcast's row is held first: a recipient deferred meanwhile (Meta's 131049, in the
  // transaction that fails its message) either committed before this reads the recipients, or
  // waits and sees the broadcast completed, and opens it again.
  const b = await lockBroadcast(tx.db, broadcastId);
  if (!b || b.completed_at) return true;
  if (!b.expanded_at) return false;
  const open = await tx.db
    .selectFrom('broadcast_recipients as r')
    .leftJoin(messageStatuses(tx.db).as('m'), 'm.id', 'r.message_id')
    .select('r.id')
    .where('r.broadcast_id', '=', broadcastId)
    .where((eb) =>
      eb.or([
        eb('r.status', 'in', ['pending', 'sending', 'deferred']),
        eb.and([eb('r.status', '=', 'queued'), eb('m.status', '=', 'queued')]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  if (open) return false;
  const now = ctx.clock.now().toISOString();
  const status = b.status === 'sending' || b.status === 'scheduled' ? 'completed' : b.status;
  const res = await tx.db
    .updateTable('broadcasts')
    .set({ status, completed_at: now, updated_at: now })
    .where('id', '=', broadcastId)
    .where('completed_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return true;
  const data = await present(tx.db, { ...b, status, completed_at: now, updated_at: now });
  await tx.emit({
    ...scopeOf(b),
    type: 'broadcast.completed',
    actor: { type: 'system', id: null },
    data,
  });
  return true;
}

/** The completion job: completes the broadcast, or looks again later. */
export async function checkCompletion(ctx: AppContext, broadcastId: string, round: number) {
  await ctx.transaction(async (tx) => {
    if (await completeIfSettled(ctx, tx, broadcastId)) return;
    await ctx.queue.enqueue(
      tx.db,
      completionJob,
      { broadcastId, round: round + 1 },
      { delayMs: pollDelayMs(round + 1) },
    );
  });
}
