import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import { dayOfMonthIn } from './date-words.ts';

/**
 * Dates and times in customer messages, in English (chrono-node) and Hinglish (our rules):
 * "kal 3 baje" (kal = tomorrow when booking), "parso subah 11 baje" (day after tomorrow,
 * morning), "aaj shaam 6 baje" (today, evening), "saade 4" (4:30). Everything is read as
 * wall-clock time in the business's timezone.
 */
export interface When {
  /** YYYY-MM-DD in the business timezone. */
  date: string;
  /** HH:MM (24 h) when a time was given, else null. */
  time: string | null;
  /** The words the date or time was read from. */
  text: string;
  /** False when only a time was given and the date is implied (today, or tomorrow if past). */
  dateGiven: boolean;
}

const hindiWeekdays: Record<string, number> = {
  somvar: 1,
  somwar: 1,
  mangalvar: 2,
  mangalwar: 2,
  budhvar: 3,
  budhwar: 3,
  guruvar: 4,
  guruwar: 4,
  veervar: 4,
  brihaspativar: 4,
  shukravar: 5,
  shukrawar: 5,
  shanivar: 6,
  shaniwar: 6,
  ravivar: 7,
  raviwar: 7,
  itwar: 7,
  etwar: 7,
  // Long vowels as Devanagari spells them (वार → "vaar").
  somvaar: 1,
  mangalvaar: 2,
  budhvaar: 3,
  guruvaar: 4,
  shukravaar: 5,
  shanivaar: 6,
  shaniwaar: 6,
  ravivaar: 7,
  raviwaar: 7,
  itvaar: 7,
};
const englishWeekdays: Record<string, number> = {
  monday: 1,
  mon: 1,
  tuesday: 2,
  tue: 2,
  tues: 2,
  wednesday: 3,
  wed: 3,
  thursday: 4,
  thu: 4,
  thurs: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
  sunday: 7,
  sun: 7,
};

type Period = 'morning' | 'afternoon' | 'evening' | 'night';
const periods: Array<[RegExp, Period]> = [
  [/\b(subah|savere|sawere|morning)\b/, 'morning'],
  [/\b(dopahar|dopehar|dophar|afternoon|noon)\b/, 'afternoon'],
  [/\b(shaam|sham|evening)\b/, 'evening'],
  [/\b(raat|rat|night|tonight)\b/, 'night'],
];

