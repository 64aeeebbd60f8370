import { scopeOf } from '../../platform/db/scope.ts';
import { contactsByIds } from '../contacts/index.ts';
import './campaigns.tables.ts';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import { audienceContactIds } from '../audiences/index.ts';
import { expandJob, tickJob } from './campaigns.jobs.ts';
import type { CampaignRecipientsTable, CampaignsTable } from './campaigns.tables.ts';
import { cancelRecipients, expandKey, lockCampaign, tickKey } from './controls.ts';
import { CountChanges } from './counts.ts';
import { EXPAND_BATCH, EXPAND_FIRST, EXPAND_INSERT_ROWS, EXPAND_PER_RUN, ZONE_SLICE } from './tuning.ts';
import { zonesFor } from './windows.ts';
import { planLimits } from './write.ts';

// ---------------------------------------------------------------------------------------------
// Expansion: one recipient row per audience contact, its time zones resolved once.

/**
 * The expansion job: writes the campaign's recipients, resuming after the last contact written
 * (the audience is read by ascending contact id), apart from the scheduling passes so that a pass
 * never pays for writing the audience. Its first run writes a small slice, so the first dials
 * need not wait for a large audience; each slice pokes the pass. It queues its own next run until
 * every recipient exists, then marks the campaign expanded.
 */
export async function runExpansion(ctx: AppContext, campaignId: string, job?: JobContext) {
  const c = await ctx.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!c || c.expanded_at || (c.status !== 'running' && c.status !== 'paused')) return;
  const scope = { ...scopeOf(c), defaultCountry: (await planLimits(ctx.db, c.workspace_id)).defaultCountry };
  const startAt =
    c.start_at && c.start_at > (c.started_at ?? '')
      ? c.start_at
      : (c.started_at ?? ctx.clock.now().toISOString());
  const last = await ctx.db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.max('contact_id').as('id'))
    .where('campaign_id', '=', c.id)
    .executeTakeFirst();
  const after = (last?.id as string | null) ?? '';
  const limit = after ? EXPAND_PER_RUN : EXPAND_FIRST;
  const batch = Math.min(EXPAND_BATCH, limit);
  let written = 0;
  let finished = true;
  let marked = false;
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, scope, c.audience_id, batch, after)) {
    if (written >= limit) {
      finished = false;
      break;
    }
    written += ids.length;
    // A short batch is the audience's last: the campaign is marked expanded with its last rows,
    // so nobody sees every recipient written and the campaign not yet expanded.
    const wrote = await writeRecipients(ctx, c, ids, startAt, ids.length < batch);
    if (wrote === 'stopped') return cancelLeftovers(ctx, c.id);
    marked = wrote;
  }
  await ctx.transaction(async (tx) => {
    await job?.completeWith?.(tx.db);
    if (finished) {
      if (!marked) await markExpanded(ctx, tx, c.id);
    } else await ctx.queue.enqueue(tx.db, expandJob, { campaignId }, { singletonKey: expandKey(campaignId) });
    // The pass dials whom this run wrote (or, once all are written, may complete the campaign).
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId }, { singletonKey: tickKey(campaignId) });
  });
  await cancelLeftovers(ctx, c.id);
}

/**
 * Rows this run inserted while a cancel committed were not seen by the cancel: once the run's
 * writes are committed, a canceled campaign's pending recipients are canceled (and counted) here.
 */
export async function cancelLeftovers(ctx: AppContext, campaignId: string) {
  await ctx.transaction(async (tx) => {
    const current = await tx.db
      .selectFrom('campaigns')
      .select(['status', 'canceled_at'])
      .where('id', '=', campaignId)
      .executeTakeFirst();
    if (current?.status !== 'canceled') return;
    await lockCampaign(ctx, tx, campaignId);
    const counts = new CountChanges();
    const at = current.canceled_at ?? ctx.clock.now().toISOString();
    await cancelRecipients(tx.db, campaignId, 'pending', at, counts);
    await counts.apply(tx.db, campaignId);
  });
}

