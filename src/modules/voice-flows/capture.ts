import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DateTime } from 'luxon';
import { confirms, declines, namedIntents, parseWhen, TEENS, TENS } from '../ai/index.ts';

/**
 * What an `ask` node understands: a caller's words (or keys) read as one value of the kind the
 * node captures, in English and Hinglish. Each reader returns the value, or null for no match.
 */
export const captureKinds = [
  'yes_no',
  'choice',
  'digits',
  'number',
  'datetime',
  'text',
  'phone',
  'email',
  'intent',
] as const;
export type CaptureKind = (typeof captureKinds)[number];

export interface Choice {
  value: string;
  synonyms?: string[];
}

export interface CaptureSpec {
  var: string;
  kind: CaptureKind;
  choices?: Choice[];
  min_length?: number;
  max_length?: number;
}

export interface CaptureContext {
  now: Date;
  timezone: string;
  defaultCountry: string;
}

export type Captured = string | number;

const norm = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}@.+#*\s-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hasPhrase = (text: string, phrase: string) => {
  const p = norm(phrase);
  return p.length > 0 && new RegExp(`(^|\\s)${escapeRe(p)}(\\s|$)`).test(text);
};

const yesWords =
  /^(yes|yeah|yea|yep|yup|sure|ok|okay|correct|right|confirm|confirmed|haan|han|ha|haa|haanji|ji|ji haan|haan ji|bilkul|theek hai|thik hai|sahi|sahi hai|of course|absolutely|definitely|aaunga|aaungi|aa jaunga|aa jaungi)\b/;
const noWords =
  /^(no|nope|nah|not|never|nahi|nahin|na|mat|bilkul nahi|nai|galat|wrong|cancel|can't|cannot|won't)\b/;

function yesNo(text: string): 'yes' | 'no' | null {
  const t = norm(text).replace(/^(uh|um|hmm|well|so|acha|achha|accha)\s+/, '');
  if (!t) return null;
  // "no" wins over "yes" when both appear at the start ("no, not yes"): declines() checks that.
  if (declines(t) || noWords.test(t)) return 'no';
  if (confirms(t) || yesWords.test(t)) return 'yes';
  return null;
}

/**
 * The choice whose value or a synonym is said. When phrases of several choices are heard, one
 * wins only if it contains all the others ("not interested" over "interested"); else no match.
 */
function choice(text: string, choices: Choice[]): string | null {
  const t = norm(text);
  const heard: Array<{ value: string; phrase: string }> = [];
  for (const c of choices)
    for (const p of [c.value, ...(c.synonyms ?? [])])
      if (hasPhrase(t, p)) heard.push({ value: c.value, phrase: norm(p) });
  const values = new Set(heard.map((h) => h.value));
  if (values.size <= 1) return heard[0]?.value ?? null;
  const winner = heard.find((h) => heard.every((o) => o.value === h.value || h.phrase.includes(o.phrase)));
  return winner?.value ?? null;
}

const digitWords: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  shunya: '0',
  one: '1',
  ek: '1',
  two: '2',
  do: '2',
  three: '3',
  teen: '3',
  four: '4',
  char: '4',
  chaar: '4',
  five: '5',
  paanch: '5',
  panch: '5',
  six: '6',
  chhe: '6',
  che: '6',
  chah: '6',
  seven: '7',
  saat: '7',
  sat: '7',
  eight: '8',
  aath: '8',
  ath: '8',
  nine: '9',
  nau: '9',
  no: '9',
};

/** Digits said one by one ("four two", "ek do teen") or written ("42"); "double five" is 55. */
function digits(text: string, min?: number, max?: number): string | null {
  const words = norm(text).replace(/-/g, ' ').split(' ');
  let out = '';
  let repeat = 1;
  let sawDigit = false;
  for (const w of words) {
    if (/^\d+$/.test(w)) {
      out += w;
      sawDigit = true;
      repeat = 1;
      continue;
    }
    if (w === 'double') {
      repeat = 2;
      continue;
    }
    if (w === 'triple') {
      repeat = 3;
      continue;
    }
    const d = digitWords[w];
    // "no" and "do" only count as digits among other digits ("do do teen"), not alone.
    if (d !== undefined && (sawDigit || !['no', 'do', 'o', 'oh', 'sat'].includes(w) || words.length > 1)) {
      out += d.repeat(repeat);
      sawDigit = true;
      repeat = 1;
    }
  }
  if (!out) return null;
  if (min !== undefined && out.length < min) return null;
  if (max !== undefined && out.length > max) return null;
  return out;
}

const units: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ...TEENS,
  ek: 1,
  do: 2,
  teen: 3,
  char: 4,
  chaar: 4,
  paanch: 5,
  panch: 5,
  chhe: 6,
  saat: 7,
  aath: 8,
  nau: 9,
  das: 10,
  bees: 20,
  pachas: 50,
  sau: 100,
};
const scales: Record<string, number> = {
  hundred: 100,
  thousand: 1000,
  hazaar: 1000,
  hazar: 1000,
  lakh: 100_000,
};

