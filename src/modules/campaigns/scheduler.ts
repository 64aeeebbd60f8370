import { inScope, scopeOf } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Tx } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import { contactReachability } from '../contacts/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { dialJob, expandJob, tickJob } from './campaigns.jobs.ts';
import type { CampaignsTable } from './campaigns.tables.ts';
import { completeIfDone, expandKey, lockCampaign, tickKey } from './controls.ts';
import { CountChanges } from './counts.ts';
import { dialerOf } from './dialer.ts';
import { dialSpacingMs } from './pace.ts';
import {
  dialDelays,
  idleDelay,
  newPlan,
  newSorting,
  type PassPace,
  type Plan,
  paceOf,
  passDelayOf,
  planRecipient,
  slotsLeft,
} from './plan.ts';
import { MAX_IDLE_MS, PAGE_MIN, PASS_SECONDS, SCAN_LIMIT } from './tuning.ts';
import type { CallingWindow } from './windows.ts';

// ---------------------------------------------------------------------------------------------
// The scheduling pass.

/**
 * Free slots for new dials: the campaign's own cap and the workspace's, shared with API calls.
 * Held slots are read from the counters (never by counting recipients): this campaign's
 * scheduled and in-progress recipients, and the claimed (scheduled) ones of every campaign of the
 * workspace, which have no call yet but will.
 */
export async function freeSlots(ctx: AppContext, db: Db | Trx, c: CampaignsTable): Promise<number> {
  const perPass = Math.max(1, Math.ceil(Number(c.calls_per_second) * PASS_SECONDS));
  if (c.type !== 'voice') return perPass;
  const dialer = dialerOf(ctx);
  if (!dialer) return 0;
  const { limits } = await workspaceTerms(db, c.workspace_id);
  const held = await db
    .selectFrom('campaign_counts')
    .select((e) => e('scheduled', '+', e.ref('in_progress')).as('own'))
    .where('campaign_id', '=', c.id)
    .executeTakeFirst();
  const waiting = await db
    .selectFrom('campaign_counts as cc')
    .innerJoin('campaigns as k', 'k.id', 'cc.campaign_id')
    .select((e) => e.fn.sum<number>('cc.scheduled').as('n'))
    .where(inScope(scopeOf(c), 'k'))
    .where('k.status', 'in', ['running', 'paused'])
    .executeTakeFirst();
  return slotsLeft({
    perPass,
    plan: limits.concurrent_calls,
    maxConcurrency: c.max_concurrency,
    held: Number(held?.own ?? 0),
    active: await dialer.activeCalls(db, scopeOf(c)),
    claimedInWorkspace: Number(waiting?.n ?? 0),
  });
}

export interface PassReport {
  claimed: number;
  deferred: number;
  skipped: number;
  expired: number;
  completed: boolean;
}

type RunningCampaign = CampaignsTable & { open: number | null; countsPaceCursor: string | null };

/** The campaign with its open recipients from the counters (null: no counters), if it is running. */
async function runningCampaign(tx: Tx, campaignId: string): Promise<RunningCampaign | null> {
  const row = await tx.db
    .selectFrom('campaigns as c')
    .leftJoin('campaign_counts as cc', 'cc.campaign_id', 'c.id')
    .selectAll('c')
    .select([
      'cc.pending as open_pending',
      'cc.scheduled as open_scheduled',
      'cc.in_progress as open_live',
      'cc.pace_cursor as counts_pace_cursor',
    ])
    .where('c.id', '=', campaignId)
    .executeTakeFirst();
  if (row?.status !== 'running') return null;
  const { open_pending, open_scheduled, open_live, counts_pace_cursor, ...c } = row;
  const open =
    open_pending === null ? null : Number(open_pending) + Number(open_scheduled) + Number(open_live);
  return { ...c, open, countsPaceCursor: counts_pace_cursor };
}

/** The schedule has ended: every pending recipient expires. */
async function expireAll(tx: Tx, campaignId: string, nowIso: string): Promise<number> {
  const res = await tx.db
    .updateTable('campaign_recipients')
    .set({
      state: 'expired',
      error_code: 'campaign_ended',
      error_message: 'The schedule ended before this recipient was reached.',
      updated_at: nowIso,
    })
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  const expired = Number(res.numUpdatedRows);
  await new CountChanges()
    .moved({ state: 'pending' }, { state: 'expired' }, expired)
    .apply(tx.db, campaignId);
  return expired;
}

/**
 * Due recipients, oldest first, a page at a time from the "due" index, until the free slots are
 * filled: a pass reads about as many rows as it claims, and at most SCAN_LIMIT when those at the
 * front are outside their window (they move to its opening, out of the next pass's way).
 */
