/**
 * Recognised speech as the agent reads it (issue 30). Speech-to-text writes what it heard as
 * words: "nine eight one two three four five six seven zero", "ravi at the rate gmail dot com",
 * "r a v i". A caller means digits, an email address, a name. `normaliseSpoken` rewrites those
 * spans and leaves everything else as it was ("two people", "at five", "one haircut" stay words:
 * a number is read as digits only when three or more digits are said in a row).
 *
 * `speakEmail` and `speakPhone` go the other way: how the agent reads a captured email or phone
 * number back on a call, letter by letter and digit by digit, so the caller can correct it.
 */

const DIGITS: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  one: '1',
  two: '2',
  to: '2',
  too: '2',
  three: '3',
  four: '4',
  for: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  shunya: '0',
  ek: '1',
  do: '2',
  teen: '3',
  char: '4',
  chaar: '4',
  paanch: '5',
  panch: '5',
  chhe: '6',
  saat: '7',
  aath: '8',
  nau: '9',
};
/** English number words, also read by voice flows' number captures. */
export const TEENS: Readonly<Record<string, number>> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
export const TENS: Readonly<Record<string, number>> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
/** Words that are digits only inside a run of real digit words ("to", "for", "do", "o"). */
const WEAK = new Set(['o', 'to', 'too', 'for', 'do', 'ek', 'char']);
const REPEAT: Record<string, number> = { double: 2, triple: 3 };

/** One spoken token's digits ("nine" → "9", "forty" → "40", "double" handled by the caller), or null. */
function digitsOf(w: string, strong: boolean): string | null {
  if (/^\d+$/.test(w)) return w;
  if (w in DIGITS && (strong || !WEAK.has(w))) return DIGITS[w];
  if (w in TEENS) return String(TENS[w] ?? TEENS[w]);
  if (w in TENS) return String(TENS[w]);
  return null;
}

/**
 * Runs of spoken digits as one number: "nine one five" → "915", "double five" → "55",
 * "ninety eight seven six" → "98 76" read as "9876"; a tens word followed by a digit word is
 * one pair ("forty three" → "43"). Fewer than three digits said in a row are left as words.
 */
export function joinSpokenDigits(text: string): string {
  const words = text.split(/\s+/);
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const run = scanRun(words, i);
    if (run.said >= 3 && run.end - i >= 2) {
      out.push(run.digits);
      i = run.end;
    } else {
      out.push(words[i]);
      i++;
    }
  }
  return out.join(' ');
}

const bare = (w: string | undefined) => w?.toLowerCase().replace(/[,.]$/, '');

/** The longest run of digit words from `start`: its digits, how many were said, where it ends. */
function scanRun(words: string[], start: number): { digits: string; said: number; end: number } {
  let j = start;
  let digits = '';
  const counts: number[] = [];
  while (j < words.length) {
    const w = bare(words[j]) as string;
    const next = bare(words[j + 1]);
    const nextDigit = next && !(next in TEENS) ? digitsOf(next, true) : null;
    if (REPEAT[w] && nextDigit?.length === 1) {
      digits += nextDigit.repeat(REPEAT[w]);
      counts.push(REPEAT[w], 0);
      j += 2;
      continue;
    }
    const d = digitsOf(w, digits.length > 0);
    if (d === null) break;
    if (w in TENS && nextDigit?.length === 1) {
      digits += String(TENS[w] + Number(nextDigit));
      counts.push(2, 0);
      j += 2;
      continue;
    }
    digits += d;
    counts.push(d.length);
    j++;
  }
  // Trailing weak words ("... seven to") are not part of the number.
  while (j > start + 1 && WEAK.has(bare(words[j - 1]) as string) && counts.at(-1) === 1) {
    digits = digits.slice(0, -1);
    counts.pop();
    j--;
  }
  return { digits, said: digits.length, end: j };
}

const TLDS = 'com|in|org|net|co|io|edu|gov|info|biz|me|ai|uk';

/**
 * A spoken email as an address: "ravi at the rate gmail dot com", "ravi at gmail dot com",
 * "r a v i at gmail dot co dot in", "ravi underscore k at yahoo dot in" → ravi@gmail.com...
 * "at" is "@" only when a domain ending in a known suffix ("dot com", "dot in") follows.
 */
