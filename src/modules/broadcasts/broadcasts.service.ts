import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { inScope, type Scope, scopeColumns, scopeOf, tenant } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Actor, ActorType, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { limitsFor, type PlanLimits } from '../../platform/limits.ts';
import { audienceContactIds, getAudienceRow } from '../audiences/index.ts';
import { findChannelForSend } from '../channels/index.ts';
import { findOrCreateContact, normalizePhone } from '../contacts/index.ts';
import type { MessageStatus } from '../messaging/index.ts';
import { findTemplateForSend, type Sender, sendMessage } from '../messaging/index.ts';
import { completionJob, fanOutJob } from './broadcasts.jobs.ts';
import type { broadcastStatuses, recipientStatuses } from './broadcasts.schemas.ts';
import type { BroadcastRecipientsTable, BroadcastsTable, RecipientState } from './broadcasts.tables.ts';
import { checkBroadcastVariables, recipientVariables } from './variables.ts';

export type { Scope };

type RecipientStatus = (typeof recipientStatuses)[number];
export type Counts = Record<'total' | RecipientStatus, number>;

/** Recipients handed to messaging per fan-out run; the run then re-enqueues itself. */
const SEND_SLICE = 200;
const EXPAND_BATCH = 500;
/** Completion is polled from 0.5 s, growing to 30 s between checks. */
const pollDelayMs = (round: number) => Math.min(30_000, Math.round(500 * 1.5 ** round));

// ---------------------------------------------------------------------------------------------
// Reading: live counts are derived from each recipient's message, never stored.

/** A recipient's public status: its message's status once handed over, else its own state. */
function recipientStatus(state: RecipientState, messageStatus: MessageStatus | null): RecipientStatus {
  if (state === 'pending' || state === 'sending') return 'queued';
  if (state !== 'queued') return state;
  // The message is gone only when its contact was deleted; it had been handed over by then.
  if (messageStatus === null || messageStatus === 'received') return 'sent';
  return messageStatus;
}

const emptyCounts = (): Counts => ({
  total: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
});

async function countsFor(db: Db | Trx, ids: string[]): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>(ids.map((id) => [id, emptyCounts()]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('broadcast_recipients as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select((eb) => [
      'r.broadcast_id',
      'r.status as state',
      'm.status as message_status',
      eb.fn.countAll<number>().as('n'),
    ])
    .where('r.broadcast_id', 'in', ids)
    .groupBy(['r.broadcast_id', 'r.status', 'm.status'])
    .execute();
  for (const row of rows) {
    const c = out.get(row.broadcast_id)!;
    const n = Number(row.n);
    c.total += n;
    c[recipientStatus(row.state, row.message_status)] += n;
  }
  return out;
}

