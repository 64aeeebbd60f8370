/**
 * A campaign's pace as units, with fixed clocks and no storage: the spacing of dials, the wait a
 * refused dial is told, how many dials a pass may queue and when each is due, when the next pass
 * runs, and how many slots a voice campaign has left under its own and the plan's caps.
 * test/campaigns/campaign-pace.test.ts keeps the slot itself (a conditional update) on both storages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialSpacingMs, slotWaitMs } from './pace.ts';
import { dialDelays, idleDelay, paceOf, passDelayOf, slotsLeft } from './plan.ts';
import { EXPANDING_POLL_MS, MAX_IDLE_MS, PASS_SECONDS } from './tuning.ts';

/** Most dials in any half-open window of one second. */
function mostInOneSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

const T0 = Date.parse('2026-06-01T04:30:00.000Z');

describe('dial spacing', () => {
  it('never puts more than calls_per_second dials in one second, and is no slower than it must be', () => {
    for (const cps of [1, 2, 3, 7, 10, 20, 33, 50, 100]) {
      const spacing = dialSpacingMs(cps);
      const dials = Array.from({ length: 5 * cps }, (_, i) => T0 + i * spacing);
      assert.ok(mostInOneSecond(dials) <= cps, `${cps}/s at ${spacing} ms`);
      // One millisecond less and some second holds one dial too many (or it is already exact).
      const tighter = Array.from({ length: 5 * cps }, (_, i) => T0 + i * (spacing - 1));
      assert.ok(mostInOneSecond(tighter) > cps || 1000 % cps === 0, `${cps}/s could go faster`);
    }
    assert.equal(dialSpacingMs(20), 50);
    assert.equal(dialSpacingMs(3), 334, 'rounds up: 3 dials never fit in 1 s');
  });

  it('a refused dial waits exactly what is left of the spacing, at least 1 ms', () => {
    const last = new Date(T0).toISOString();
    assert.equal(slotWaitMs(last, 50, T0 + 5), 45);
    assert.equal(slotWaitMs(last, 50, T0 + 49), 1);
    // Refused at the very moment its slot frees (another dial took it): try again shortly.
    assert.equal(slotWaitMs(last, 50, T0 + 50), 1);
    assert.equal(slotWaitMs(last, 334, T0), 334);
    assert.equal(slotWaitMs(null, 334, T0), 1, 'the campaign row went: look again shortly');
  });
});

describe('a pass at the pace', () => {
  it(`queues at most ${PASS_SECONDS} s of dials ahead of the wall clock, from the pace cursor`, () => {
    // Nothing queued yet: 2 s at 50 ms is 40 dials from now.
    assert.deepEqual(paceOf(T0, null, 50), { start: T0, room: 40 });
    // A cursor in the past counts from now.
    assert.deepEqual(paceOf(T0, new Date(T0 - 60_000).toISOString(), 50), { start: T0, room: 40 });
    // Dials queued 1.5 s ahead already: room for 0.5 s more.
    assert.deepEqual(paceOf(T0, new Date(T0 + 1500).toISOString(), 50), { start: T0 + 1500, room: 10 });
    // Queued the full 2 s ahead, or more: no room in this pass.
    assert.equal(paceOf(T0, new Date(T0 + 2000).toISOString(), 50).room, 0);
    assert.equal(paceOf(T0, new Date(T0 + 9000).toISOString(), 50).room, 0);
    // A part of a spacing left counts as a dial (ceil): 2 s at 334 ms holds 6 dials (the sixth
    // at 1670 ms); a slow pace still gets its one dial: 0.5/s is 2000 ms apart.
    assert.equal(paceOf(T0, null, 334).room, 6);
    assert.equal(paceOf(T0, null, 2000).room, 1);
  });

  it('spaces the claimed dials from the cursor, never due before now', () => {
    assert.deepEqual(dialDelays(T0 + 100, 50, T0, 3), { delays: [100, 150, 200], cursor: T0 + 250 });
    assert.deepEqual(dialDelays(T0 - 30, 50, T0, 2), { delays: [0, 20], cursor: T0 + 70 });
    assert.deepEqual(dialDelays(T0, 50, T0, 0), { delays: [], cursor: T0 });
  });

  it('runs the next pass when its dials are due, soon while writing, when the pace frees, else when due', () => {
    const s = { claimed: 0, cursor: T0, wall: T0, spacingMs: 50, slots: 5, paceRoom: 40 };
    // Claimed: when the last dial queued is one spacing from due (at least 200 ms).
    assert.equal(passDelayOf({ ...s, claimed: 40, cursor: T0 + 2000 }, true, true), 1950);
    assert.equal(passDelayOf({ ...s, claimed: 1, cursor: T0 + 50 }, true, true), 200);
    assert.equal(passDelayOf(s, false, true), EXPANDING_POLL_MS, 'recipients still being written');
    // No free slot: the pace full waits for it; the caps full looks again in a second.
    assert.equal(passDelayOf({ ...s, slots: 0, paceRoom: 0, cursor: T0 + 4000 }, true, true), 2000);
    assert.equal(passDelayOf({ ...s, slots: 0, paceRoom: 40 }, true, true), 1000);
    assert.equal(passDelayOf(s, true, false), 0, 'due recipients left unread: at once');
    assert.equal(passDelayOf(s, true, true), null, 'otherwise: when the soonest is due');
    const now = new Date(T0);
    assert.equal(idleDelay(null, now), MAX_IDLE_MS);
    assert.equal(idleDelay(new Date(T0 + 1234).toISOString(), now), 1234);
    assert.equal(idleDelay(new Date(T0 - 5000).toISOString(), now), 200);
    assert.equal(idleDelay(new Date(T0 + 3_600_000).toISOString(), now), MAX_IDLE_MS);
  });

  it("a voice campaign's slots: its pace, its own cap less what it holds, the plan's less the workspace's calls", () => {
    const base = { perPass: 40, plan: 10, maxConcurrency: null, held: 0, active: 0, claimedInWorkspace: 0 };
    assert.equal(slotsLeft(base), 10, "the plan's concurrent calls");
    assert.equal(slotsLeft({ ...base, plan: null }), 40, 'no plan limit: the pace');
    assert.equal(slotsLeft({ ...base, maxConcurrency: 3 }), 3);
    assert.equal(slotsLeft({ ...base, maxConcurrency: 30 }), 10, 'never above the plan');
    assert.equal(slotsLeft({ ...base, maxConcurrency: 3, held: 2 }), 1);
    // A max_concurrency above the plan is cut to the plan before what the campaign holds counts.
    assert.equal(slotsLeft({ ...base, maxConcurrency: 30, held: 5 }), 5);
    assert.equal(slotsLeft({ ...base, active: 6, claimedInWorkspace: 3 }), 1, 'calls of the workspace count');
    // Full, or over (a plan lowered while calls run): none, never negative.
    assert.equal(slotsLeft({ ...base, maxConcurrency: 3, held: 3 }), 0);
    assert.equal(slotsLeft({ ...base, active: 12 }), 0);
    assert.equal(slotsLeft({ ...base, perPass: 1 }), 1);
  });
});