/** 24-hour hour for an hour said with a part of the day ("shaam 6" → 18). */
function withPeriod(hour: number, period: Period | null): number {
  if (hour >= 13) return hour;
  switch (period) {
    case 'morning':
      return hour === 12 ? 0 : hour;
    case 'afternoon':
      return hour === 12 ? 12 : hour < 6 ? hour + 12 : hour;
    case 'evening':
      return hour === 12 ? 12 : hour + 12;
    case 'night':
      return hour === 12 ? 0 : hour < 5 ? hour : hour + 12;
    default:
      // No part of day: businesses open by day, so "3 baje" is 3 pm and "11 baje" is 11 am.
      return hour >= 1 && hour <= 7 ? hour + 12 : hour;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

export function parseWhen(message: string, opts: { now: Date; timezone: string }): When | null {
  const text = message.toLowerCase();
  const zone = opts.timezone;
  const now = DateTime.fromJSDate(opts.now).setZone(zone);
  let day: DateTime | null = null;
  let dayText = '';

  // Relative days, Hinglish and English.
  const rel: Array<[RegExp, number]> = [
    [/\b(day after tomorrow|parso|parson|parsoon)\b/, 2],
    [/\b(kal|tomorrow|tmrw|tmr|tomorow)\b/, 1],
    [/\b(aaj|aj|today|tonight)\b/, 0],
  ];
  for (const [re, offset] of rel) {
    const m = re.exec(text);
    if (m) {
      day = now.startOf('day').plus({ days: offset });
      dayText = m[0];
      break;
    }
  }
  if (!day) {
    for (const [name, wd] of Object.entries({ ...hindiWeekdays, ...englishWeekdays })) {
      const m = new RegExp(`\\b(next\\s+|agle\\s+)?${name}\\b`).exec(text);
      if (m) {
        let diff = (wd - now.weekday + 7) % 7;
        if (m[1] && diff === 0) diff = 7;
        day = now.startOf('day').plus({ days: diff });
        dayText = m[0];
        break;
      }
    }
  }

  // Named days of fixed date: Christmas and New Year's Day (the next one).
  if (!day) {
    const named = /\b(christmas|x-?mas|new\s+year'?s?(?:\s+day)?)\b/.exec(text);
    if (named) {
      const md = named[1].startsWith('new') ? { month: 1, day: 1 } : { month: 12, day: 25 };
      let d = now.startOf('day').set(md);
      if (d < now.startOf('day')) d = d.plus({ years: 1 });
      day = d;
      dayText = named[0];
    }
  }

  // Hinglish clock times: "3 baje", "saade 4 baje", "sava 5", "paune 6", "4:30 baje".
  let hour: number | null = null;
  let minute = 0;
  let timeText = '';
  const baje =
    /\b(?:(saade|sade|sava|sawa|paune|pone)\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(baje|bje|bajay|o'?clock)\b/.exec(
      text,
    );
  const fraction = baje ?? /\b(saade|sade|sava|sawa|paune|pone)\s+(\d{1,2})\b()/.exec(text);
  if (fraction) {
    hour = Number(fraction[2]);
    minute = fraction[3] ? Number(fraction[3]) : 0;
    const f = fraction[1];
    if (f === 'saade' || f === 'sade') minute = 30;
    else if (f === 'sava' || f === 'sawa') minute = 15;
    else if (f === 'paune' || f === 'pone') {
      hour -= 1;
      minute = 45;
    }
    timeText = fraction[0];
  }
  const period = periods.find(([re]) => re.test(text))?.[1] ?? null;

  if (hour === null) {
    // English: chrono reads "3pm", "at 4:30", "12th may at 5"; it is given the business's
    // wall-clock time as a local Date, so its components are wall-clock components.
    const ref = new Date(now.year, now.month - 1, now.day, now.hour, now.minute);
    const results = chronoLib().en.casual.parse(message, ref, { forwardDate: true });
    for (const r of results) {
      const s = r.start;
      if (!day && (s.isCertain('day') || s.isCertain('weekday'))) {
        day = DateTime.fromObject(
          { year: s.get('year')!, month: s.get('month')!, day: s.get('day')! },
          { zone },
        );
        dayText = r.text;
      }
      if (hour === null && s.isCertain('hour')) {
        hour = s.get('hour')!;
        minute = s.get('minute') ?? 0;
        timeText = r.text;
        if (!s.isCertain('meridiem')) hour = withPeriod(hour, period);
      }
    }
  } else {
    hour = withPeriod(hour, period);
  }
  // "28th", "on the 3rd", "28 tarikh": this month's date, or next month's when it has passed.
  const ofMonth = day ? null : dayOfMonthIn(text, now);
  if (ofMonth) [day, dayText] = [ofMonth.day, ofMonth.text];

  if (!day && hour === null) return null;
  const dateGiven = day !== null;
  if (!day) {
    // A time alone means today, or tomorrow when that time has passed.
    day = now.startOf('day');
    if (hour! * 60 + minute <= now.hour * 60 + now.minute) day = day.plus({ days: 1 });
  }
  if (hour !== null && (hour > 23 || minute > 59)) return null;
  return {
    date: day.toISODate()!,
    time: hour === null ? null : `${pad(hour)}:${pad(minute)}`,
    text: [dayText, timeText].filter(Boolean).join(' ').trim(),
    dateGiven,
  };
}

/** The weekday key (mon..sun) of a day named in a message, if any ("Sunday ko", "kal", "itwar"). */
export function weekdayMentioned(
  message: string,
  now: Date,
  timezone: string,
): { key: string; label: string } | null {
  const text = message.toLowerCase();
  const keys = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const labels = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  for (const [name, wd] of Object.entries({ ...englishWeekdays, ...hindiWeekdays })) {
    if (name.length <= 3 && name !== 'sun' && name !== 'sat') continue;
    if (new RegExp(`\\b${name}\\b`).test(text)) return { key: keys[wd - 1], label: labels[wd - 1] };
  }
  const local = DateTime.fromJSDate(now).setZone(timezone);
  const rel: Array<[RegExp, number, string]> = [
    [/\b(kal|tomorrow)\b/, 1, 'tomorrow'],
    [/\b(aaj|today|abhi|now)\b/, 0, 'today'],
  ];
  for (const [re, offset, label] of rel) {
    if (re.test(text)) {
      const d = local.plus({ days: offset });
      return { key: keys[d.weekday - 1], label };
    }
  }
  return null;
}

type Chrono = typeof import('chrono-node');
let chrono: Chrono | undefined;
/** chrono-node is loaded with the first date to read, not at start. */
function chronoLib(): Chrono {
  chrono ??= createRequire(import.meta.url)('chrono-node') as Chrono;
  return chrono;
}
