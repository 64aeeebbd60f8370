import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeOf } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { ActorType } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import { audienceContactIds, getAudienceRow } from '../audiences/index.ts';
import { contactsByIds, findContactRow, findOrCreateContact } from '../contacts/index.ts';
import { latestTemplateSent, type Sender } from '../messaging/index.ts';
import { releaseDueDeferrals } from './broadcasts.deferrals.ts';
import { completionJob, fanOutJob } from './broadcasts.jobs.ts';
import type { recipientStatuses } from './broadcasts.schemas.ts';
import type { BroadcastRecipientsTable, BroadcastsTable } from './broadcasts.tables.ts';
import { tierBudget } from './broadcasts.tier.ts';
import { bulkSender, bulkTemplateBody, sendTemplate } from './template-send.ts';

export type { Scope };

type RecipientStatus = (typeof recipientStatuses)[number];
export type Counts = Record<'total' | RecipientStatus, number>;

/** Recipients handed to messaging per fan-out run; the run then re-enqueues itself. */
const SEND_SLICE = 200;
const EXPAND_BATCH = 500;

import { cancelPending, completeIfSettled, pollDelayMs } from './broadcasts.service.ts';

// ---------------------------------------------------------------------------------------------
// Fan-out.

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
  const rows = await contactsByIds(db, scope, ids);
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
  const contact = await findContactRow(ctx.db, scopeOf(b), r.contact_id);
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
  try {
    const sent = await sendTemplate(ctx, sender, {
      template: { name: b.template_name, language: b.template_language, body },
      variables: fromJson<Record<string, string | number>>(b.variables, {}),
      contact: { ...contact, phone: contact.phone },
      from: b.from_address,
    });
    if (sent.kind === 'sent')
      await settle(
        ctx.db,
        r.id,
        { status: 'queued', message_id: sent.messageId, phone: contact.phone },
        at(),
      );
    else if (sent.kind === 'retry') {
      await settle(ctx.db, r.id, { status: 'pending', claimed_at: null }, at());
      return { retryAfterMs: sent.afterMs };
    } else await fail(sent.kind, sent.code, sent.message);
    return undefined;
  } catch (err) {
    await settle(ctx.db, r.id, { status: 'pending', claimed_at: null }, at());
    throw err;
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
    const [contact] = await contactsByIds(ctx.db, scopeOf(b), [r.contact_id]);
    const msg = contact?.phone
      ? await latestTemplateSent(ctx.db, scopeOf(b), {
          to: contact.phone,
          since: r.claimed_at ?? r.created_at,
          sender: { type: b.actor_type as ActorType, id: b.actor_id },
        })
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

/**
 * Hands a batch of recipients to messaging; `stopped` when the fan-out was re-scheduled (the
 * plan's messages per hour or the number's messaging tier ran out).
 */
async function handOver(
  ctx: AppContext,
  b: BroadcastsTable,
  sender: Sender,
  body: string | undefined,
  batch: BroadcastRecipientsTable[],
  budget: Awaited<ReturnType<typeof tierBudget>>,
): Promise<{ handed: number; stopped: boolean }> {
  let handed = 0;
  for (const r of batch) {
    if (body === undefined) {
      await templateGone(ctx, b, r.id);
      continue;
    }
    if (await tierUsedUp(ctx, b, budget)) return { handed, stopped: true };
    const outcome = await sendOne(ctx, b, sender, body, r);
    handed++;
    if (outcome) {
      // The plan's messages per hour ran out: the rest waits for the window to reset.
      await ctx.queue.enqueue(ctx.db, fanOutJob, { broadcastId: b.id }, { delayMs: outcome.retryAfterMs });
      return { handed, stopped: true };
    }
  }
  return { handed, stopped: false };
}

/** The template was deleted after creation: messaging would refuse every send the same way. */
async function templateGone(ctx: AppContext, b: BroadcastsTable, recipientId: string) {
  await settle(
    ctx.db,
    recipientId,
    {
      status: 'failed',
      error_code: 'template_not_approved',
      error_message: `Template ${b.template_name} (${b.template_language}) no longer exists.`,
    },
    ctx.clock.now().toISOString(),
  );
}

/**
 * True when the number's messaging tier is used up for now (one more recipient is counted
 * otherwise): the fan-out runs again as the 24-hour window frees, and says until when.
 */
async function tierUsedUp(
  ctx: AppContext,
  b: BroadcastsTable,
  budget: Awaited<ReturnType<typeof tierBudget>>,
): Promise<boolean> {
  if (!budget || budget.remaining-- > 0) return false;
  await setPacedUntil(ctx, b, budget.resumeAt.toISOString());
  await ctx.queue.enqueue(ctx.db, fanOutJob, { broadcastId: b.id }, { runAt: budget.resumeAt });
  return true;
}

async function setPacedUntil(ctx: AppContext, b: BroadcastsTable, until: string | null) {
  if ((b.paced_until ?? null) === until) return;
  await ctx.db
    .updateTable('broadcasts')
    .set({ paced_until: until, updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', b.id)
    .execute();
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
  const sender = await bulkSender(ctx.db, b);
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
  // Recipients Meta held back (131049) whose retry time has come are sent again.
  await releaseDueDeferrals(ctx.db, b.id, ctx.clock.now());
  const body = await bulkTemplateBody(ctx.db, b, b.template_name, b.template_language);
  const budget = await tierBudget(ctx, b);
  await setPacedUntil(ctx, b, null);
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
    const run = await handOver(ctx, b, sender, body, batch, budget);
    handed += run.handed;
    if (run.stopped) return;
  }
  await ctx.transaction(async (tx) => {
    if (!(await completeIfSettled(ctx, tx, broadcastId)))
      await ctx.queue.enqueue(tx.db, completionJob, { broadcastId, round: 0 }, { delayMs: pollDelayMs(0) });
  });
}
