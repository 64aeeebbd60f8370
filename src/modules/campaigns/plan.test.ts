/**
 * Campaign scheduling as units: a pass's decisions (plan.ts) and the calling windows (windows.ts)
 * on a virtual clock — each pass is given its `now`, and the test moves it — with no server and
 * no storage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CampaignsTable } from './campaigns.tables.ts';
import { type DueRow, newPlan, newSorting, planRecipient } from './plan.ts';
import {
  type CallingWindow,
  closedUntil,
  isOpen,
  nextOpening,
  recipientRule,
  recipientZones,
  ruleFor,
  weekdays,
} from './windows.ts';

/** A virtual clock: the time a pass runs at, moved by the test. */
class VirtualClock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  now = () => new Date(this.#ms);
  set(iso: string) {
    this.#ms = Date.parse(iso);
  }
  advance(ms: number) {
    this.#ms += ms;
  }
}

const campaign = (over: Partial<CampaignsTable> = {}) =>
  ({ ignore_dnd: 0, end_at: null, windows: null, ...over }) as unknown as CampaignsTable;

let n = 0;
const due = (over: Partial<DueRow> = {}): DueRow => ({
  id: `cr_${++n}`,
  next_attempt_at: null,
  timezones: 'Asia/Kolkata',
  country: 'IN',
  phone: '+919812345678',
  timezone_source: 'contact',
  dnd: 0,
  opted_out: 0,
  ...over,
});

/** One pass over `rows` at the clock's time with `slots` free. */
function pass(
  rows: DueRow[],
  c: CampaignsTable,
  now: Date,
  slots: number,
  windows: CallingWindow[] | null = null,
) {
  const plan = newPlan(slots);
  const sorting = newSorting(windows, now, slots);
  for (const r of rows) planRecipient(r, c, plan, sorting);
  return { plan, sorting };
}

const weekdaysOnly: CallingWindow[] = [
  { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '10:00', end: '18:00' },
];