async function planDue(tx: Tx, c: CampaignsTable, now: Date, slots: number): Promise<Plan> {
  const plan = newPlan(slots);
  const sorting = newSorting(fromJson<CallingWindow[] | null>(c.windows, null), now, slots);
  const nowIso = now.toISOString();
  let scanned = 0;
  let after: { at: string; id: string } | null = null;
  while (!plan.scannedAll && plan.claim.length < slots && scanned < SCAN_LIMIT) {
    const size = Math.min(SCAN_LIMIT - scanned, Math.max(PAGE_MIN, 2 * (slots - plan.claim.length)));
    let q = tx.db
      .selectFrom('campaign_recipients as r')
      .innerJoin(contactReachability(tx.db).as('ct'), 'ct.id', 'r.contact_id')
      .select(['r.id', 'r.next_attempt_at', 'r.timezones', 'r.country', 'r.phone', 'r.timezone_source'])
      .select(['ct.dnd', 'ct.opted_out'])
      .where('r.campaign_id', '=', c.id)
      .where('r.state', '=', 'pending')
      .where('r.next_attempt_at', '<=', nowIso);
    if (after) {
      const { at, id } = after;
      q = q.where((eb) => eb(eb.refTuple('r.next_attempt_at', 'r.id'), '>', eb.tuple(at, id)));
    }
    const page = await q.orderBy('r.next_attempt_at').orderBy('r.id').limit(size).execute();
    scanned += page.length;
    if (page.length < size) plan.scannedAll = true;
    const last = page.at(-1);
    if (last) after = { at: last.next_attempt_at!, id: last.id };
    for (const r of page) planRecipient(r, c, plan, sorting);
  }
  return plan;
}

/** Pending recipients set to a final state (by id, still pending); returns how many moved. */
async function finish(
  tx: Tx,
  ids: string[],
  set: { state: 'skipped' | 'expired'; error_code: string; error_message: string; updated_at: string },
  counts: CountChanges,
): Promise<number> {
  let n = 0;
  for (const part of chunked(ids)) {
    const res = await tx.db
      .updateTable('campaign_recipients')
      .set(set)
      .where('id', 'in', part)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    counts.moved({ state: 'pending' }, { state: set.state }, Number(res.numUpdatedRows));
    n += Number(res.numUpdatedRows);
  }
  return n;
}

/** Writes the skipped, expired and moved recipients of a plan. */
async function settleUnclaimed(tx: Tx, plan: Plan, nowIso: string, counts: CountChanges, report: PassReport) {
  for (const [code, { message, ids }] of plan.skips)
    report.skipped += await finish(
      tx,
      ids,
      { state: 'skipped', error_code: code, error_message: message, updated_at: nowIso },
      counts,
    );
  report.expired += await finish(
    tx,
    plan.expire,
    {
      state: 'expired',
      error_code: 'outside_calling_window',
      error_message: 'No calling window opens before the schedule ends.',
      updated_at: nowIso,
    },
    counts,
  );
  for (const [at, ids] of plan.moves)
    for (const part of chunked(ids))
      await tx.db
        .updateTable('campaign_recipients')
        .set({ next_attempt_at: at, updated_at: nowIso })
        .where('id', 'in', part)
        .where('state', '=', 'pending')
        .execute();
  report.deferred = [...plan.moves.values()].reduce((n, ids) => n + ids.length, 0);
}

/**
 * Claims the planned recipients (a conditional update marked with the pass's token) and queues
 * their dial jobs `spacingMs` apart from the pace cursor; returns the cursor after the last.
 */
async function claimAndQueue(
  ctx: AppContext,
  tx: Tx,
  ids: string[],
  pace: { cursor: number; spacingMs: number; wall: number; nowIso: string },
  counts: CountChanges,
): Promise<{ claimed: number; cursor: number }> {
  let cursor = pace.cursor;
  if (!ids.length) return { claimed: 0, cursor };
  const token = newId('job');
  const claimed: Array<{ id: string; attempts: number }> = [];
  for (const part of chunked(ids))
    claimed.push(
      ...(await tx.db
        .updateTable('campaign_recipients')
        .set((eb) => ({
          state: 'scheduled',
          claim_token: token,
          attempts: eb('attempts', '+', 1),
          updated_at: pace.nowIso,
        }))
        .where('id', 'in', part)
        .where('state', '=', 'pending')
        .returning(['id', 'attempts'])
        .execute()),
    );
  claimed.sort((a, b) => (a.id < b.id ? -1 : 1));
  counts.moved({ state: 'pending' }, { state: 'scheduled' }, claimed.length).attempts(claimed.length);
  const due = dialDelays(cursor, pace.spacingMs, pace.wall, claimed.length);
  cursor = due.cursor;
  const items = claimed.map((r, i) => ({
    payload: { recipientId: r.id, attempt: r.attempts },
    opts: { delayMs: due.delays[i]! },
  }));
  if (items.length) await ctx.queue.enqueueMany(tx.db, dialJob, items);
  return { claimed: items.length, cursor };
}

