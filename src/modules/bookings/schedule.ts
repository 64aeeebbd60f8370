import { DateTime } from 'luxon';
import { atClock } from '../../platform/timezone.ts';
import type { Business } from '../agents/index.ts';
import { weekdays } from '../agents/index.ts';

/** Availability offers a start every SLOT_STEP_MINUTES from each opening time. */
export const SLOT_STEP_MINUTES = 15;

export interface Span {
  /** Epoch milliseconds. */
  start: number;
  end: number;
}

export interface Slot {
  start_at: string;
  end_at: string;
  local_start: string;
  /** Places still free for this slot (the service's capacity less the bookings running then). */
  remaining: number;
}

/** `HH:MM` on a local date in `zone` (24:00 is the next midnight). Wall-clock, so DST days are right. */
export function localTime(date: string, hhmm: string, zone: string): DateTime {
  return atClock(DateTime.fromISO(date, { zone }), hhmm);
}

/** The opening spans of a local date: none on a holiday or a closed weekday. */
export function openingSpans(business: Business, date: string): Span[] {
  if (business.holidays.includes(date)) return [];
  const day = DateTime.fromISO(date, { zone: business.timezone });
  const intervals = business.hours[weekdays[day.weekday - 1]] ?? [];
  return intervals.map((iv) => ({
    start: localTime(date, iv.open, business.timezone).toMillis(),
    end: localTime(date, iv.close, business.timezone).toMillis(),
  }));
}

export const localIso = (ms: number, zone: string) =>
  DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) as string;
export const localDateOf = (ms: number, zone: string) =>
  DateTime.fromMillis(ms, { zone }).toISODate() as string;

/**
 * Why a booking from `start` to `end` cannot be taken given the business's hours, or null when
 * it fits within one opening interval of its local day.
 */
export function outsideHoursReason(business: Business, span: Span): string | null {
  const date = localDateOf(span.start, business.timezone);
  if (business.holidays.includes(date)) return `The business is closed on ${date} (a holiday).`;
  const spans = openingSpans(business, date);
  const weekday = DateTime.fromMillis(span.start, { zone: business.timezone }).toFormat('cccc');
  if (spans.length === 0) return `The business is closed on ${weekday}s.`;
  if (spans.some((s) => s.start <= span.start && span.end <= s.end)) return null;
  const hours = business.hours[
    weekdays[DateTime.fromMillis(span.start, { zone: business.timezone }).weekday - 1]
  ]
    .map((iv) => `${iv.open}–${iv.close}`)
    .join(', ');
  return `${localIso(span.start, business.timezone)} to ${localIso(span.end, business.timezone)} is outside opening hours on ${weekday} (${hours}, ${business.timezone}).`;
}

/** Whether `span` comes within `buffer` minutes of any busy span (bookings keep a gap both ways). */
export function clashes(span: Span, busy: Span[], bufferMinutes: number): boolean {
  const gap = bufferMinutes * 60_000;
  return busy.some((b) => span.start < b.end + gap && b.start < span.end + gap);
}

/**
 * The most bookings of `busy` running at one moment of `span` (each busy span with its buffer
 * after it, as `clashes` counts them): the places `span` would find taken. Back-to-back
 * bookings (one ends as the next starts) share a place.
 */
export function occupancy(span: Span, busy: Span[], bufferMinutes: number): number {
  const gap = bufferMinutes * 60_000;
  const marks: [number, number][] = [];
  for (const b of busy) {
    if (!(span.start < b.end + gap && b.start < span.end + gap)) continue;
    marks.push([Math.max(b.start, span.start), 1], [Math.min(b.end + gap, span.end + gap), -1]);
  }
  // Ends sort before starts at the same instant, so touching bookings do not count twice.
  marks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let most = 0;
  for (const [, delta] of marks) {
    running += delta;
    most = Math.max(most, running);
  }
  return most;
}

/**
 * Free starts on a local date for a service of `durationMinutes`, after `now`, where fewer than
 * `capacity` bookings of `busy` run at once (default 1: clear of every busy span).
 */
export function freeSlots(
  business: Business,
  date: string,
  durationMinutes: number,
  busy: Span[],
  now: number,
  capacity = 1,
): Slot[] {
  const length = durationMinutes * 60_000;
  const step = SLOT_STEP_MINUTES * 60_000;
  const out: Slot[] = [];
  for (const open of openingSpans(business, date)) {
    for (let start = open.start; start + length <= open.end; start += step) {
      const span = { start, end: start + length };
      if (start <= now) continue;
      const taken = occupancy(span, busy, business.buffer_minutes);
      if (taken >= capacity) continue;
      out.push({
        start_at: new Date(span.start).toISOString(),
        end_at: new Date(span.end).toISOString(),
        local_start: localIso(span.start, business.timezone),
        remaining: capacity - taken,
      });
    }
  }
  return out;
}