/** A number written ("2,500", "3.5") or said in words ("twenty five", "two thousand", "do hazaar"). */
function number(text: string): number | null {
  const written = /-?\d[\d,]*(\.\d+)?/.exec(text.replace(/(\d),(?=\d{2,3}\b)/g, '$1'));
  if (written) {
    const n = Number(written[0].replace(/,/g, ''));
    if (Number.isFinite(n)) {
      const after = norm(text.slice(written.index + written[0].length)).split(' ')[0] ?? '';
      return scales[after] ? n * scales[after] : n;
    }
  }
  let total = 0;
  let current = 0;
  let any = false;
  for (const w of norm(text).replace(/-/g, ' ').split(' ')) {
    if (w in units) {
      current += units[w]!;
      any = true;
    } else if (w in TENS) {
      current += TENS[w]!;
      any = true;
    } else if (w in scales && any) {
      const s = scales[w]!;
      if (s === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * s;
        current = 0;
      }
    } else if (w === 'and' || w === 'aur') {
      // "two hundred and five"
    } else if (any) break;
  }
  return any ? total + current : null;
}

/** A date and time in the flow's timezone, as an ISO 8601 local time with its offset. */
function datetime(text: string, c: CaptureContext): string | null {
  const when = parseWhen(text, { now: c.now, timezone: c.timezone });
  if (!when) return null;
  const [y, m, d] = when.date.split('-').map(Number);
  const [hh, mm] = (when.time ?? '00:00').split(':').map(Number);
  const dt = DateTime.fromObject({ year: y, month: m, day: d, hour: hh, minute: mm }, { zone: c.timezone });
  if (!dt.isValid) return null;
  return when.time ? dt.toISO({ suppressMilliseconds: true, suppressSeconds: true })! : when.date;
}

function phone(text: string, c: CaptureContext): string | null {
  const written = text.replace(/[^\d+]/g, '');
  const said = written.replace(/\D/g, '').length >= 6 ? written.replace(/\D/g, '') : digits(text);
  const raw = /\+/.test(text) ? `+${said ?? ''}` : (said ?? '');
  if (raw.replace(/\D/g, '').length < 6) return null;
  const parsed = parsePhoneNumberFromString(raw, c.defaultCountry as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/** An email written or spelled out ("asha at example dot com"). */
function email(text: string): string | null {
  const spoken = text
    .toLowerCase()
    .replace(/\s+(at|at the rate|at the rate of)\s+/g, '@')
    .replace(/\s+(dot|point)\s+/g, '.')
    .replace(/\s+underscore\s+/g, '_');
  const m = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/.exec(spoken.replace(/\s*@\s*/g, '@'));
  return m ? m[0] : null;
}

/** Intents the recognizer knows without a list: what the built-in agent reads in messages too. */
const builtinIntents: ReadonlyArray<readonly [string, (t: string) => boolean]> = [
  ...namedIntents,
  ['yes', (t) => yesNo(t) === 'yes'],
  ['no', (t) => yesNo(t) === 'no'],
];
export const builtinIntentNames = builtinIntents.map(([name]) => name);

function intent(text: string, choices: Choice[] | undefined): string | null {
  if (choices?.length) return choice(text, choices);
  for (const [name, test] of builtinIntents) if (test(text)) return name;
  return null;
}

/** Reads the caller's words as the node's kind of value; null when they do not fit. */
export function readCapture(spec: CaptureSpec, text: string, c: CaptureContext): Captured | null {
  const t = text.trim();
  if (!t) return null;
  switch (spec.kind) {
    case 'yes_no':
      return yesNo(t);
    case 'choice':
      return choice(t, spec.choices ?? []);
    case 'digits':
      return digits(t, spec.min_length, spec.max_length);
    case 'number':
      return number(t);
    case 'datetime':
      return datetime(t, c);
    case 'text':
      return t.slice(0, 2000);
    case 'phone':
      return phone(t, c);
    case 'email':
      return email(t);
    case 'intent':
      return intent(t, spec.choices);
  }
}

/**
 * The small grammar an ask node listens for: the phrases a recognizer should expect (a JSGF
 * grammar for the built-in offline engine, keywords for cloud ones). Empty for open answers.
 */
export function grammarFor(spec: CaptureSpec): string[] {
  switch (spec.kind) {
    case 'yes_no':
      return ['yes', 'no', 'yeah', 'nope', 'haan', 'nahi', 'haan ji', 'bilkul', 'theek hai'];
    case 'choice':
    case 'intent':
      return (spec.choices ?? []).flatMap((c) => [c.value, ...(c.synonyms ?? [])]);
    case 'digits':
      return ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'double'];
    default:
      return [];
  }
}