describe('a scheduler pass (planRecipient) on a virtual clock', () => {
  it('moves a recipient outside its window to the opening, and claims it once the clock gets there', () => {
    // Monday 07:30 in Kolkata: India's default (and legal) hours open at 09:00 (03:30 UTC).
    const clock = new VirtualClock('2026-05-11T02:00:00Z');
    const r = due();
    const early = pass([r], campaign(), clock.now(), 5).plan;
    assert.deepEqual(early.claim, []);
    assert.deepEqual([...early.moves], [['2026-05-11T03:30:00.000Z', [r.id]]]);
    clock.set('2026-05-11T03:30:00Z');
    const open = pass([r], campaign(), clock.now(), 5).plan;
    assert.deepEqual(open.claim, [r.id]);
    assert.equal(open.moves.size, 0);
    // 21:00 in Kolkata closes it again: tomorrow's 09:00.
    clock.set('2026-05-11T15:30:00Z');
    assert.deepEqual(
      [...pass([r], campaign(), clock.now(), 5).plan.moves.keys()],
      ['2026-05-12T03:30:00.000Z'],
    );
  });

  it("reads the campaign's windows in the recipient's zone: Saturday in New York waits for Monday 10:00", () => {
    const clock = new VirtualClock('2026-05-16T15:00:00Z'); // Saturday 11:00 EDT
    const r = due({ timezones: 'America/New_York', country: 'US', phone: '+12125550100' });
    const { plan } = pass([r], campaign(), clock.now(), 5, weekdaysOnly);
    assert.deepEqual([...plan.moves], [['2026-05-18T14:00:00.000Z', [r.id]]]);
    clock.advance(2 * 86_400_000 - 3_600_000); // Monday 10:00 EDT
    assert.deepEqual(pass([r], campaign(), clock.now(), 5, weekdaysOnly).plan.claim, [r.id]);
  });

  it('claims no more than the free slots; the rest stay due for the next pass', () => {
    const now = new Date('2026-05-11T06:00:00Z'); // 11:30 in Kolkata
    const rows = [due(), due(), due()];
    const { plan } = pass(rows, campaign(), now, 2);
    assert.deepEqual(plan.claim, [rows[0]!.id, rows[1]!.id]);
    assert.equal(plan.moves.size, 0);
    assert.deepEqual(plan.expire, []);
    assert.equal(newPlan(0).scannedAll, true, 'a pass with no free slot reads nothing');
  });

  it('skips opted-out contacts always, do-not-disturb ones unless the campaign ignores it', () => {
    const now = new Date('2026-05-11T06:00:00Z');
    const out = due({ opted_out: 1 });
    const dnd = due({ dnd: 1 });
    const { plan } = pass([out, dnd], campaign(), now, 5);
    assert.deepEqual(plan.claim, []);
    assert.deepEqual(plan.skips.get('contact_opted_out')?.ids, [out.id]);
    assert.deepEqual(plan.skips.get('contact_dnd')?.ids, [dnd.id]);
    const ignoring = pass([out, dnd], campaign({ ignore_dnd: 1 }), now, 5).plan;
    assert.deepEqual(ignoring.claim, [dnd.id]);
    assert.deepEqual(ignoring.skips.get('contact_opted_out')?.ids, [out.id]);
  });

  it("expires a recipient whose next opening is at or after the campaign's end", () => {
    const now = new Date('2026-05-11T02:00:00Z'); // opens at 03:30
    const before = pass([due()], campaign({ end_at: '2026-05-11T03:30:00.000Z' }), now, 5).plan;
    assert.equal(before.expire.length, 1);
    assert.equal(before.moves.size, 0);
    const after = pass([due()], campaign({ end_at: '2026-05-11T03:31:00.000Z' }), now, 5).plan;
    assert.equal(after.expire.length, 0);
    assert.equal(after.moves.size, 1);
  });

  it('expires a recipient whose windows never open in all of its zones at once', () => {
    const now = new Date('2026-05-11T02:00:00Z');
    const narrow: CallingWindow[] = [{ days: [...weekdays], start: '10:00', end: '11:00' }];
    const r = due({ timezones: 'Asia/Kolkata,America/Los_Angeles', country: null });
    assert.deepEqual(pass([r], campaign(), now, 5, narrow).plan.expire, [r.id]);
  });

  it('computes one opening per rule, shared by every recipient with that rule', () => {
    const now = new Date('2026-05-11T02:00:00Z');
    const rows = [due(), due(), due({ timezones: 'America/New_York', country: 'US', phone: '+12125550100' })];
    const { plan, sorting } = pass(rows, campaign(), now, 5);
    assert.equal(sorting.openings.size, 2);
    assert.deepEqual(plan.moves.get('2026-05-11T03:30:00.000Z'), [rows[0]!.id, rows[1]!.id]);
  });
});