export function presentBroadcast(row: BroadcastsTable, counts: Counts) {
  return {
    id: row.id,
    object: 'broadcast' as const,
    livemode: row.livemode === 1,
    name: row.name,
    status: row.status,
    template: { name: row.template_name, language: row.template_language },
    variables: fromJson<Record<string, string | number>>(row.variables, {}),
    source: row.source,
    audience_id: row.audience_id,
    from: row.from_address,
    send_at: row.send_at,
    counts,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    started_at: row.started_at,
    cancelled_at: row.cancelled_at,
    completed_at: row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type BroadcastObject = ReturnType<typeof presentBroadcast>;

function getBroadcastRow(db: Db | Trx, scope: Scope, id: string): Promise<BroadcastsTable> {
  return tenant(db, scope).getById('broadcasts', id, 'broadcast');
}

async function present(db: Db | Trx, row: BroadcastsTable): Promise<BroadcastObject> {
  const counts = await countsFor(db, [row.id]);
  return presentBroadcast(row, counts.get(row.id)!);
}

export async function getBroadcast(ctx: AppContext, scope: Scope, id: string) {
  return present(ctx.db, await getBroadcastRow(ctx.db, scope, id));
}

export async function listBroadcasts(
  ctx: AppContext,
  scope: Scope,
  f: { status?: (typeof broadcastStatuses)[number] },
  page: PageRequest,
): Promise<Page<BroadcastObject>> {
  let q = tenant(ctx.db, scope).selectFrom('broadcasts');
  if (f.status) q = q.where('status', '=', f.status);
  const rows = await paginate(q.selectAll().orderBy('id', 'desc'), page, (r) => r);
  const counts = await countsFor(
    ctx.db,
    rows.data.map((r) => r.id),
  );
  return { ...rows, data: rows.data.map((r) => presentBroadcast(r, counts.get(r.id)!)) };
}

function presentRecipient(
  row: BroadcastRecipientsTable & {
    message_status: MessageStatus | null;
    message_error_code: string | null;
    message_error_message: string | null;
  },
) {
  const status = recipientStatus(row.status, row.message_status);
  const code = row.error_code ?? (status === 'failed' ? row.message_error_code : null);
  return {
    id: row.id,
    object: 'broadcast_recipient' as const,
    livemode: row.livemode === 1,
    broadcast_id: row.broadcast_id,
    contact_id: row.contact_id,
    phone: row.phone,
    status,
    message_id: row.message_id,
    error: code
      ? { code, message: (row.error_code ? row.error_message : row.message_error_message) ?? '' }
      : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function listRecipients(
  ctx: AppContext,
  scope: Scope,
  broadcastId: string,
  f: { status?: RecipientStatus },
  page: PageRequest,
) {
  await getBroadcastRow(ctx.db, scope, broadcastId);
  let q = ctx.db
    .selectFrom('broadcast_recipients as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .where('r.broadcast_id', '=', broadcastId)
    .where(inScope(scope, 'r'));
  const s = f.status;
  if (s === 'queued')
    q = q.where((eb) =>
      eb.or([
        eb('r.status', 'in', ['pending', 'sending']),
        eb.and([eb('r.status', '=', 'queued'), eb('m.status', '=', 'queued')]),
      ]),
    );
  else if (s === 'skipped' || s === 'cancelled') q = q.where('r.status', '=', s);
  else if (s === 'failed')
    q = q.where((eb) =>
      eb.or([
        eb('r.status', '=', 'failed'),
        eb.and([eb('r.status', '=', 'queued'), eb('m.status', '=', 'failed')]),
      ]),
    );
  else if (s === 'sent')
    q = q
      .where('r.status', '=', 'queued')
      .where((eb) => eb.or([eb('m.status', '=', 'sent'), eb('m.id', 'is', null)]));
  else if (s) q = q.where('r.status', '=', 'queued').where('m.status', '=', s);
  return paginate(
    q
      .selectAll('r')
      .select([
        'm.status as message_status',
        'm.error_code as message_error_code',
        'm.error_message as message_error_message',
      ])
      .orderBy('r.id', 'asc'),
    page,
    presentRecipient,
  );
}

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
}

/**
 * Checks everything a caller can fix now (recipients, template, variables, channel), then
 * stores the broadcast and its fan-out job in one transaction: 202 at once, whatever the size.
 */
export async function createBroadcast(ctx: AppContext, auth: Auth, input: CreateBroadcastInput) {
  const scope: Scope = { workspaceId: auth.workspaceId, livemode: auth.livemode };
  const sources = (['audience_id', 'contact_ids', 'phones'] as const).filter((k) => input[k] !== undefined);
  if (sources.length !== 1) {
    const message =
      sources.length === 0
        ? 'give the recipients: one of audience_id, contact_ids or phones'
        : `give only one of audience_id, contact_ids or phones (got ${sources.join(', ')})`;
    throw validationFailed((sources.length ? sources : ['audience_id']).map((field) => ({ field, message })));
  }
  const errors: FieldError[] = [];
  let list: string[] | null = null;
  if (input.phones) {
    const seen = new Set<string>();
    input.phones.forEach((p, i) => {
      const e164 = normalizePhone(p, auth.defaultCountry);
      if (!e164)
        errors.push({ field: `phones.${i}`, message: `${JSON.stringify(p)} is not a valid phone number` });
      else seen.add(e164);
    });
    list = [...seen];
  }
  if (input.contact_ids) {
    list = [...new Set(input.contact_ids)];
    const found = new Set<string>();
    for (const part of chunked(list)) {
      const rows = await tenant(ctx.db, scope)
        .selectFrom('contacts')
        .select('id')
        .where('id', 'in', part)
        .execute();
      for (const r of rows) found.add(r.id);
    }
    input.contact_ids.forEach((id, i) => {
      if (!found.has(id)) errors.push({ field: `contact_ids.${i}`, message: `no contact ${id}` });
    });
  }
  if (errors.length) throw validationFailed(errors);
  if (input.audience_id) await getAudienceRow(ctx.db, auth, input.audience_id);

  const ref = typeof input.template === 'string' ? { name: input.template } : input.template;
  const tpl = await findTemplateForSend(ctx.db, scope, ref.name, ref.language);
  if (tpl.status !== 'approved')
    throw new ApiError(
      'template_not_approved',
      `Template ${tpl.name} (${tpl.language}) is ${tpl.status}; only approved templates can be broadcast.`,
      { details: { template: tpl.name, template_status: tpl.status } },
    );
  // A list is by position ({{1}}, {{2}}...); the template's own variables, then the top-level ones.
  const byPlace = (v: unknown): Record<string, string | number> =>
    Array.isArray(v)
      ? Object.fromEntries(v.map((x, i) => [String(i + 1), x as string | number]))
      : ((v ?? {}) as Record<string, string | number>);
  const variables = {
    ...byPlace(typeof input.template === 'string' ? undefined : input.template.variables),
    ...byPlace(input.variables),
  };
  const varErrors = checkBroadcastVariables(tpl.body, variables);
  if (varErrors.length) throw validationFailed(varErrors);

  if (input.from && !(await findChannelForSend(ctx.db, scope, { type: 'whatsapp', from: input.from })))
    throw new ApiError('channel_not_configured', `No active WhatsApp channel has the address ${input.from}.`);
  if (!input.from && scope.livemode && !(await findChannelForSend(ctx.db, scope, { type: 'whatsapp' })))
    throw new ApiError(
      'channel_not_configured',
      'No WhatsApp channel is configured for live mode; connect one with POST /v1/channels.',
    );

  const now = ctx.clock.now();
  const sendAt = input.send_at ? new Date(input.send_at) : null;
  const later = sendAt !== null && sendAt.getTime() > now.getTime();
  const at = now.toISOString();
  const row: BroadcastsTable = {
    id: newId('bc'),
    ...scopeColumns(scope),
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
    created_at: at,
    updated_at: at,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('broadcasts').values(row).execute();
    await ctx.queue.enqueue(tx.db, fanOutJob, { broadcastId: row.id }, later ? { runAt: sendAt } : {});
  });
  return presentBroadcast(row, emptyCounts());
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

async function cancelPending(db: Db | Trx, broadcastId: string, now: string) {
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

async function completeIfSettled(ctx: AppContext, tx: Tx, broadcastId: string): Promise<boolean> {
  const b = await tx.db.selectFrom('broadcasts').selectAll().where('id', '=', broadcastId).executeTakeFirst();
  if (!b || b.completed_at) return true;
  if (!b.expanded_at) return false;
  const open = await tx.db
    .selectFrom('broadcast_recipients as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select('r.id')
    .where('r.broadcast_id', '=', broadcastId)
    .where((eb) =>
      eb.or([
        eb('r.status', 'in', ['pending', 'sending']),
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

// ---------------------------------------------------------------------------------------------
// Fan-out.

async function senderFor(ctx: AppContext, b: BroadcastsTable): Promise<Sender> {
  const ws = await ctx.db
    .selectFrom('workspaces')
    .selectAll()
    .where('id', '=', b.workspace_id)
    .executeTakeFirstOrThrow();
  return {
    ...scopeOf(b),
    defaultCountry: ws.default_country,
    actor: { type: b.actor_type as ActorType, id: b.actor_id } satisfies Actor,
    limits: limitsFor(ws.plan, fromJson<Partial<PlanLimits> | null>(ws.limits, null)),
  };
}

const currentStatus = async (db: Db, id: string) =>
  (await db.selectFrom('broadcasts').select('status').where('id', '=', id).executeTakeFirst())?.status;

async function insertRecipients(
  db: Db | Trx,
  b: BroadcastsTable,
  contacts: Array<{ id: string; phone: string | null }>,
  state: 'pending' | 'cancelled',
  now: string,
) {
  if (contacts.length === 0) return;
  await db
    .insertInto('broadcast_recipients')
    .values(
      contacts.map((c) => ({
        id: newId('bcr'),
        broadcast_id: b.id,
        workspace_id: b.workspace_id,
        livemode: b.livemode,
        contact_id: c.id,
        phone: c.phone,
        status: state,
        message_id: null,
        error_code: state === 'cancelled' ? 'broadcast_cancelled' : null,
        error_message:
          state === 'cancelled' ? 'The broadcast was cancelled before this recipient was sent.' : null,
        claimed_at: null,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['broadcast_id', 'contact_id']).doNothing())
    .execute();
}

async function phonesOf(db: Db, scope: Scope, ids: string[]) {
  const rows = await tenant(db, scope)
    .selectFrom('contacts')
    .select(['id', 'phone'])
    .where('id', 'in', ids)
    .execute();
  const phones = new Map(rows.map((r) => [r.id, r.phone]));
  return ids.map((id) => ({ id, phone: phones.get(id) ?? null }));
}

/**
 * Writes one recipient row per contact, in batches; a retried run starts again and adds only
 * what is missing. Returns false when the audience no longer exists.
 */
async function expand(ctx: AppContext, b: BroadcastsTable, sender: Sender): Promise<boolean> {
  const scope = { ...scopeOf(b), defaultCountry: sender.defaultCountry };
  const stateNow = async () =>
    (await currentStatus(ctx.db, b.id)) === 'cancelled' ? 'cancelled' : 'pending';
  if (b.source === 'audience') {
    try {
      await getAudienceRow(ctx.db, scope, b.audience_id!);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') return false;
      throw err;
    }
    for await (const ids of audienceContactIds(ctx.db, ctx.dialect, scope, b.audience_id!, EXPAND_BATCH)) {
      await insertRecipients(
        ctx.db,
        b,
        await phonesOf(ctx.db, scope, ids),
        await stateNow(),
        ctx.clock.now().toISOString(),
      );
    }
    return true;
  }
  const list = fromJson<string[]>(b.source_list, []);
  for (const chunk of chunked(list, EXPAND_BATCH)) {
    const state = await stateNow();
    if (b.source === 'contact_ids') {
      await insertRecipients(
        ctx.db,
        b,
        await phonesOf(ctx.db, scope, chunk),
        state,
        ctx.clock.now().toISOString(),
      );
      continue;
    }
    // Numbers without a contact get one, as POST /v1/messages would give them.
    await ctx.transaction(async (tx) => {
      const contacts: Array<{ id: string; phone: string | null }> = [];
      for (const phone of chunk) {
        const { contact } = await findOrCreateContact(tx, scope, { phone }, sender.actor);
        contacts.push({ id: contact.id, phone: contact.phone });
      }
      await insertRecipients(tx.db, b, contacts, state, ctx.clock.now().toISOString());
    });
  }
  return true;
}

type SendOutcome = { retryAfterMs: number } | undefined;

async function settle(
  db: Db,
  id: string,
  patch: Partial<
    Pick<
      BroadcastRecipientsTable,
      'status' | 'message_id' | 'error_code' | 'error_message' | 'phone' | 'claimed_at'
    >
  >,
  at: string,
) {
  await db
    .updateTable('broadcast_recipients')
    .set({ ...patch, updated_at: at })
    .where('id', '=', id)
    .execute();
}

/** Hands one claimed recipient to messaging (every rule of POST /v1/messages applies) and records the result. */
async function sendOne(
  ctx: AppContext,
  b: BroadcastsTable,
  sender: Sender,
  body: string,
  r: BroadcastRecipientsTable,
): Promise<SendOutcome> {
  const at = () => ctx.clock.now().toISOString();
  const claimed = await ctx.db
    .updateTable('broadcast_recipients')
    .set({ status: 'sending', claimed_at: at(), updated_at: at() })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return undefined;
  const contact = await tenant(ctx.db, scopeOf(b)).findById('contacts', r.contact_id);
  const fail = (status: 'failed' | 'skipped', code: string, message: string) =>
    settle(ctx.db, r.id, { status, error_code: code, error_message: message }, at());
  if (!contact) return void (await fail('failed', 'not_found', `Contact ${r.contact_id} no longer exists.`));
  if (!contact.phone)
    return void (await fail('failed', 'validation_failed', `Contact ${contact.id} has no phone number.`));
  // Checked here too so a left-out contact does not use up the plan's messages per hour.
  if (contact.opted_out === 1)
    return void (await fail('skipped', 'contact_opted_out', `Contact ${contact.id} opted out of messages.`));
  if (contact.dnd === 1)
    return void (await fail('skipped', 'contact_opted_out', `Contact ${contact.id} is on do-not-disturb.`));
  const vars = recipientVariables(body, fromJson<Record<string, string | number>>(b.variables, {}), {
    name: contact.name,
    phone: contact.phone,
    email: contact.email,
    attributes: fromJson<Record<string, unknown>>(contact.attributes, {}),
  });
  if ('error' in vars) return void (await fail('failed', 'validation_failed', `Not sent: ${vars.error}.`));
  try {
    const message = await sendMessage(ctx, sender, {
      to: contact.phone,
      channel: 'whatsapp',
      type: 'template',
      template: { name: b.template_name, language: b.template_language, variables: vars.values },
      ...(b.from_address ? { from: b.from_address } : {}),
      business_initiated: true,
    });
    await settle(ctx.db, r.id, { status: 'queued', message_id: message.id, phone: contact.phone }, at());
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError)) {
      await settle(ctx.db, r.id, { status: 'pending', claimed_at: null }, at());
      throw err;
    }
    if (err.code === 'rate_limited') {
      await settle(ctx.db, r.id, { status: 'pending', claimed_at: null }, at());
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      return { retryAfterMs: (Number.isFinite(seconds) ? seconds : 60) * 1000 };
    }
    await fail(err.code === 'contact_opted_out' ? 'skipped' : 'failed', err.code, err.message);
    return undefined;
  }
}

/**
 * A recipient left `sending` by a run that died between sendMessage and recording its result:
 * its message, if any, is the newest template message to that phone from this broadcast's actor
 * since the claim; without one it goes back to `pending`.
 */
async function reconcileClaims(ctx: AppContext, b: BroadcastsTable) {
  const stuck = await ctx.db
    .selectFrom('broadcast_recipients')
    .selectAll()
    .where('broadcast_id', '=', b.id)
    .where('status', '=', 'sending')
    .execute();
  for (const r of stuck) {
    let q = tenant(ctx.db, scopeOf(b))
      .selectFrom('messages')
      .select('id')
      .where('direction', '=', 'outbound')
      .where('type', '=', 'template')
      .where('sender_type', '=', b.actor_type as ActorType)
      .where('created_at', '>=', r.claimed_at ?? r.created_at);
    q = b.actor_id === null ? q.where('sender_id', 'is', null) : q.where('sender_id', '=', b.actor_id);
    const contact = await ctx.db
      .selectFrom('contacts')
      .select('phone')
      .where('id', '=', r.contact_id)
      .executeTakeFirst();
    const msg = contact?.phone
      ? await q.where('to_address', '=', contact.phone).orderBy('created_at', 'desc').executeTakeFirst()
      : undefined;
    await settle(
      ctx.db,
      r.id,
      msg
        ? { status: 'queued', message_id: msg.id, phone: contact?.phone ?? r.phone }
        : { status: 'pending', claimed_at: null },
      ctx.clock.now().toISOString(),
    );
  }
}

/** The fan-out job. */
export async function runFanOut(ctx: AppContext, broadcastId: string) {
  let b = await ctx.db.selectFrom('broadcasts').selectAll().where('id', '=', broadcastId).executeTakeFirst();
  if (!b || b.completed_at || b.status === 'completed' || b.status === 'failed') return;
  const now = ctx.clock.now();
  if (b.status === 'scheduled') {
    if (b.send_at && new Date(b.send_at).getTime() > now.getTime()) {
      // Enqueued early (a retry): run again at the send time.
      await ctx.queue.enqueue(ctx.db, fanOutJob, { broadcastId }, { runAt: new Date(b.send_at) });
      return;
    }
    const at = now.toISOString();
    await ctx.db
      .updateTable('broadcasts')
      .set({ status: 'sending', started_at: at, updated_at: at })
      .where('id', '=', broadcastId)
      .where('status', '=', 'scheduled')
      .execute();
    b = { ...b, status: 'sending', started_at: at, updated_at: at };
  }
  const sender = await senderFor(ctx, b);
  if (!b.expanded_at) {
    const found = await expand(ctx, b, sender);
    const at = ctx.clock.now().toISOString();
    const audienceId = b.audience_id;
    await ctx.transaction(async (tx) => {
      if (!found)
        await tx.db
          .updateTable('broadcasts')
          .set({
            status: 'failed',
            error_code: 'not_found',
            error_message: `Audience ${audienceId} was deleted before sending started.`,
            updated_at: at,
          })
          .where('id', '=', broadcastId)
          .where('status', '!=', 'cancelled')
          .execute();
      await tx.db.updateTable('broadcasts').set({ expanded_at: at }).where('id', '=', broadcastId).execute();
    });
    b = { ...b, expanded_at: at };
  }
  await reconcileClaims(ctx, b);
  const body = (
    await tenant(ctx.db, scopeOf(b))
      .selectFrom('templates')
      .select('body')
      .where('name', '=', b.template_name)
      .where('language', '=', b.template_language)
      .executeTakeFirst()
  )?.body;
  let handed = 0;
  for (;;) {
    const status = await currentStatus(ctx.db, broadcastId);
    if (status !== 'sending') {
      if (status === 'cancelled') await cancelPending(ctx.db, broadcastId, ctx.clock.now().toISOString());
      break;
    }
    const batch = await ctx.db
      .selectFrom('broadcast_recipients')
      .selectAll()
      .where('broadcast_id', '=', broadcastId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(50)
      .execute();
    if (batch.length === 0) break;
    if (handed >= SEND_SLICE) {
      await ctx.queue.enqueue(ctx.db, fanOutJob, { broadcastId });
      return;
    }
    for (const r of batch) {
      if (body === undefined) {
        // The template was deleted after creation: messaging would refuse every send the same way.
        await settle(
          ctx.db,
          r.id,
          {
            status: 'failed',
            error_code: 'template_not_approved',
            error_message: `Template ${b.template_name} (${b.template_language}) no longer exists.`,
          },
          ctx.clock.now().toISOString(),
        );
        continue;
      }
      const outcome = await sendOne(ctx, b, sender, body, r);
      handed++;
      if (outcome) {
        // The plan's messages per hour ran out: the rest waits for the window to reset.
        await ctx.queue.enqueue(ctx.db, fanOutJob, { broadcastId }, { delayMs: outcome.retryAfterMs });
        return;
      }
    }
  }
  await ctx.transaction(async (tx) => {
    if (!(await completeIfSettled(ctx, tx, broadcastId)))
      await ctx.queue.enqueue(tx.db, completionJob, { broadcastId, round: 0 }, { delayMs: pollDelayMs(0) });
  });
}
