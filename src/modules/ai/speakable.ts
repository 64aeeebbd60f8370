/**
 * How the built-in agent says amounts, durations and clock times: in the business's currency on
 * chat ("₹2,499", "2 hours 30 minutes"), and in words a text-to-speech voice reads the way a
 * person says them on a call ("2499 rupees", "two and a half hours", "nine fifteen a m").
 */

export type Channel = 'chat' | 'voice';

interface Currency {
  symbol: string;
  /** The plural word said after the amount. */
  word: string;
}

/** The currency of the workspace's default country (the engine has no other), for a few countries. */
const currencies: Record<string, Currency> = {
  IN: { symbol: '₹', word: 'rupees' },
  US: { symbol: '$', word: 'dollars' },
  CA: { symbol: 'CA$', word: 'dollars' },
  AU: { symbol: 'A$', word: 'dollars' },
  GB: { symbol: '£', word: 'pounds' },
  AE: { symbol: 'AED ', word: 'dirhams' },
  SG: { symbol: 'S$', word: 'dollars' },
  PK: { symbol: 'Rs ', word: 'rupees' },
  LK: { symbol: 'Rs ', word: 'rupees' },
  NP: { symbol: 'Rs ', word: 'rupees' },
};
const euro = new Set(['DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'IE', 'PT', 'AT', 'FI', 'GR', 'LU']);

export function currencyOf(country: string): Currency | null {
  const c = country.toUpperCase();
  if (euro.has(c)) return { symbol: '€', word: 'euros' };
  return currencies[c] ?? null;
}

/** "₹2,499" on chat, "2499 rupees" on a call; the plain number when the currency is not known. */
export function priceText(price: number, country: string, channel: Channel): string {
  const c = currencyOf(country);
  if (channel === 'voice') return c ? `${price} ${c.word}` : String(price);
  const n = price.toLocaleString(country.toUpperCase() === 'IN' ? 'en-IN' : 'en-US');
  return c ? `${c.symbol}${n}` : n;
}

const units = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const tens = ['', '', 'twenty', 'thirty', 'forty', 'fifty'];

/** 0-59 in words ("forty five"); larger numbers stay digits. */
export function numberWords(n: number): string {
  if (n < 20) return units[n];
  if (n < 60) return n % 10 ? `${tens[Math.floor(n / 10)]} ${units[n % 10]}` : tens[n / 10];
  return String(n);
}

/** "45 minutes", "1 hour", "2 hours 30 minutes" on chat; "an hour and a half", "two hours" on a call. */
export function durationText(minutes: number, channel: Channel): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (channel === 'chat') {
    // In minutes, as businesses list their services, and in hours from an hour up.
    if (h === 0) return `${m} minutes`;
    const hours = `${h} hour${h === 1 ? '' : 's'}`;
    return `${minutes} minutes (${m ? `${hours} ${m} minutes` : hours})`;
  }
  if (h === 0) return `${numberWords(m)} minutes`;
  if (m === 30) return h === 1 ? 'an hour and a half' : `${numberWords(h)} and a half hours`;
  const hours = h === 1 ? 'one hour' : `${numberWords(h)} hours`;
  return m ? `${hours} and ${numberWords(m)} minutes` : hours;
}

/** Hinglish: "2 ghante 30 minute" on chat, "do ghante" style kept simple with digits on a call. */
export function durationTextHi(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} minute`;
  const hours = h === 1 ? '1 ghanta' : `${h} ghante`;
  return `${minutes} minute (${m ? `${hours} ${m} minute` : hours})`;
}

/** "nine fifteen a m", "ten a m", "nine oh five a m", "twelve noon" as a voice reads it. */
export function spokenClock(h: number, m: number): string {
  const suffix = h >= 12 ? 'p m' : 'a m';
  const hour = numberWords(h % 12 === 0 ? 12 : h % 12);
  if (m === 0) return h === 12 ? 'twelve noon' : `${hour} ${suffix}`;
  const mins = m < 10 ? `oh ${numberWords(m)}` : numberWords(m);
  return `${hour} ${mins} ${suffix}`;
}

const clockRe = /\b([01]?\d|2[0-3])(?::([0-5]\d))?\s*([AaPp])\.?\s?[Mm]\b\.?|\b([01]?\d|2[0-3]):([0-5]\d)\b/g;

function clockWords(
  _: string,
  h12: string | undefined,
  m12: string | undefined,
  ap: string | undefined,
  h24: string | undefined,
  m24: string | undefined,
): string {
  if (h24 !== undefined) return spokenClock(Number(h24), Number(m24));
  let h = Number(h12) % 12;
  if ((ap as string).toLowerCase() === 'p') h += 12;
  return spokenClock(h, Number(m12 ?? 0));
}

/**
 * A reply as it is said on a call: clock times in words ("09:15" and "9:15 AM" read "nine
 * fifteen a m"), time ranges with "to", amounts with the currency word, no parentheses.
 */
export function forVoice(reply: string, country: string): string {
  const c = currencyOf(country);
  let out = reply;
  if (c) {
    const sym = c.symbol.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(
      new RegExp(`${sym}\\s?(\\d[\\d,]*)`, 'g'),
      (_, n: string) => `${n.replace(/,/g, '')} ${c.word}`,
    );
  }
  return out
    .replace(clockRe, clockWords)
    .replace(/([ap] m|noon)\s*[–—-]\s*(?=\w)/g, '$1 to ')
    .replace(/\s*\(([^)]*)\)/g, ', $1,')
    .replace(/,\s*([,.?!])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
