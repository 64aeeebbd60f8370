import { scopeOf } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import { bulkSender, bulkTemplateBody, sendTemplate, type TemplateSendResult } from '../broadcasts/index.ts';
import { findContactRow } from '../contacts/index.ts';
import { latestTemplateSent } from '../messaging/index.ts';
import { dialJob } from './campaigns.jobs.ts';
import type { CampaignRecipientsTable, CampaignsTable, RecipientState } from './campaigns.tables.ts';
import { completeIfDone } from './controls.ts';
import { CountChanges } from './counts.ts';
import { dialerOf } from './dialer.ts';
import { PaceWait, takeDialSlot } from './pace.ts';
import { type CallingWindow, closedUntil, recipientRule } from './windows.ts';
import { positional } from './write.ts';

// ---------------------------------------------------------------------------------------------
// Dialing one recipient.

/**
 * Moves one recipient out of `from` (a conditional update: nothing happens when another run
 * moved it first) and counts the move with the row as written, in one transaction. Then, when
 * the recipient became final, completes the campaign if nothing is left.
 */
export async function moveRecipient(
  ctx: AppContext,
  r: Pick<CampaignRecipientsTable, 'id' | 'campaign_id'>,
  from: 'pending' | 'scheduled' | 'in_progress',
  patch: Partial<CampaignRecipientsTable> & { state: RecipientState },
  opts: {
    attempts?: number;
    where?: Partial<Pick<CampaignRecipientsTable, 'attempts' | 'last_call_id'>>;
  } = {},
  tx?: Tx,
): Promise<boolean> {
  const run = async (tx: Tx) => {
    let q = tx.db
      .updateTable('campaign_recipients')
      .set((eb) => ({
        ...patch,
        ...(opts.attempts ? { attempts: eb('attempts', '+', opts.attempts) } : {}),
      }))
      .where('id', '=', r.id)
      .where('state', '=', from);
    if (opts.where?.attempts !== undefined) q = q.where('attempts', '=', opts.where.attempts);
    if (opts.where?.last_call_id) q = q.where('last_call_id', '=', opts.where.last_call_id);
    const row = await q.returning(['state', 'result', 'outcome', 'duration_seconds']).executeTakeFirst();
    if (!row) return false;
    await new CountChanges()
      .moved({ state: from }, row)
      .attempts(opts.attempts ?? 0)
      .apply(tx.db, r.campaign_id);
    if (!['pending', 'scheduled', 'in_progress'].includes(row.state))
      await completeIfDone(ctx, tx, r.campaign_id);
    return true;
  };
  return tx ? run(tx) : ctx.transaction(run);
}

/** Puts a claimed recipient back to wait (paused campaign, closed window, no free slot); the attempt is not spent. */
export async function release(ctx: AppContext, r: CampaignRecipientsTable, nextAt: string, now: string) {
  await moveRecipient(
    ctx,
    r,
    'scheduled',
    { state: 'pending', claim_token: null, next_attempt_at: nextAt, updated_at: now },
    { attempts: -1, where: { attempts: r.attempts } },
  );
}

/** The dial job: one attempt for one recipient; runs at most once per attempt whatever happens. */
export async function runDial(ctx: AppContext, recipientId: string, attempt: number) {
  let r = await ctx.db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('id', '=', recipientId)
    .executeTakeFirst();
  if (!r || r.attempts !== attempt) return;
  const c = await ctx.db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', r.campaign_id)
    .executeTakeFirstOrThrow();
  if (r.state === 'in_progress' && c.type === 'whatsapp' && !r.message_id) {
    // A run of this job died while sending: adopt the message it sent, or send now.
    if (await adoptSentMessage(ctx, c, r)) return;
    r = { ...r, state: 'scheduled' };
  }
  if (r.state !== 'scheduled') return;
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  if (c.status === 'canceled') return;
  if (c.status !== 'running') return void (await release(ctx, r, nowIso, nowIso));
  const waitUntil = closedUntil(recipientRule(r, fromJson<CallingWindow[] | null>(c.windows, null)), now);
  if (waitUntil) {
    // The window closed between the pass and this job (a clock edge): wait for it to open again.
    await release(ctx, r, waitUntil.toISOString(), nowIso);
    return;
  }
  const contact = await findContactRow(ctx.db, scopeOf(c), r.contact_id);
  if (!contact?.phone) {
    await moveRecipient(ctx, r, 'scheduled', {
      state: 'skipped',
      claim_token: null,
      updated_at: nowIso,
      error_code: 'not_found',
      error_message: 'The contact or its number no longer exists.',
    });
    return;
  }
  if (c.type === 'voice')
    return dialVoice(ctx, c, r, {
      id: contact.id,
      phone: contact.phone,
      name: contact.name,
      attributes: contact.attributes,
      email: contact.email,
    });
  return sendWhatsApp(ctx, c, r, contact);
}

