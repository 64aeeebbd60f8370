import type { CampaignsTable } from './campaigns.tables.ts';
import { type CallingWindow, nextOpening, ruleFor, ruleKey } from './windows.ts';

/*
 * A scheduler pass's decisions, as pure functions (no storage, no clock but the `now` given):
 * each due recipient is skipped (opted out, do-not-disturb), claimed for a call while slots are
 * free and its window is open, moved to its window's next opening, or expired when that opening
 * is past the campaign's end or never comes. Tested as units in plan.test.ts.
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
  const rule = ruleFor({ ...r, zones: r.timezones.split(','), source: r.timezone_source }, sorting.windows);
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
