import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Business } from '../agents/agents.service.ts';
import { clashes, freeSlots, occupancy, openingSpans, outsideHoursReason } from './schedule.ts';

const salon = (over: Partial<Business> = {}): Business => ({
  timezone: 'Asia/Kolkata',
  hours: {
    mon: [
      { open: '10:00', close: '12:00' },
      { open: '14:00', close: '15:00' },
    ],
    tue: [],
    wed: [],
    thu: [],
    fri: [],
    sat: [],
    sun: [],
  },
  address: null,
  services: [],
  holidays: [],
  buffer_minutes: 0,
  ...over,
});
const at = (iso: string) => Date.parse(iso);
const past = at('2020-01-01T00:00:00Z');

describe('schedule', () => {
  it('opening spans are wall-clock times of the business timezone', () => {
    // 2026-05-11 is a Monday; 10:00 in Kolkata is 04:30 UTC.
    assert.deepEqual(openingSpans(salon(), '2026-05-11'), [
      { start: at('2026-05-11T04:30:00Z'), end: at('2026-05-11T06:30:00Z') },
      { start: at('2026-05-11T08:30:00Z'), end: at('2026-05-11T09:30:00Z') },
    ]);
    assert.deepEqual(openingSpans(salon(), '2026-05-12'), [], 'closed Tuesday');
    assert.deepEqual(openingSpans(salon({ holidays: ['2026-05-11'] }), '2026-05-11'), [], 'holiday');
  });

  it('slots step every 15 minutes, fit the service and carry the local start', () => {
    const slots = freeSlots(salon(), '2026-05-11', 45, [], past);
    assert.deepEqual(
      slots.map((s) => s.local_start),
      [
        '2026-05-11T10:00:00+05:30',
        '2026-05-11T10:15:00+05:30',
        '2026-05-11T10:30:00+05:30',
        '2026-05-11T10:45:00+05:30',
        '2026-05-11T11:00:00+05:30',
        '2026-05-11T11:15:00+05:30',
        '2026-05-11T14:00:00+05:30',
        '2026-05-11T14:15:00+05:30',
      ],
    );
    assert.equal(slots[0].start_at, '2026-05-11T04:30:00.000Z');
    assert.equal(slots[0].end_at, '2026-05-11T05:15:00.000Z');
  });

  it('drops slots in the past and slots within the buffer of a booking', () => {
    const now = at('2026-05-11T05:00:00Z'); // 10:30 local
    const busy = [{ start: at('2026-05-11T05:30:00Z'), end: at('2026-05-11T06:00:00Z') }]; // 11:00–11:30 local
    const slots = freeSlots(salon({ buffer_minutes: 15 }), '2026-05-11', 30, busy, now);
    // 10:45 would end at 11:15 (overlap); 10:30 is now; 11:45 starts within 15 min of 11:30; 12:00 closes.
    assert.deepEqual(
      slots.map((s) => s.local_start.slice(11, 16)),
      ['14:00', '14:15', '14:30'],
    );
  });

  it('handles a day when the clocks jump (America/New_York, 2026-03-08)', () => {
    const ny = salon({
      timezone: 'America/New_York',
      hours: { ...salon().hours, mon: [], sun: [{ open: '01:00', close: '04:00' }] },
    });
    const spans = openingSpans(ny, '2026-03-08');
    assert.deepEqual(spans, [{ start: at('2026-03-08T06:00:00Z'), end: at('2026-03-08T08:00:00Z') }]);
    const slots = freeSlots(ny, '2026-03-08', 60, [], past);
    assert.equal(slots.length, 5);
    assert.equal(slots.at(-1)?.local_start, '2026-03-08T03:00:00-04:00');
  });

  it('explains why a span is not bookable', () => {
    assert.equal(
      outsideHoursReason(salon(), { start: at('2026-05-11T04:30:00Z'), end: at('2026-05-11T05:15:00Z') }),
      null,
    );
    assert.match(
      outsideHoursReason(salon(), { start: at('2026-05-12T04:30:00Z'), end: at('2026-05-12T05:00:00Z') }) ??
        '',
      /closed on Tuesdays/,
    );
    assert.match(
      outsideHoursReason(salon({ holidays: ['2026-05-11'] }), {
        start: at('2026-05-11T04:30:00Z'),
        end: at('2026-05-11T05:00:00Z'),
      }) ?? '',
      /2026-05-11 \(a holiday\)/,
    );
    // 11:45–12:15 runs past closing; 12:30–13:00 falls in the lunch break.
    assert.match(
      outsideHoursReason(salon(), { start: at('2026-05-11T06:15:00Z'), end: at('2026-05-11T06:45:00Z') }) ??
        '',
      /outside opening hours/,
    );
    assert.match(
      outsideHoursReason(salon(), { start: at('2026-05-11T07:00:00Z'), end: at('2026-05-11T07:30:00Z') }) ??
        '',
      /10:00–12:00, 14:00–15:00/,
    );
  });

  it('clashes counts the buffer on both sides and lets back-to-back bookings touch', () => {
    const busy = [{ start: 1000 * 60_000, end: 1030 * 60_000 }];
    assert.equal(clashes({ start: 1030 * 60_000, end: 1060 * 60_000 }, busy, 0), false);
    assert.equal(clashes({ start: 970 * 60_000, end: 1000 * 60_000 }, busy, 0), false);
    assert.equal(clashes({ start: 1030 * 60_000, end: 1060 * 60_000 }, busy, 10), true);
    assert.equal(clashes({ start: 1040 * 60_000, end: 1060 * 60_000 }, busy, 10), false);
    assert.equal(clashes({ start: 960 * 60_000, end: 995 * 60_000 }, busy, 10), true);
  });

  it('occupancy counts the bookings running at one moment, not all that touch the span', () => {
    const m = (a: number, b: number) => ({ start: a * 60_000, end: b * 60_000 });
    // Two bookings one after the other share a place; a third overlapping both takes a second.
    const busy = [m(600, 660), m(660, 720), m(630, 690)];
    assert.equal(occupancy(m(600, 720), busy, 0), 2);
    assert.equal(occupancy(m(600, 630), busy, 0), 1);
    assert.equal(occupancy(m(720, 780), busy, 0), 0);
    // With a 15-minute buffer the one ending at 720 still holds its place until 735.
    assert.equal(occupancy(m(720, 780), busy, 15), 1);
    assert.equal(occupancy(m(540, 600), busy, 0), 0);
    // Capacity 2: a slot is offered while fewer than two run, with the places left.
    const salonBusiness = salon();
    const date = '2026-05-11';
    const ten = at('2026-05-11T04:30:00Z');
    const two = [
      { start: ten, end: ten + 3_600_000 },
      { start: ten, end: ten + 3_600_000 },
    ];
    const one = freeSlots(salonBusiness, date, 60, two.slice(0, 1), past, 2);
    assert.equal(one[0].local_start, '2026-05-11T10:00:00+05:30');
    assert.equal(one[0].remaining, 1);
    const full = freeSlots(salonBusiness, date, 60, two, past, 2);
    assert.equal(full[0].local_start, '2026-05-11T11:00:00+05:30');
    assert.equal(full[0].remaining, 2);
  });
});
