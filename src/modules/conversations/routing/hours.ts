import { DateTime } from 'luxon';
import { atClock } from '../../../platform/timezone.ts';

/** Opening hours as an agent's business has them (weekday → intervals; holidays; IANA zone). */
export interface OpeningHours {
  timezone: string;
  hours: Record<string, Array<{ open: string; close: string }>>;
  holidays: string[];
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MAX_DAYS = 400;

/** Opening spans (epoch ms) of the local day that contains `day`. */
function spansOf(h: OpeningHours, day: DateTime): Array<[number, number]> {
  if (h.holidays.includes(day.toISODate() as string)) return [];
  return (h.hours[WEEKDAYS[day.weekday - 1]!] ?? [])
    .map((iv) => [atClock(day, iv.open).toMillis(), atClock(day, iv.close).toMillis()] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
}

/** Each opening span from `from` on (the current one cut at `from`), day by day. */
function* openSpans(h: OpeningHours, from: Date): Generator<[number, number]> {
  const start = from.getTime();
  let day = DateTime.fromMillis(start, { zone: h.timezone }).startOf('day');
  for (let i = 0; i < MAX_DAYS; i++, day = day.plus({ days: 1 })) {
    for (const [a, b] of spansOf(h, day)) if (b > start) yield [Math.max(a, start), b];
  }
}

export function isOpen(h: OpeningHours, now: Date): boolean {
  const first = openSpans(h, now).next();
  return !first.done && first.value[0] <= now.getTime();
}

/** The next time the business opens (now, when it is open); null when it never does (no hours). */
export function nextOpening(h: OpeningHours, now: Date): Date | null {
  const first = openSpans(h, now).next();
  return first.done ? null : new Date(first.value[0]);
}

/** `minutes` of opening time after `from`: when a reply timer counted in business hours runs out. */
export function addBusinessMinutes(h: OpeningHours, from: Date, minutes: number): Date {
  let left = minutes * 60_000;
  for (const [a, b] of openSpans(h, from)) {
    if (b - a >= left) return new Date(a + left);
    left -= b - a;
  }
  return new Date(from.getTime() + minutes * 60_000);
}

/** "Monday 10:00 (Asia/Kolkata)"-style text of a time in the business's zone. */
export function localText(h: OpeningHours, t: Date, locale = 'en'): string {
  const local = DateTime.fromJSDate(t, { zone: h.timezone }).setLocale(locale);
  return `${local.toFormat('cccc d LLLL, HH:mm')} (${h.timezone})`;
}
