import { DateTime } from 'luxon';

/**
 * Dates said as a day of the month ("28th", "on the 3rd", "28 tarikh") and the words that make a
 * requested date or time uncertain ("after 5pm", "5 baje ke baad"): a booking read from such
 * words is confirmed with the customer, in words, before it is made.
 */
const DAY_OF_MONTH = [
  /\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))/,
  /\b(\d{1,2})\s*(?:tarikh|tareekh|tarik|tareek|taarikh)\b/,
];

/** The date a day of the month names: this month's, or next month's when it has passed. */
export function dayOfMonthIn(text: string, now: DateTime): { day: DateTime; text: string } | null {
  for (const re of DAY_OF_MONTH) {
    const m = re.exec(text);
    if (!m) continue;
    const n = Number(m[1]);
    if (n < 1 || n > 31) continue;
    const today = now.startOf('day');
    // The first month from this one that has the day and where it has not passed.
    for (let i = 0; i < 3; i++) {
      const month = today.startOf('month').plus({ months: i });
      if (n > (month.daysInMonth ?? 31)) continue;
      const d = month.set({ day: n });
      if (d >= today) return { day: d, text: m[0] };
    }
  }
  return null;
}

const BOUND =
  /\b(after|before|around|about|by|earliest|latest|ke\s+baad|baad\s+mein|se\s+pehle|ke\s+aas\s*paas)\b/;

/**
 * True when the date or time of a fresh booking request (not an answer to the agent's own question) is not certain enough to book without
 * asking: a day of the month (its month is inferred), a time bound ("after 5pm") rather than a
 * time, or a time with no day at all (today is only implied).
 */
export function unsureBooking(messages: string[], whens: Array<{ dateGiven: boolean }>, answering: boolean) {
  if (answering) return false;
  const text = messages.join('\n').toLowerCase();
  if (DAY_OF_MONTH.some((re) => re.test(text)) || BOUND.test(text)) return true;
  return !whens.some((w) => w.dateGiven);
}

/** "Saturday 28 November at 5 PM" (or "5:30 PM"). */
export function whenInWords(date: string, time: string, zone: string): string {
  const d = DateTime.fromISO(`${date}T${time}`, { zone });
  return `${d.toFormat('cccc d LLLL')} at ${d.toFormat(d.minute ? 'h:mm a' : 'h a')}`;
}

/** The question that confirms a booking before it is made. */
export function confirmBookingText(
  hi: boolean,
  service: string,
  date: string,
  time: string,
  zone: string,
  unsure: boolean,
): string {
  const words = whenInWords(date, time, zone);
  if (unsure)
    return hi
      ? `Confirm kar doon: ${service}, ${words}? Yeh slot khaali hai — book kar doon?`
      : `Just to confirm: ${service} on ${words}? That time is free. Shall I book it?`;
  const label = DateTime.fromISO(date, { zone }).toFormat('cccc d LLLL');
  return hi
    ? `Haan, ${label} ko ${time} baje ${service} ka slot khaali hai — book kar doon?`
    : `Yes, ${time} on ${label} is free for a ${service}. Shall I book it?`;
}

/** Parts of the day, in English and Hinglish, as local hours [from, to). */
const PARTS: Array<[RegExp, number, number]> = [
  [/\b(morning|subah|subha|savere|sawere)\b/, 5, 12],
  [/\b(afternoon|dopahar|dopehar|dophar)\b/, 12, 17],
  [/\b(evening|shaam|sham)\b/, 17, 21],
  [/\b(night|tonight|raat)\b/, 19, 24],
];

/**
 * The slots within the part of the day the customer named ("saturday evening", "kal shaam"),
 * newest message first; all of them when none was named or none of them is in that part.
 */
export function slotsInPartOfDay<S extends { start_at: string }>(
  slots: S[],
  messages: string[],
  zone: string,
): S[] {
  for (const message of messages) {
    const text = message.toLowerCase();
    const part = PARTS.find(([re]) => re.test(text));
    if (!part) continue;
    const within = slots.filter((s) => {
      const hour = DateTime.fromISO(s.start_at).setZone(zone).hour;
      return hour >= part[1] && hour < part[2];
    });
    return within.length ? within : slots;
  }
  return slots;
}
