import { DateTime } from 'luxon';
import { dateIn, type LocaleCode, locales, say } from './locale.ts';

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

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};
const MINUTE_WORDS: Record<string, string> = {
  'o five': '05',
  'oh five': '05',
  ten: '10',
  fifteen: '15',
  twenty: '20',
  thirty: '30',
  'forty five': '45',
  'forty-five': '45',
  fortyfive: '45',
};
const HOUR_WORD = `(${Object.keys(NUMBER_WORDS).join('|')})`;
const MINUTE_WORD = `(?:[\\s-]+(o five|oh five|fifteen|twenty|thirty|forty[\\s-]?five))?`;
/** Words after which a number is a clock time: "seven pm", "ten in the morning", "two o'clock". */
const CLOCK_AFTER =
  /^\s*(?:am|pm|a\.m\.?|p\.m\.?|o'?clock|in the (?:morning|afternoon|evening)|at night|tonight|baje|sharp)\b/;
/** Words before which a number is a clock time: "at ten", "around seven thirty", "half past four". */
const CLOCK_BEFORE = /\b(?:at|around|by|till|until|from|after|before|past|to|about)\s+$/;

/**
 * Clock times said in words as digits, so every layer reads them: "seven pm" → "7 pm", "at ten in
 * the morning" → "at 10 in the morning", "ten thirty am" → "10:30 am", "half past four" → "half
 * past 4", "10 thirty" → "10:30". A number that is not a time ("two people", "for two days") is left.
 */
export function clockWordsToDigits(text: string): string {
  const re = new RegExp(`\\b${HOUR_WORD}${MINUTE_WORD}\\b`, 'gi');
  const out = text.replace(re, (whole, hour: string, minutes: string | undefined, at: number) => {
    const before = text.slice(0, at).toLowerCase();
    const after = text.slice(at + whole.length).toLowerCase();
    if (!CLOCK_AFTER.test(after) && !CLOCK_BEFORE.test(before)) return whole;
    // "a viewing at One on Center": a capital inside a sentence is a name, not a time.
    if (/^[A-Z]/.test(whole) && /[\p{L},]\s*$/u.test(before)) return whole;
    const mins = minutes?.toLowerCase().replace(/\s+/g, ' ');
    const mm = mins ? (MINUTE_WORDS[mins] ?? (mins.startsWith('forty') ? '45' : undefined)) : undefined;
    return `${NUMBER_WORDS[hour.toLowerCase()]}${mm ? `:${mm}` : ''}`;
  });
  return out.replace(/\b(\d{1,2})[\s-]+(fifteen|thirty|forty[\s-]?five)\b/gi, (_, h: string, m: string) => {
    const mm = m.toLowerCase().startsWith('forty') ? '45' : MINUTE_WORDS[m.toLowerCase()];
    return `${h}:${mm}`;
  });
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_WORD =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const MONTH_DAY = [
  new RegExp(
    `\\b${MONTH_WORD}\\s+(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\b(?!\\s*(?::|am|pm|a\\.m|p\\.m|baje|o'?clock))`,
  ),
  new RegExp(`(?<![\\d/-]\\s*)\\b(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_WORD}\\b`),
];

/**
 * "April 9th", "9th of April", "on the 9th April", "apr 9": the next such date (this year's, or
 * next year's when it has passed). A year said with it is left to chrono.
 */
export function monthDayIn(text: string, now: DateTime): { day: DateTime; text: string } | null {
  for (const [i, re] of MONTH_DAY.entries()) {
    const m = re.exec(text);
    if (!m) continue;
    const [monthWord, dayDigits] = i === 0 ? [m[1], m[2]] : [m[2], m[1]];
    if (/\b(19|20)\d{2}\b/.test(text)) return null;
    const month = MONTHS.indexOf(monthWord.slice(0, 3)) + 1;
    const day = Number(dayDigits);
    const today = now.startOf('day');
    for (let y = 0; y < 2; y++) {
      const d = DateTime.fromObject({ year: today.year + y, month, day }, { zone: now.zone });
      if (d.isValid && d >= today) return { day: d, text: m[0] };
    }
  }
  return null;
}

/**
 * What chrono reads that is not a day or time the customer asks for: now ("for two days now",
 * "right now"), a length ("for two days", "1 hour"), the past ("last week", "2 days ago",
 * "yesterday").
 */
export function notARequestedDate(said: string): boolean {
  return /(?<!from )\bnow\b|\bthe day\b|\b(ago|last|past|yesterday|earlier|since)\b|^(for|within)\b|^\d+\s*(hours?|hrs?|minutes?|mins?)$/i.test(
    said.trim(),
  );
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
export function whenInWords(date: string, time: string, zone: string, locale: LocaleCode = 'en'): string {
  const d = DateTime.fromISO(`${date}T${time}`, { zone });
  const clock = locales.get(locale)?.intl === 'en' ? d.toFormat(d.minute ? 'h:mm a' : 'h a') : time;
  return say(locale, 'when_in_words', { day: dateIn(locale, d, 'cccc d LLLL'), time: clock });
}

/** The question that confirms a booking before it is made. */
export function confirmBookingText(
  locale: LocaleCode,
  service: string,
  date: string,
  time: string,
  zone: string,
  unsure: boolean,
): string {
  const when = whenInWords(date, time, zone, locale);
  if (unsure) return say(locale, 'booking_confirm_unsure', { service, when });
  const day = dateIn(locale, DateTime.fromISO(date, { zone }), 'cccc d LLLL');
  return say(locale, 'booking_confirm', { service, day, time });
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
