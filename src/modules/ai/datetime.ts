import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import { clockWordsToDigits, dayOfMonthIn, monthDayIn, notARequestedDate } from './date-words.ts';

/**
 * Dates and times in customer messages: our Hinglish and English layer first ("kal 3 baje" (kal =
 * tomorrow when booking), "parso subah 11 baje", "saade 4" (4:30), "half past 4", "quarter to 6",
 * "seven pm", "Thursday next week"), then chrono-node under it for everything it reads better
 * (explicit dates such as "April 9th", "12/03", "Sunday, December 7", "2 days after tomorrow").
 * Numbers said in words become digits first; "now", "for two days", "last week" and other words
 * about the present or the past are not a requested date. "12/03" is day-first except in the
 * United States (by the business's timezone). Everything is read as wall-clock time in the
 * business's timezone.
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
  /**
   * True when the time is a bare hour of the clock (1 to 12) said without am/pm or a part of the
   * day ("at 8", "8 baje"): the same words could mean 12 hours later or earlier.
   */
  halfDay?: boolean;
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
  // Spellings as people type them ("subha", "subhe", "savera", "dupahar", "shyam").
  [/\b(subah|subha|subhah|subhe|subeh|savere|savera|sawere|sawera|morning|mrng)\b/, 'morning'],
  [/\b(dopahar|dopehar|dophar|dopahr|dupahar|dupehar|afternoon|noon)\b/, 'afternoon'],
  [/\b(shaam|sham|shyam|shaamko|evening|evng)\b/, 'evening'],
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

interface DayRead {
  day: DateTime;
  text: string;
}
interface TimeRead {
  hour: number;
  minute: number;
  text: string;
  /** Said without am/pm: the half of the day is inferred. */
  halfDay?: boolean;
}

/** "kal", "parso", "today": a day counted from today. */
function relativeDay(text: string, now: DateTime): DayRead | null {
  const rel: Array<[RegExp, number]> = [
    [/(?<!\d\s*)\b(day after tomorrow|parso|parson|parsoon)\b/, 2],
    [/\b(kal|tomorrow|tmrw|tmr|tomorow)\b/, 1],
    [/\b(aaj|aj|today|tonight|this (?:morning|afternoon|evening))\b/, 0],
  ];
  for (const [re, offset] of rel) {
    const m = re.exec(text);
    if (m) return { day: now.startOf('day').plus({ days: offset }), text: m[0] };
  }
  return null;
}

/** "Thursday next week", "next week Friday", "agle hafte shukravar": that weekday of next week (Monday to Sunday). */
function nextWeekDay(text: string, now: DateTime): DayRead | null {
  const names = Object.keys({ ...hindiWeekdays, ...englishWeekdays }).join('|');
  const m =
    new RegExp(
      `\\b(${names}),?\\s+(?:of\\s+|in\\s+)?(?:the\\s+)?(?:next|agle|agla)\\s+(?:week|hafte|hafta)\\b`,
    ).exec(text) ??
    new RegExp(`\\b(?:next|agle|agla)\\s+(?:week|hafte|hafta)(?:\\s+on|\\s+ko)?\\s+(${names})\\b`).exec(text);
  if (!m) return null;
  const wd = hindiWeekdays[m[1]] ?? englishWeekdays[m[1]];
  return {
    day: now
      .startOf('week')
      .plus({ weeks: 1, days: wd - 1 })
      .startOf('day'),
    text: m[0],
  };
}

/** "itwar", "next friday": the next such weekday (a week on when "next" names today's). */
function weekdayDay(text: string, now: DateTime): DayRead | null {
  let first: { m: RegExpExecArray; wd: number } | null = null;
  for (const [name, wd] of Object.entries({ ...hindiWeekdays, ...englishWeekdays })) {
    const m = new RegExp(`\\b(next\\s+|agle\\s+)?${name}\\b`).exec(text);
    if (m && (!first || m.index < first.m.index)) first = { m, wd };
  }
  if (!first) return null;
  let diff = (first.wd - now.weekday + 7) % 7;
  if (first.m[1] && diff === 0) diff = 7;
  return { day: now.startOf('day').plus({ days: diff }), text: first.m[0] };
}