describe('an ambiguous number, and a window closing mid-batch', () => {
  it('an ambiguous +61 8 number is reached only when Adelaide and Perth are both open', () => {
    // Moved from test/campaigns/campaigns.test.ts: the zones a +61 8 number may be in, and its pass.
    const zones = recipientZones('+61855501234', undefined);
    assert.deepEqual(zones, {
      zones: ['Australia/Adelaide', 'Australia/Perth'],
      source: 'prefix',
      country: 'AU',
    });
    const r = due({
      timezones: zones.zones.join(','),
      country: 'AU',
      phone: '+61855501234',
      timezone_source: 'prefix',
    });
    // 09:15 in Adelaide, 07:45 in Perth: waits for 08:00 in Perth.
    const clock = new VirtualClock('2026-06-01T23:45:00Z');
    assert.deepEqual(
      [...pass([r], campaign(), clock.now(), 5).plan.moves],
      [['2026-06-02T00:00:00.000Z', [r.id]]],
    );
    clock.set('2026-06-02T00:00:00Z');
    assert.deepEqual(pass([r], campaign(), clock.now(), 5).plan.claim, [r.id]);
    // 21:00 in Adelaide closes it, though Perth is open till 21:00 its time.
    clock.set('2026-06-02T11:30:00Z');
    assert.deepEqual(
      [...pass([r], campaign(), clock.now(), 5).plan.moves.keys()],
      ['2026-06-03T00:00:00.000Z'],
    );
  });

  it('claimed at 20:59 IST, a dial due after 21:00 waits for tomorrow 09:00 instead of calling', () => {
    // The pass claims at 20:59:30 (open); its dials are queued up to PASS_SECONDS later, and the
    // dial job checks the window again when it runs (dialing.ts).
    const claimedAt = new Date('2026-05-11T15:29:30Z');
    const rows = [due(), due(), due()];
    const { plan } = pass(rows, campaign(), claimedAt, 3);
    assert.deepEqual(
      plan.claim,
      rows.map((r) => r.id),
    );
    const rule = recipientRule(rows[0]!, null);
    assert.equal(closedUntil(rule, new Date('2026-05-11T15:29:59.999Z')), null, 'the last second is open');
    assert.equal(
      closedUntil(rule, new Date('2026-05-11T15:30:00Z'))?.toISOString(),
      '2026-05-12T03:30:00.000Z',
    );
    // A window that never opens again (narrow windows in two zones) holds the dial at its time.
    const never = recipientRule(due({ timezones: 'Asia/Kolkata,America/Los_Angeles', country: null }), [
      { days: [...weekdays], start: '10:00', end: '11:00' },
    ]);
    const at = new Date('2026-05-11T15:30:00Z');
    assert.equal(closedUntil(never, at)?.toISOString(), at.toISOString());
  });

  it('a pass with fewer slots than due recipients in an open window claims in due order, the rest wait', () => {
    const now = new Date('2026-05-11T15:29:00Z'); // 20:59 IST
    const rows = [due(), due(), due(), due()];
    const { plan } = pass(rows, campaign(), now, 2);
    assert.deepEqual(plan.claim, [rows[0]!.id, rows[1]!.id]);
    // The two left are neither moved nor expired: the next pass sees them due (and, after 21:00,
    // moves them to 09:00).
    assert.equal(plan.moves.size, 0);
    const later = pass(rows.slice(2), campaign(), new Date('2026-05-11T15:30:00Z'), 2).plan;
    assert.deepEqual(later.claim, []);
    assert.deepEqual([...later.moves], [['2026-05-12T03:30:00.000Z', [rows[2]!.id, rows[3]!.id]]]);
  });
});

describe('calling windows (quiet hours)', () => {
  it("keeps the law's hours in the recipient's own time when the windows are in the campaign's zone", () => {
    // Windows all day in UTC, a New York number: still 08:00-21:00 New York time.
    const allDay: CallingWindow[] = [{ days: [...weekdays], start: '00:00', end: '23:59' }];
    const rule = ruleFor(
      { zones: ['UTC'], country: 'US', phone: '+12125550100', source: 'campaign' },
      allDay,
    );
    assert.ok(rule.legalZones?.length, 'the legal hours are read in the number’s zones');
    const night = new Date('2026-05-11T06:00:00Z'); // 02:00 EDT
    assert.equal(isOpen(rule, night), false);
    const opening = nextOpening(rule, night)!;
    assert.ok(isOpen(rule, opening));
    assert.ok(!isOpen(rule, new Date(opening.getTime() - 60_000)), 'exact to the minute');
  });

  it('is open from the start minute and closed from the end minute', () => {
    const rule = ruleFor({ zones: ['America/New_York'], country: 'US' }, weekdaysOnly);
    assert.equal(isOpen(rule, new Date('2026-05-11T13:59:00Z')), false); // 09:59 EDT
    assert.equal(isOpen(rule, new Date('2026-05-11T14:00:00Z')), true); // 10:00
    assert.equal(isOpen(rule, new Date('2026-05-11T21:59:00Z')), true); // 17:59
    assert.equal(isOpen(rule, new Date('2026-05-11T22:00:00Z')), false); // 18:00
  });

  it('follows the zone across a daylight-saving change', () => {
    // New York moves to EDT on 2026-03-08: Monday 10:00 is 14:00 UTC after it, 15:00 before.
    const rule = ruleFor({ zones: ['America/New_York'], country: 'US' }, weekdaysOnly);
    assert.equal(
      nextOpening(rule, new Date('2026-03-07T12:00:00Z'))?.toISOString(),
      '2026-03-09T14:00:00.000Z',
    );
    assert.equal(
      nextOpening(rule, new Date('2026-02-28T12:00:00Z'))?.toISOString(),
      '2026-03-02T15:00:00.000Z',
    );
  });
});
