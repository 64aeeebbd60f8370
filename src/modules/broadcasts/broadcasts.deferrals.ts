import type { AppContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ParleyEvent, Tx } from '../../platform/events.ts';
import type { Reaction } from '../../platform/reactions.ts';
import type { TemplateCategoryChangedEvent } from '../messaging/index.ts';
import { fanOutJob } from './broadcasts.jobs.ts';
import { FREQUENCY_CAPPED, lockBroadcast } from './broadcasts.read.ts';

/**
 * Meta 131049 ("to maintain healthy ecosystem engagement, the message failed to be delivered"):
 * Meta held a marketing message back for the user's per-user marketing limit. That is no final
 * failure: the recipient is deferred and sent again 12, 24, then 48 hours after each hold, as long
 * as the broadcast is still valid (`valid_until`); after that its message stays held back and the
 * recipient counts as `frequency_capped`, apart from `failed`.
 */

/** Hours until the next attempt, by how many times the recipient was deferred before. */
export const RETRY_HOURS = [12, 24, 48] as const;
export const DEFAULT_VALID_HOURS = 72;

/** Defers the broadcast recipient whose message Meta held back, in the transaction that failed it. */
async function deferHeldBack(ctx: AppContext, tx: Tx, event: ParleyEvent): Promise<void> {
  const messageId = typeof event.data.id === 'string' ? event.data.id : undefined;
  if (!messageId) return;
  const r = await tx.db
    .selectFrom('broadcast_recipients')
    .select(['id', 'deferrals', 'broadcast_id'])
    .where('message_id', '=', messageId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (!r) return;
  // Held before reading its status: a completion running meanwhile finishes first (this then
  // opens the broadcast again) or sees this recipient deferred. (The update below is guarded by
  // the recipient's status, should it have moved meanwhile.)
  const b = await lockBroadcast(tx.db, r.broadcast_id);
  if (!b || b.status === 'cancelled' || b.status === 'failed') return;
  const deferrals = Number(r.deferrals ?? 0);
  const hours = RETRY_HOURS[deferrals];
  if (hours === undefined) return;
  const now = ctx.clock.now();
  const retryAt = new Date(now.getTime() + hours * 3_600_000);
  if (b.valid_until && retryAt.getTime() > new Date(b.valid_until).getTime()) return;
  await tx.db
    .updateTable('broadcast_recipients')
    .set({
      status: 'deferred',
      deferrals: deferrals + 1,
      retry_at: retryAt.toISOString(),
      updated_at: now.toISOString(),
    })
    .where('id', '=', r.id)
    .where('status', '=', 'queued')
    .execute();
  // Meta's verdict may come after every message was handed over and the broadcast completed: it
  // is open again until the retry settles (and completes, with its event, once more).
  if (b.status === 'completed')
    await tx.db
      .updateTable('broadcasts')
      .set({ status: 'sending', completed_at: null, updated_at: now.toISOString() })
      .where('id', '=', r.broadcast_id)
      .where('status', '=', 'completed')
      .execute();
  await ctx.queue.enqueue(tx.db, fanOutJob, { broadcastId: r.broadcast_id }, { runAt: retryAt });
}

/** Listens for `message.failed` with Meta's per-user marketing limit. */
export function frequencyCapListener(ctx: AppContext): Reaction['run'] {
  return async (tx, events) => {
    for (const e of events) {
      if (e.event !== 'message.failed') continue;
      const error = e.data.error as { code?: string } | null | undefined;
      if (error?.code === FREQUENCY_CAPPED) await deferHeldBack(ctx, tx, e);
    }
  };
}

/** Deferred recipients whose time has come go back to `pending` for the fan-out to send. */
export async function releaseDueDeferrals(db: Db, broadcastId: string, now: Date): Promise<number> {
  const res = await db
    .updateTable('broadcast_recipients')
    .set({ status: 'pending', claimed_at: null, retry_at: null, updated_at: now.toISOString() })
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'deferred')
    .where('retry_at', '<=', now.toISOString())
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * Meta moved a template to marketing (`template_category_update`): each scheduled broadcast of it
 * gets a warning, in the transaction that records the change (the `templateCategoryChanged` port).
 */
export function flagTemplateTurnedMarketing(ctx: AppContext) {
  return async (tx: Tx, e: TemplateCategoryChangedEvent): Promise<void> => {
    if (e.template.category !== 'marketing') return;
    await tenant(tx.db, { workspaceId: e.workspaceId, livemode: e.livemode })
      .updateTable('broadcasts')
      .set({
        warning: `Meta moved template ${e.template.name} (${e.template.language}) from ${e.previous} to marketing: each message now costs a marketing message, and contacts who stopped marketing messages will be skipped.`,
        updated_at: ctx.clock.now().toISOString(),
      })
      .where('status', '=', 'scheduled')
      .where('template_name', '=', e.template.name)
      .where('template_language', '=', e.template.language)
      .execute();
  };
}