export function joinSpokenEmail(text: string): string {
  let s = text.replace(/\bat the rate( of)?\b/gi, ' @ ').replace(/\bat sign\b/gi, ' @ ');
  const domain = `[a-z0-9]+(?:\\s+(?:dot|\\.)\\s+[a-z0-9]+)*\\s+(?:dot|\\.)\\s+(?:${TLDS})`;
  s = s.replace(new RegExp(`\\s(?:at|@)\\s+(${domain})\\b`, 'gi'), (_, d: string) => ` @ ${d}`);
  if (!s.includes('@')) return text;
  // Inside an address: "dot" is ".", "underscore" "_", "dash"/"hyphen" "-"; spelled letters join.
  return s
    .replace(new RegExp(`@\\s+(${domain})\\b`, 'gi'), (m) =>
      m.replace(/\s+(?:dot|\.)\s+/gi, '.').replace(/@\s+/, '@'),
    )
    .replace(
      /((?:\b[a-z0-9]\b|\b[a-z0-9]+\b)(?:\s+(?:underscore|dash|hyphen|dot)\s+[a-z0-9]+)*)\s+@/gi,
      (m) =>
        m
          .replace(/\s+underscore\s+/gi, '_')
          .replace(/\s+(?:dash|hyphen)\s+/gi, '-')
          .replace(/\s+dot\s+/gi, '.')
          .replace(/\s+@$/, '@'),
    )
    .replace(/((?:\b[a-z0-9]\s+){1,30}[a-z0-9])@/gi, (m) => m.replace(/\s+/g, ''))
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** A name spelled letter by letter after "my name is" / "this is" / "naam": "r a v i" → "Ravi". */
export function joinSpelledName(text: string): string {
  return text.replace(
    /\b(my name is|my name's|this is|i am|naam|name is|spelled|spelt)\s+((?:[a-z]\s+){2,30}[a-z])\b/gi,
    (_, lead: string, letters: string) => {
      const w = letters.replace(/\s+/g, '').toLowerCase();
      return `${lead} ${w.charAt(0).toUpperCase()}${w.slice(1)}`;
    },
  );
}

const NOT_NAMES = new Set(
  'a about after also am an and at available back but calling coming do fine for free from glad going good happy have here hoping i in interested is just looking me my need new not ok okay on planning really so sure the there this to trying very wanting was we with wondering would yes no calling speaking email number phone'.split(
    ' ',
  ),
);

/**
 * Speech-to-text writes names in lowercase ("this is arjun mehta"): after "my name is", "this
 * is", "I'm", "I am" and "naam", up to two words that are not common words get their capitals,
 * so the name is read as a name.
 */
export function capitaliseSpokenName(text: string): string {
  return text.replace(
    /\b(my name is|my name's|this is|i am|i'm|im|mera naam|naam)\s+([a-z]+)(\s+[a-z]+(?![\w@.]))?/gi,
    (m, lead: string, first: string, second: string | undefined) => {
      if (NOT_NAMES.has(first.toLowerCase()) || /[A-Z]/.test(first)) return m;
      const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
      const two =
        second && !NOT_NAMES.has(second.trim().toLowerCase()) ? ` ${cap(second.trim())}` : (second ?? '');
      return `${lead} ${cap(first)}${two}`;
    },
  );
}

/** What a caller said, as the agent should read it: digits, email addresses and names. */
export function normaliseSpoken(text: string): string {
  if (!text.trim()) return text;
  return capitaliseSpokenName(joinSpelledName(joinSpokenEmail(joinSpokenDigits(text))));
}

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** An email read back on a call: "r a v i dot k at gmail dot com". */
export function speakEmail(email: string): string {
  const [user, domain = ''] = email.toLowerCase().split('@');
  const spell = (part: string) =>
    part
      .split('')
      .map((ch) =>
        ch === '.'
          ? 'dot'
          : ch === '_'
            ? 'underscore'
            : ch === '-'
              ? 'dash'
              : /\d/.test(ch)
                ? DIGIT_WORDS[Number(ch)]
                : ch,
      )
      .join(' ');
  return `${spell(user)} at ${domain.split('.').join(' dot ')}`;
}

/** A phone number read back on a call, digit by digit in groups: "plus nine one, nine eight one ...". */
export function speakPhone(phone: string): string {
  const plus = phone.trim().startsWith('+');
  const digits = phone.replace(/\D/g, '');
  const national = plus && digits.startsWith('91') && digits.length === 12 ? digits.slice(2) : digits;
  const groups: string[] = [];
  let rest = national;
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  groups.push(rest);
  return groups
    .map((g) =>
      g
        .split('')
        .map((d) => DIGIT_WORDS[Number(d)])
        .join(' '),
    )
    .join(', ');
}
