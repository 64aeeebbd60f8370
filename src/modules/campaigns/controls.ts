import type { Scope } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { ApiError, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { expandJob, tickJob } from './campaigns.jobs.ts';
import type { CampaignStatus, CampaignsTable } from './campaigns.tables.ts';
import { CountChanges } from './counts.ts';

import { dialerOf } from './dialer.ts';
import { getCampaign, getCampaignRow, present } from './read.ts';
import { requireMembers } from './write.ts';

// ---------------------------------------------------------------------------------------------
// Controls.

export async function transition(
  ctx: AppContext,
  scope: Scope,
  id: string,
  allowed: CampaignStatus[],
  verb: string,
  change: (tx: Tx, row: CampaignsTable, now: string) => Promise<void>,
) {
  await ctx.transaction(async (tx) => {
    const row = await getCampaignRow(tx.db, scope, id);
    if (!allowed.includes(row.status))
      throw new ApiError('conflict', `Campaign ${id} is ${row.status}; it cannot be ${verb}.`, {
        details: { status: row.status },
      });
    await change(tx, row, ctx.clock.now().toISOString());
  });
  return getCampaign(ctx, scope, id);
}

export async function setStatus(tx: Tx, row: CampaignsTable, patch: Partial<CampaignsTable>) {
  const res = await tx.db
    .updateTable('campaigns')
    .set(patch)
    .where('id', '=', row.id)
    .where('status', '=', row.status)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    throw new ApiError('conflict', `Campaign ${row.id} changed meanwhile; retry.`);
}

export const tickKey = (id: string) => `campaign:${id}`;

/**
 * Serializes the transactions that claim, cancel or write a campaign's recipients: SQLite has one
 * writer; PostgreSQL takes a transaction-scoped advisory lock per campaign.
 */
export async function lockCampaign(ctx: AppContext, tx: Tx, id: string) {
  if (ctx.dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${`campaign:${id}`}))`.execute(tx.db);
}
export const expandKey = (id: string) => `campaign-expand:${id}`;

/** Starts a draft: its first pass writes the recipients, then dialing begins when the window is open. */
export async function startCampaign(ctx: AppContext, scope: Scope & { defaultCountry: string }, id: string) {
  const row = await getCampaignRow(ctx.db, scope, id);
  if (row.status === 'draft') {
    if (row.type === 'voice' && !dialerOf(ctx))
      throw new ApiError(
        'unprocessable',
        'Voice calling is not available in this server (the call engine is not loaded).',
      );
    await requireMembers(ctx, scope, row.audience_id).catch((err) => {
      if (err instanceof ApiError && err.code === 'not_found')
        throw validationFailed([
          { field: 'audience_id', message: `audience ${row.audience_id} no longer exists` },
        ]);
      throw err;
    });
  }
  return transition(ctx, scope, id, ['draft'], 'started', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'running', started_at: now, updated_at: now });
    // Writing the recipients comes first; its first slice queues the first pass.
    await ctx.queue.enqueue(tx.db, expandJob, { campaignId: id }, { singletonKey: expandKey(id) });
  });
}

/** Stops new dials; live calls finish. Dial jobs already queued put their recipient back. */
export function pauseCampaign(ctx: AppContext, scope: Scope, id: string) {
  return transition(ctx, scope, id, ['running', 'scheduled'], 'paused', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'paused', paused_at: now, updated_at: now });
  });
}

export function resumeCampaign(ctx: AppContext, scope: Scope, id: string) {
  return transition(ctx, scope, id, ['paused'], 'resumed', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'running', updated_at: now });
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId: id }, { singletonKey: tickKey(id) });
  });
}

/** A canceled campaign's recipients in `state` become `canceled`, told to `counts`. */
export async function cancelRecipients(
  db: Trx,
  campaignId: string,
  state: 'pending' | 'scheduled',
  at: string,
  counts: CountChanges,
) {
  const res = await db
    .updateTable('campaign_recipients')
    .set({
      state: 'canceled',
      error_code: 'campaign_canceled',
      error_message: 'The campaign was canceled before this recipient was reached.',
      updated_at: at,
    })
    .where('campaign_id', '=', campaignId)
    .where('state', '=', state)
    .executeTakeFirst();
  counts.moved({ state }, { state: 'canceled' }, Number(res.numUpdatedRows));
}

/**
 * Stops the campaign for good: recipients not yet on a call become `canceled`; live calls
 * finish unless `hangup` is asked for.
 */
export async function cancelCampaign(ctx: AppContext, scope: Scope, id: string, hangup: boolean) {
  const result = await transition(
    ctx,
    scope,
    id,
    ['draft', 'scheduled', 'running', 'paused'],
    'canceled',
    async (tx, r, now) => {
      // Under the pass's lock, and rows locked in the order everyone takes them: recipients,
      // counters, campaign.
      await lockCampaign(ctx, tx, id);
      const counts = new CountChanges();
      for (const state of ['pending', 'scheduled'] as const)
        await cancelRecipients(tx.db, id, state, now, counts);
      await counts.apply(tx.db, id);
      await setStatus(tx, r, { status: 'canceled', canceled_at: now, updated_at: now });
    },
  );
  if (hangup) {
    const live = await ctx.db
      .selectFrom('campaign_recipients')
      .select('last_call_id')
      .where('campaign_id', '=', id)
      .where('state', '=', 'in_progress')
      .where('last_call_id', 'is not', null)
      .execute();
    const dialer = dialerOf(ctx);
    if (live.length && dialer?.hangup)
      await dialer.hangup(
        ctx,
        scope,
        live.map((l) => l.last_call_id!),
      );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Completion: every recipient final (nothing pending, scheduled or in progress).

export async function completeIfDone(ctx: AppContext, tx: Tx, campaignId: string): Promise<boolean> {
  const c = await tx.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!c || c.completed_at || !c.expanded_at || c.status === 'canceled') return true;
  const open = await tx.db
    .selectFrom('campaign_recipients')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('state', 'in', ['pending', 'scheduled', 'in_progress'])
    .limit(1)
    .executeTakeFirst();
  if (open) return false;
  const now = ctx.clock.now().toISOString();
  const res = await tx.db
    .updateTable('campaigns')
    .set({ status: 'completed', completed_at: now, updated_at: now })
    .where('id', '=', campaignId)
    .where('completed_at', 'is', null)
    .where('status', 'in', ['running', 'paused', 'scheduled'])
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return true;
  await tx.emit({
    workspaceId: c.workspace_id,
    livemode: c.livemode === 1,
    type: 'campaign.completed',
    actor: { type: 'system', id: null },
    data: await present(tx.db, { ...c, status: 'completed', completed_at: now, updated_at: now }),
  });
  return true;
}