/** When the next pass runs: when this pass's dials are due, sooner when work waits, at the latest MAX_IDLE_MS. */
async function nextPassDelay(
  tx: Tx,
  c: CampaignsTable,
  s: PassPace,
  scannedAll: boolean,
  now: Date,
): Promise<number> {
  const decided = passDelayOf(s, Boolean(c.expanded_at), scannedAll);
  if (decided !== null) return decided;
  const soonest = await tx.db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('campaign_id', '=', c.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return idleDelay(soonest?.at ? String(soonest.at) : null, now);
}

/**
 * One pass: claims due recipients whose window is open (up to the free slots and the pace),
 * queues their dial jobs spaced `1/calls_per_second` apart, moves those outside their window to
 * its next opening, and queues the next pass. Safe to run twice at once: a recipient is claimed
 * by one pass only (a conditional update marked with the pass's token).
 */
export async function runPass(ctx: AppContext, campaignId: string, job?: JobContext): Promise<PassReport> {
  const report: PassReport = { claimed: 0, deferred: 0, skipped: 0, expired: 0, completed: false };
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const next = async (tx: Tx, delayMs: number) => {
    await job?.completeWith?.(tx.db);
    await ctx.queue.enqueue(
      tx.db,
      tickJob,
      { campaignId },
      { delayMs: Math.max(0, Math.round(delayMs)), singletonKey: tickKey(campaignId) },
    );
  };
  // The whole pass is one transaction under the campaign's lock: passes of a campaign never
  // interleave (the free slots and the pace they read are still true when they claim), and a
  // pass is about a dozen statements whatever the audience's size.
  await ctx.transaction(async (tx) => {
    await lockCampaign(ctx, tx, campaignId);
    const c = await runningCampaign(tx, campaignId);
    if (!c) return;
    if (c.start_at && Date.parse(c.start_at) > now.getTime())
      return next(tx, Math.min(Date.parse(c.start_at) - now.getTime(), MAX_IDLE_MS));
    if (c.end_at && Date.parse(c.end_at) <= now.getTime()) {
      report.expired = await expireAll(tx, campaignId, nowIso);
      report.completed = await completeIfDone(ctx, tx, campaignId);
      // Live calls still end their recipients; their end runs completion again.
      return;
    }

    // The pace is wall-clock time, as in the dial jobs (pace.ts), whatever the app's (test)
    // clock says. Dials are queued at most PASS_SECONDS ahead, however often passes run.
    const spacingMs = dialSpacingMs(Number(c.calls_per_second));
    const wall = Date.now();
    // The campaign row's own cursor is where passes before migration 0964 kept it.
    const { start, room: paceRoom } = paceOf(wall, c.countsPaceCursor ?? c.pace_cursor, spacingMs);
    const slots = paceRoom > 0 ? Math.min(paceRoom, await freeSlots(ctx, tx.db, c)) : 0;
    const plan = await planDue(tx, c, now, slots);

    const counts = new CountChanges();
    await settleUnclaimed(tx, plan, nowIso, counts, report);
    const { claimed, cursor } = await claimAndQueue(
      ctx,
      tx,
      plan.claim,
      { cursor: start, spacingMs, wall, nowIso },
      counts,
    );
    report.claimed = claimed;
    // Rows locked in one order everywhere: recipients, then counters, then the campaign.
    await counts.apply(tx.db, campaignId, claimed ? { paceCursor: new Date(cursor).toISOString() } : {});
    if (
      claimed === 0 &&
      c.expanded_at &&
      (c.open === null || c.open - report.skipped - report.expired <= 0)
    ) {
      // Nothing claimed, and nothing or only what this pass moved was left: it may be done.
      // (Otherwise whoever moves the last recipient completes the campaign.)
      report.completed = await completeIfDone(ctx, tx, campaignId);
      if (report.completed) return;
    }
    const delay = await nextPassDelay(
      tx,
      c,
      { claimed, cursor, wall, spacingMs, slots, paceRoom },
      plan.scannedAll,
      now,
    );
    // A campaign whose writing stopped (paused, or started before it was a job of its own) goes
    // on. Enqueued before the next pass, in the order the expansion job takes the two jobs' keys.
    // While the writing runs, its job is live: the look costs one statement and waits on nobody.
    if (!c.expanded_at)
      await ctx.queue.enqueue(
        tx.db,
        expandJob,
        { campaignId },
        { singletonKey: expandKey(campaignId), unlessLive: true },
      );
    await next(tx, delay);
  });
  return report;
}