export function recipientRow(
  c: CampaignsTable,
  ct: { id: string; phone: string | null; attributes: string; dnd: number; opted_out: number },
  startAt: string,
  now: string,
): CampaignRecipientsTable {
  const z = zonesFor(ct.phone, fromJson<{ timezone?: unknown }>(ct.attributes, {}).timezone, c.timezone);
  const skip =
    ct.opted_out === 1
      ? { code: 'contact_opted_out', message: 'The contact opted out.' }
      : ct.dnd === 1 && c.ignore_dnd === 0
        ? {
            code: 'contact_dnd',
            message: 'The contact is on do-not-disturb (the campaign does not ignore DND).',
          }
        : !ct.phone
          ? { code: 'validation_failed', message: 'The contact has no phone number.' }
          : null;
  return {
    id: newId('cmpr'),
    campaign_id: c.id,
    workspace_id: c.workspace_id,
    livemode: c.livemode,
    contact_id: ct.id,
    phone: ct.phone,
    timezones: z.zones.join(','),
    timezone_source: z.source,
    country: z.country,
    state: skip ? 'skipped' : 'pending',
    result: null,
    attempts: 0,
    next_attempt_at: skip ? null : startAt,
    claim_token: null,
    last_call_id: null,
    message_id: null,
    outcome: null,
    duration_seconds: null,
    error_code: skip?.code ?? null,
    error_message: skip?.message ?? null,
    created_at: now,
    updated_at: now,
  };
}

export const markExpanded = (ctx: AppContext, tx: Tx, id: string) =>
  tx.db
    .updateTable('campaigns')
    .set({ expanded_at: ctx.clock.now().toISOString() })
    .where('id', '=', id)
    .execute();

/**
 * Writes the recipient rows of some audience contacts, their time zones resolved once, and counts
 * them; `last`: marks the campaign expanded with the last rows (returns whether it did).
 */
export async function writeRecipients(
  ctx: AppContext,
  c: CampaignsTable,
  ids: string[],
  startAt: string,
  last: boolean,
): Promise<boolean | 'stopped'> {
  const contacts = await contactsByIds(ctx.db, scopeOf(c), ids);
  const now = ctx.clock.now().toISOString();
  const rows: CampaignRecipientsTable[] = [];
  for (const [i, ct] of contacts.entries()) {
    // Parsing numbers for their zones is the CPU-heavy part: let the event loop (a pass's queries
    // among them) run between short slices, rather than hold it for a whole batch.
    if (i > 0 && i % ZONE_SLICE === 0) await new Promise((r) => setImmediate(r));
    rows.push(recipientRow(c, ct, startAt, now));
  }
  const parts = chunked(rows, EXPAND_INSERT_ROWS[ctx.dialect]);
  for (const [i, part] of parts.entries()) {
    const stopped = await ctx.transaction(async (tx) => {
      // A cancel stops the writing (rows written while it commits are canceled after: see
      // runExpansion). Not under the campaign's lock, which would hold passes back while rows are inserted.
      const current = await tx.db
        .selectFrom('campaigns')
        .select('status')
        .where('id', '=', c.id)
        .executeTakeFirst();
      if (current?.status !== 'running' && current?.status !== 'paused') return true;
      // A retried run may meet rows it wrote before: only the rows inserted now are counted.
      const inserted = await tx.db
        .insertInto('campaign_recipients')
        .values(part)
        .onConflict((oc) => oc.columns(['campaign_id', 'contact_id']).doNothing())
        .returning('state')
        .execute();
      const counts = new CountChanges();
      for (const r of inserted) counts.added({ state: r.state });
      await counts.apply(tx.db, c.id);
      if (last && i === parts.length - 1) await markExpanded(ctx, tx, c.id);
      return false;
    });
    if (stopped) return 'stopped';
  }
  return last && parts.length > 0;
}
