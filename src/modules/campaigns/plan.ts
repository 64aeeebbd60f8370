import type { CampaignsTable } from './campaigns.tables.ts';
import { EXPANDING_POLL_MS, MAX_IDLE_MS, PASS_SECONDS } from './tuning.ts';
import { type CallingWindow, nextOpening, recipientRule, ruleKey } from './windows.ts';

/*
 * A scheduler pass's decisions, as pure functions (no storage, no clock but the `now` given):
 * each due recipient is skipped (opted out, do-not-disturb), claimed for a call while slots are
 * free and its window is open, moved to its window's next opening, or expired when that opening
 * is past the campaign's end or never comes; and its pace: how many dials it may queue, when each
 * is due, how many slots a voice campaign has left, when the next pass runs. Tested as units in
 * plan.test.ts and pace.test.ts.
 */

/** What the pass knows while sorting: the campaign's windows, the openings computed so far (one per rule), now, free slots. */
export interface Sorting {
  windows: CallingWindow[] | null;
  openings: Map<string, Date | null>;
  now: Date;
  slots: number;
}

export const newSorting = (windows: CallingWindow[] | null, now: Date, slots: number): Sorting => ({
  windows,
  openings: new Map(),
  now,
  slots,
});

export const newPlan = (slots: number): Plan => ({
  claim: [],
  skips: new Map(),
  moves: new Map(),
  expire: [],
  scannedAll: slots === 0,
});

/** What a pass decided for the due recipients it read. */
export interface Plan {
  claim: string[];
  skips: Map<string, { message: string; ids: string[] }>;
  moves: Map<string, string[]>;
  expire: string[];
  scannedAll: boolean;
}

export type DueRow = {
  id: string;
  next_attempt_at: string | null;
  timezones: string;
  country: string | null;
  phone: string | null;
  timezone_source: string;
  dnd: number;
  opted_out: number;
};

const skipOf = (r: DueRow, c: CampaignsTable) =>
  r.opted_out === 1
    ? { code: 'contact_opted_out', message: 'The contact opted out.' }
    : r.dnd === 1 && c.ignore_dnd === 0
      ? { code: 'contact_dnd', message: 'The contact is on do-not-disturb.' }
      : null;

/** Sorts one due recipient into the plan: skipped, claimed, moved to its window's opening or expired. */
export function planRecipient(r: DueRow, c: CampaignsTable, plan: Plan, sorting: Sorting) {
  const skip = skipOf(r, c);
  if (skip) {
    const list = plan.skips.get(skip.code) ?? { message: skip.message, ids: [] };
    list.ids.push(r.id);
    plan.skips.set(skip.code, list);
    return;
  }
  const rule = recipientRule(r, sorting.windows);
  const key = ruleKey(rule);
  let opening = sorting.openings.get(key);
  if (opening === undefined) {
    opening = nextOpening(rule, sorting.now);
    sorting.openings.set(key, opening);
  }
  if (opening && opening.getTime() <= sorting.now.getTime()) {
    if (plan.claim.length < sorting.slots) plan.claim.push(r.id);
    return;
  }
  if (!opening || (c.end_at && opening.getTime() >= Date.parse(c.end_at))) plan.expire.push(r.id);
  else {
    const at = opening.toISOString();
    plan.moves.set(at, [...(plan.moves.get(at) ?? []), r.id]);
  }
}

/** The pass's state that sets when the next one runs. */
export interface PassPace {
  claimed: number;
  cursor: number;
  wall: number;
  spacingMs: number;
  slots: number;
  paceRoom: number;
}

/**
 * When the next pass runs, when this pass alone decides it (null: when the soonest pending
 * recipient is due): when this pass's dials are due, soon while recipients are still being
 * written, when the pace has room again, at once when due recipients were left unread.
 */
export function passDelayOf(s: PassPace, expanded: boolean, scannedAll: boolean): number | null {
  if (s.claimed > 0) return Math.max(200, s.cursor - s.wall - s.spacingMs);
  // Recipients are still being written: look again soon (each slice written also pokes the pass).
  if (!expanded) return EXPANDING_POLL_MS;
  if (s.slots === 0) return s.paceRoom === 0 ? Math.max(200, s.cursor - s.wall - PASS_SECONDS * 1000) : 1000;
  if (!scannedAll) return 0;
  return null;
}

/** Waits until a recipient due at `soonest` (none: MAX_IDLE_MS), between 200 ms and MAX_IDLE_MS. */
export function idleDelay(soonest: string | null, now: Date): number {
  if (!soonest) return MAX_IDLE_MS;
  return Math.min(MAX_IDLE_MS, Math.max(200, Date.parse(soonest) - now.getTime()));
}

/**
 * The pace of a pass: dials are queued from `start` (the pace cursor, or now when it is behind)
 * `spacingMs` apart and at most PASS_SECONDS ahead of the wall clock: `room` is how many fit.
 */
export function paceOf(wall: number, since: string | null, spacingMs: number) {
  const start = Math.max(wall, since ? Date.parse(since) : 0);
  const room = Math.max(0, Math.ceil((wall + PASS_SECONDS * 1000 - start) / spacingMs));
  return { start, room };
}

/** When each of `count` claimed dials is due, as delays from `wall`: `spacingMs` apart from `cursor`. */
export function dialDelays(cursor: number, spacingMs: number, wall: number, count: number) {
  const delays: number[] = [];
  let at = cursor;
  for (let i = 0; i < count; i++) {
    delays.push(Math.max(0, Math.round(at - wall)));
    at += spacingMs;
  }
  return { delays, cursor: at };
}

/**
 * A voice campaign's free slots: the pass's pace, the campaign's own cap (its `max_concurrency`
 * within the plan's concurrent calls) less what it holds, and the plan's concurrent calls less the
 * workspace's live calls and every campaign's claimed recipients (no call yet, but soon).
 */
export function slotsLeft(s: {
  perPass: number;
  /** The plan's concurrent calls; null: no limit. */
  plan: number | null;
  maxConcurrency: number | null;
  /** This campaign's scheduled and in-progress recipients. */
  held: number;
  /** Live calls of the workspace. */
  active: number;
  /** Scheduled recipients of the workspace's running and paused campaigns. */
  claimedInWorkspace: number;
}): number {
  const plan = s.plan ?? Number.POSITIVE_INFINITY;
  const campaignCap = Math.min(s.maxConcurrency ?? plan, plan) - s.held;
  const workspaceCap = plan - s.active - s.claimedInWorkspace;
  return Math.max(0, Math.min(s.perPass, campaignCap, workspaceCap));
}