export async function dialVoice(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
  contact: { id: string; phone: string; name: string | null; email: string | null; attributes: string },
) {
  const dialer = dialerOf(ctx);
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  if (!dialer) return void (await release(ctx, r, new Date(now.getTime() + 60_000).toISOString(), nowIso));
  // Moves of this attempt only: a call that ended quickly may have settled it already.
  const finish = (patch: Partial<CampaignRecipientsTable> & { state: RecipientState }) =>
    moveRecipient(
      ctx,
      r,
      'scheduled',
      { claim_token: null, updated_at: nowIso, ...patch },
      { where: { attempts: r.attempts } },
    );
  // An earlier run of this attempt may have placed the call and died before recording it.
  let callId = await dialer.findCall(ctx.db, c.id, contact.id, r.updated_at);
  if (!callId) {
    const dynamic: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(fromJson<Record<string, unknown>>(c.dynamic_variables, {})))
      if (v !== null && v !== undefined) dynamic[k] = v as string | number | boolean;
    try {
      callId = (
        await dialer.placeCall(ctx, {
          campaign: c,
          recipient: r,
          contact: { id: contact.id, phone: contact.phone, name: contact.name },
          dynamicVariables: dynamic,
          admit: async (tx) => {
            const waitMs = await takeDialSlot(tx, c.id, Number(c.calls_per_second), Date.now());
            if (waitMs > 0) throw new PaceWait(waitMs);
          },
        })
      ).callId;
    } catch (err) {
      if (err instanceof PaceWait) {
        // Another dial of this campaign took the slot (a late job, another process): this attempt
        // runs again when the slot frees, still claimed.
        await ctx.queue.enqueue(
          ctx.db,
          dialJob,
          { recipientId: r.id, attempt: r.attempts },
          { delayMs: err.waitMs },
        );
        return;
      }
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'concurrency_limited' || err.code === 'rate_limited')
        // API calls took the slot meanwhile: wait a moment (a campaign never gets a 429).
        return void (await release(ctx, r, new Date(now.getTime() + 2000).toISOString(), nowIso));
      const skip = err.code === 'contact_opted_out' || err.code === 'contact_dnd';
      await finish(
        skip
          ? { state: 'skipped', error_code: err.code, error_message: err.message }
          : { state: 'completed', result: 'failed', error_code: err.code, error_message: err.message },
      );
      return;
    }
  }
  await finish({ state: 'in_progress', last_call_id: callId, error_code: null, error_message: null });
}

/**
 * The message an interrupted send left: the newest template message of this campaign's template
 * to the recipient's number since the attempt began. Found: the recipient completes with it.
 */
export async function adoptSentMessage(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
): Promise<boolean> {
  if (!r.phone) return false;
  const msg = await latestTemplateSent(ctx.db, scopeOf(c), { to: r.phone, since: r.updated_at });
  if (!msg || msg.templateName !== c.template_name) {
    await moveRecipient(ctx, r, 'in_progress', { state: 'scheduled' });
    return false;
  }
  await moveRecipient(ctx, r, 'in_progress', {
    state: 'completed',
    result: 'sent',
    message_id: msg.id,
    claim_token: null,
    updated_at: ctx.clock.now().toISOString(),
  });
  return true;
}

export async function sendWhatsApp(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
  contact: {
    id: string;
    phone: string | null;
    name: string | null;
    email: string | null;
    attributes: string;
  },
) {
  const nowIso = ctx.clock.now().toISOString();
  // The send takes the campaign's pace slot with the claim, as a voice dial does with its call.
  const claim = await ctx
    .transaction(async (tx) => {
      const claimed = await moveRecipient(
        ctx,
        r,
        'scheduled',
        { state: 'in_progress', updated_at: nowIso },
        { where: { attempts: r.attempts } },
        tx,
      );
      if (!claimed) return 'gone' as const;
      const waitMs = await takeDialSlot(tx.db, c.id, Number(c.calls_per_second), Date.now());
      if (waitMs > 0) throw new PaceWait(waitMs);
      return 'claimed' as const;
    })
    .catch(async (err) => {
      if (!(err instanceof PaceWait)) throw err;
      await ctx.queue.enqueue(
        ctx.db,
        dialJob,
        { recipientId: r.id, attempt: r.attempts },
        { delayMs: err.waitMs },
      );
      return 'waiting' as const;
    });
  if (claim !== 'claimed') return;
  const done = (patch: Partial<CampaignRecipientsTable>) =>
    moveRecipient(ctx, r, 'in_progress', {
      claim_token: null,
      updated_at: ctx.clock.now().toISOString(),
      state: 'completed',
      ...patch,
    });
  const body = await bulkTemplateBody(ctx.db, c, c.template_name!, c.template_language!);
  if (body === undefined)
    return void (await done({
      result: 'failed',
      error_code: 'template_not_approved',
      error_message: `Template ${c.template_name} no longer exists.`,
    }));
  let sent: TemplateSendResult;
  try {
    sent = await sendTemplate(ctx, await bulkSender(ctx.db, c), {
      template: { name: c.template_name!, language: c.template_language!, body },
      variables: positional(fromJson(c.template_variables, {})),
      contact: { ...contact, phone: contact.phone! },
      from: c.from_address,
      ignoreDnd: c.ignore_dnd === 1,
    });
  } catch (err) {
    await moveRecipient(ctx, r, 'in_progress', { state: 'scheduled', updated_at: nowIso });
    throw err;
  }
  if (sent.kind === 'sent') await done({ result: 'sent', message_id: sent.messageId });
  else if (sent.kind === 'retry')
    await moveRecipient(
      ctx,
      r,
      'in_progress',
      {
        state: 'pending',
        next_attempt_at: new Date(ctx.clock.now().getTime() + sent.afterMs).toISOString(),
        updated_at: nowIso,
      },
      { attempts: -1 },
    );
  else if (sent.kind === 'skipped')
    await done({ state: 'skipped', error_code: sent.code, error_message: sent.message });
  else await done({ result: 'failed', error_code: sent.code, error_message: sent.message });
}
