import type { Db, Trx } from '../../platform/db/database.ts';

/**
 * A campaign's pace: its dials are at least `ceil(1000 / calls_per_second)` ms apart, so no window
 * of one second ever holds more than `calls_per_second` of them. The time of the last dial is kept
 * on the campaign row and taken with one conditional update, so dial jobs running in several
 * processes share it. It is wall-clock time, like the API's rate limits: the pace protects the
 * carrier, whatever the app's (test) clock says.
 */
export function dialSpacingMs(callsPerSecond: number): number {
  return Math.ceil(1000 / callsPerSecond);
}

/** A dial found its campaign's next slot in the future: run it again after `waitMs`. */
export class PaceWait extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`the campaign's next dial slot is ${waitMs} ms away`);
    this.waitMs = waitMs;
  }
}

/**
 * Takes the campaign's dial slot at `nowMs` when the last dial is at least the spacing ago and
 * returns 0; otherwise changes nothing and returns the milliseconds until the slot frees.
 * Run it in the transaction that records the dial, so a dial that rolls back gives its slot back.
 */
export async function takeDialSlot(
  db: Db | Trx,
  campaignId: string,
  callsPerSecond: number,
  nowMs: number,
): Promise<number> {
  const spacing = dialSpacingMs(callsPerSecond);
  const latestAllowed = new Date(nowMs - spacing).toISOString();
  const taken = await db
    .updateTable('campaigns')
    .set({ last_dial_at: new Date(nowMs).toISOString() })
    .where('id', '=', campaignId)
    .where((eb) => eb.or([eb('last_dial_at', 'is', null), eb('last_dial_at', '<=', latestAllowed)]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) > 0) return 0;
  const row = await db
    .selectFrom('campaigns')
    .select('last_dial_at')
    .where('id', '=', campaignId)
    .executeTakeFirst();
  return slotWaitMs(row?.last_dial_at ?? null, spacing, nowMs);
}

/**
 * How long a dial refused its slot waits: what is left of the spacing since the last dial, at
 * least 1 ms (the slot was taken at `nowMs` by another dial, or the row went: try again shortly).
 */
export function slotWaitMs(lastDialAt: string | null, spacingMs: number, nowMs: number): number {
  if (!lastDialAt) return 1;
  return Math.max(1, Date.parse(lastDialAt) + spacingMs - nowMs);
}