/** Named days of fixed date: Christmas and New Year's Day (the next one). */
function holidayDay(text: string, now: DateTime): DayRead | null {
  const named = /\b(christmas|x-?mas|new\s+year'?s?(?:\s+day)?)\b/.exec(text);
  if (!named) return null;
  const md = named[1].startsWith('new') ? { month: 1, day: 1 } : { month: 12, day: 25 };
  let d = now.startOf('day').set(md);
  if (d < now.startOf('day')) d = d.plus({ years: 1 });
  return { day: d, text: named[0] };
}

const fractionMinutes: Record<string, { hourShift: number; minute: number }> = {
  saade: { hourShift: 0, minute: 30 },
  sade: { hourShift: 0, minute: 30 },
  sava: { hourShift: 0, minute: 15 },
  sawa: { hourShift: 0, minute: 15 },
  paune: { hourShift: -1, minute: 45 },
  pone: { hourShift: -1, minute: 45 },
};

/** Hinglish clock times: "3 baje", "saade 4 baje", "sava 5", "paune 6", "4:30 baje" (hour as said). */
function hinglishClock(text: string): TimeRead | null {
  const baje =
    /\b(?:(saade|sade|sava|sawa|paune|pone)\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(baje|bajhe|bajey|bajay|baj|bje|bjy|o'?clock)\b/.exec(
      text,
    );
  const m = baje ?? /\b(saade|sade|sava|sawa|paune|pone)\s+(\d{1,2})\b()/.exec(text);
  if (!m) return null;
  const fraction = m[1] ? fractionMinutes[m[1]] : undefined;
  if (fraction) return { hour: Number(m[2]) + fraction.hourShift, minute: fraction.minute, text: m[0] };
  return { hour: Number(m[2]), minute: m[3] ? Number(m[3]) : 0, text: m[0] };
}

/** "half past 4", "quarter past 10", "quarter to 6" (digits by now): the hour as said, with its minutes. */
function englishClock(text: string): TimeRead | null {
  const m = /\b(half|quarter)\s+(past|to)\s+(\d{1,2})\b/.exec(text);
  if (!m) return null;
  const hour = Number(m[3]);
  if (m[2] === 'past') return { hour, minute: m[1] === 'half' ? 30 : 15, text: m[0] };
  return { hour: hour === 1 ? 12 : hour - 1, minute: m[1] === 'half' ? 30 : 45, text: m[0] };
}

/**
 * A part of the day before a bare hour: "morning 9", "evening 7:30", "subah 8", "shaam ko 6",
 * "raat 9". The hour is the customer's; `withPeriod` places it in that part of the day.
 */
function partOfDayHour(text: string): TimeRead | null {
  const parts = periods.map(([re]) => re.source.replace(/^\\b\(|\)\\b$/g, '')).join('|');
  const m = new RegExp(
    `\\b(?:${parts})\\s+(?:at\\s+|around\\s+|ko\\s+|me\\s+|mein\\s+)?(\\d{1,2})(?:[:.](\\d{2}))?\\b(?![:.]?\\d|\\s*(?:st|nd|rd|th|days?|hours?|hrs?|mins?|minutes?|people|persons?|log|logon|tarikh|%))`,
  ).exec(text);
  return m ? { hour: Number(m[1]), minute: m[2] ? Number(m[2]) : 0, text: m[0] } : null;
}

/** "so by 3", "around 4:30?", "at 11 then": an hour after a word that places it, ending the phrase. */
function bareHourAfter(text: string): TimeRead | null {
  const m =
    /\b(?:at|by|around|before|till|until|about)\s+(\d{1,2})(?:[:.](\d{2}))?(?=\s*(?:[.,!?]|$|then\b|today\b|tomorrow\b|please\b|if\b))/.exec(
      text,
    );
  return m ? { hour: Number(m[1]), minute: m[2] ? Number(m[2]) : 0, text: m[0] } : null;
}

/** Timezones of the United States, where "12/03" is 3 December; elsewhere it is 12 March. */
const monthFirstZones =
  /^(America\/(New_York|Chicago|Denver|Los_Angeles|Phoenix|Anchorage|Detroit|Boise|Juneau|Sitka|Nome|Adak|Menominee|Metlakatla|Yakutat|Indiana\/\w+|Kentucky\/\w+|North_Dakota\/\w+)|US\/\w+|Pacific\/Honolulu)$/;
export const readsDayFirst = (timezone: string) => !monthFirstZones.test(timezone);

/**
 * English: chrono reads "3pm", "at 4:30", "12th may at 5"; it is given the business's
 * wall-clock time as a local Date, so its components are wall-clock components. The first
 * certain day and the first certain hour are taken.
 */
function chronoRead(
  message: string,
  now: DateTime,
  zone: string,
  period: Period | null,
  dayFirst: boolean,
): { day: DayRead | null; weekday: DayRead | null; time: TimeRead | null } {
  const ref = new Date(now.year, now.month - 1, now.day, now.hour, now.minute);
  const parser = dayFirst ? chronoLib().en.GB : chronoLib().en.casual;
  const results = parser.parse(message, ref, { forwardDate: true });
  let day: DayRead | null = null;
  let weekday: DayRead | null = null;
  let time: TimeRead | null = null;
  for (const r of results) {
    const s = r.start;
    // "now", "for two days", "last week", "1 hour": the present, a length or the past, not a wish.
    if (notARequestedDate(r.text)) continue;
    const date = { year: s.get('year')!, month: s.get('month')!, day: s.get('day')! };
    const read = { day: DateTime.fromObject(date, { zone }), text: r.text };
    if (read.day < now.startOf('day')) continue;
    if (!day && s.isCertain('day')) day = read;
    else if (!weekday && s.isCertain('weekday')) weekday = read;
    if (!time && s.isCertain('hour')) {
      const hour = s.get('hour')!;
      const meridiem = s.isCertain('meridiem');
      time = {
        hour: meridiem ? hour : withPeriod(hour, period),
        minute: s.get('minute') ?? 0,
        text: r.text,
        halfDay: !meridiem && !period && hour >= 1 && hour <= 12,
      };
    }
  }
  return { day, weekday, time };
}

/**
 * Words after which a customer gives the day or time they now want, often after one they have
 * dropped in the same message: "I was going to make it Monday, but… let's shoot for Tuesday at
 * 3", "can we change it to Sunday? I have a wedding on Fri", "no, rather at 10 am".
 */
const WISH_MARKERS =
  /\b(?:can|could)\s+(?:we|i|you)\s+(?:do|try|make it|go for|switch to|come(?:\s+in)?(?:\s+on)?|book(?:\s+it)?\s+for|move it to|change it to)\b|\b(?:let'?s|lets)\s+(?:try|do|say|go for|go with|shoot for|make it|book|aim for)\b|\b(?:how about|what about|try|rather|i meant|i mean|make it|shoot for|go for|go with|(?:change|move|shift|switch|push|reschedule)\s+(?:it|that|this|the \w+|my \w+)?\s*(?:to|for))\b/gi;

/**
 * A clause that drops a day or time rather than asks for it: "I can't do Thursday", "I have a
 * wedding that day", "it's 9 pm right now", "that wouldn't work".
 */
const DROPPED =
  /\b(can'?t|cannot|can not|won'?t (?:be able|work)|unable|not able|busy|remembered|realized|realised|(?:wouldn'?t|doesn'?t|does not|won'?t|will not|isn'?t|is not|not going to) (?:going to )?work|not (?:available|free|possible|good)|no longer|forgot|(?:wedding|interview|date|meeting|party|exam|flight)\b.{0,30}\b(?:on|at|then|that (?:day|time|date))|it(?:'s| is)\b.{0,25}\b(?:now|today))\b/i;
/** A dropping clause about what was said before it: "… but I have a wedding that time". */
const DROPS_EARLIER = /\b(that (?:day|time|date)|then|anyway)\b/i;

export function parseWhen(
  message: string,
  opts: { now: Date; timezone: string; dayFirst?: boolean },
): When | null {
  // The words after the last marker that name a day or time are the wish.
  const at = [...message.matchAll(WISH_MARKERS)].map((m) => m.index + m[0].length);
  for (const from of at.reverse()) {
    // Words right after a marker are wished even beside a drop ("change it to thursday, I forgot the wedding").
    const wish = clauseWhen(message.slice(from), opts, true);
    if (!wish) continue;
    // "Monday is good. How about 5 pm?": the day said before the time asked for.
    const before = wish.dateGiven ? null : clauseWhen(message.slice(0, from), opts);
    return before?.dateGiven ? { ...wish, date: before.date, dateGiven: true } : wish;
  }
  return clauseWhen(message, opts);
}

/** The first clause with a day or time that the customer has not dropped. */
function clauseWhen(
  message: string,
  opts: { now: Date; timezone: string; dayFirst?: boolean },
  wished = false,
): When | null {
  // Sentences end at "!", "?", ";" or a word's full stop ("Mar. 6" and "Dr. Morgan" go on).
  const clauses = message.split(
    /(?<=[!?;]|\p{L}{4,}\.|\d\.)\s+|,?\s+\bbut\b\s+|(?<!\d)\s+-\s+(?!\d)|,\s+(?=so\b|and\b)/u,
  );
  if (clauses.length === 1) return DROPPED.test(message) && !wished ? null : readWhen(message, opts);
  let wishes: When[] = [];
  for (const clause of clauses) {
    if (DROPPED.test(clause)) {
      if (DROPS_EARLIER.test(clause)) wishes = [];
      continue;
    }
    const w = readWhen(clause, opts);
    if (w) wishes.push(w);
  }
  // "…an appointment today. 6 PM would be splendid": the first day and the first time said.
  const day = wishes.find((w) => w.dateGiven);
  const time = wishes.find((w) => w.time);
  if (!day || !time || day === time) return day ?? wishes[0] ?? null;
  return {
    date: day.date,
    time: time.time,
    text: `${day.text} ${time.text}`,
    dateGiven: true,
    ...(time.halfDay ? { halfDay: true } : {}),
  };
}

function readWhen(message: string, opts: { now: Date; timezone: string; dayFirst?: boolean }): When | null {
  // "not a minute before": a length around a time, not a day.
  const text = clockWordsToDigits(message)
    .toLowerCase()
    // "2 : 30 pm", "7 15 am", "4.30 pm": the clock as written by hand.
    .replace(/\b(\d{1,2})\s*:\s*(\d{2})\b/g, '$1:$2')
    .replace(/\b(\d{1,2})[\s.](\d{2})\s*(a\.?m\b\.?|p\.?m\b\.?)/g, '$1:$2 $3')
    .replace(
      /\b(?:a|an|one|a few|few|a couple of|\d+)\s+(?:minutes?|mins?|seconds?|secs?|hours?|hrs?)\s+(?:before|after|early|earlier|late|later)\b/g,
      ' ',
    );
  const zone = opts.timezone;
  const now = DateTime.fromJSDate(opts.now).setZone(zone);
  const period = periods.find(([re]) => re.test(text))?.[1] ?? null;
  const read = chronoRead(text, now, zone, period, opts.dayFirst ?? readsDayFirst(zone));
  // A day named in our words first; a date chrono reads in full ("April 9th", "12/03") before a
  // weekday or a relative day beside it ("Sunday, December 7").
  const relative = relativeDay(text, now);
  let named =
    nextWeekDay(text, now) ??
    monthDayIn(text, now) ??
    (relative && /after|pars/.test(relative.text) ? relative : null) ??
    read.day ??
    relative ??
    weekdayDay(text, now) ??
    holidayDay(text, now) ??
    read.weekday;
  const clock =
    englishClock(text) ??
    hinglishClock(text) ??
    partOfDayHour(text) ??
    (read.time ? null : bareHourAfter(text));
  const time: TimeRead | null = clock
    ? {
        ...clock,
        hour: withPeriod(clock.hour, period),
        halfDay: !period && clock.hour >= 1 && clock.hour <= 12,
      }
    : read.time;
  // "28th", "on the 3rd", "28 tarikh": this month's date, or next month's when it has passed.
  named ??= dayOfMonthIn(text, now);

  if (!named && !time) return null;
  const dateGiven = named !== null;
  let day = named?.day ?? now.startOf('day');
  // A time alone means today, or tomorrow when that time has passed.
  if (!named && time!.hour * 60 + time!.minute <= now.hour * 60 + now.minute) day = day.plus({ days: 1 });
  if (time && (time.hour > 23 || time.minute > 59)) return null;
  return {
    date: day.toISODate()!,
    time: time ? `${pad(time.hour)}:${pad(time.minute)}` : null,
    text: [named?.text ?? '', time?.text ?? ''].filter(Boolean).join(' ').trim(),
    dateGiven,
    ...(time?.halfDay ? { halfDay: true } : {}),
  };
}

/**
 * A bare clock time answering "which time?": "12", "at 3", "4:30 please", "10 works". Read in
 * business hours (1 to 7 are afternoon); null for anything else.
 */
export function bareClockAnswer(message: string): string | null {
  const m =
    /^\s*(?:(?:ok(?:ay)?|yes|yeah|sure|alright|hmm+|well|then|so|and|or)[\s,.!]+)*(?:at\s+|around\s+|maybe\s+|how about\s+|what about\s+|let'?s (?:say|do|try)\s+|try\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(?:please|pls|o'?clock|works|is fine|is good|would be (?:great|fine|good))?[\s.!?]*$/i.exec(
      clockWordsToDigits(message.toLowerCase()),
    );
  if (!m) return null;
  const hour = withPeriod(Number(m[1]), null);
  const minute = m[2] ? Number(m[2]) : 0;
  if (hour > 23 || minute > 59) return null;
  return `${pad(hour)}:${pad(minute)}`;
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
