import { readdirSync, readFileSync } from 'node:fs';
import type { DateTime } from 'luxon';
import { transliterate } from './lexicon.ts';

/**
 * The built-in agent's languages as data: one folder per locale under `locales/` (`en`, `hi-Latn`
 * for Hinglish, `hi` for Hindi in Devanagari, `ta` Tamil, `bn` Bengali), each with `locale.json`
 * (what its reader is made of: words, number, time and date words, digits, suffixes, the words
 * that tell it apart), `replies.json` (the reply catalogue) and `intents.json` (examples and
 * counter-examples per intent, which the classifier is trained from). Adding a language is adding
 * a folder: nothing here names a language or a script.
 */
export interface LocaleData {
  /** BCP 47: `en`, `hi-Latn`, `hi`, `ta`, `bn`. */
  code: string;
  /** The language an agent's `languages` names (`hi` for both Hindi locales). */
  language: string;
  /** ISO 15924 (`Latn`, `Deva`, `Taml`, `Beng`): a message in a script other than Latin is this locale's. */
  script: string;
  name: string;
  /** The locale whose replies stand in for a reply this one lacks (null: English's own). */
  fallback: string | null;
  /** The locale dates are written in by `Intl` (weekday and month names): `en`, `ta`, `bn`. */
  intl: string;
  /** Words that mark a message in this locale when written in a shared script (Hinglish in Latin). */
  markers: string[];
  /** Words of this locale's script read as the Latin spelling the rules and the lexicon know. */
  words: Record<string, string>;
  /** Words that say how the customer asks ("kitna", "daam"), never what they ask for. */
  asking_words: string[];
  /** Number words, read as digits. */
  numbers: Record<string, number>;
  /** Words of the hour and the part of the day, read as the English the time grammar knows ("மணிக்கு" → "o'clock"). */
  time_words: Record<string, string>;
  /** Words of the day, read as the English the date grammar knows ("நாளை" → "tomorrow"). */
  date_words: Record<string, string>;
  /** The script's own digits, zero to nine ("০১২৩৪৫৬৭৮৯"), read as 0-9; empty: none. */
  digits: string;
  /** Endings a word may carry that do not change what it names ("-க்கு", "-টায়"), longest tried first. */
  suffixes: string[];
  /** Words of the shared Latin spelling said in this locale's script in a reply ("minute" is मिनट). */
  out_words: Record<string, string>;
}

/** What each folder provides: its locale.json's fields (the reader's data), checked at load. */
export const READER_FIELDS: ReadonlyArray<keyof LocaleData> = [
  'code',
  'language',
  'script',
  'name',
  'fallback',
  'intl',
  'markers',
  'words',
  'asking_words',
  'numbers',
  'time_words',
  'date_words',
  'digits',
  'suffixes',
  'out_words',
];

/**
 * How the engine reads a message of a locale: every matcher and the classifier work on what the
 * reader gives, never on raw letters.
 */
export interface Reader {
  /** NFC, the script's digits as 0-9, a number glued to a word parted ("5மணிக்கு" → "5 மணிக்கு"). */
  normalise(text: string): string;
  /** The words, Unicode-aware: runs of letters, combining marks and digits (a vowel sign belongs to its word). */
  tokens(text: string): string[];
  /**
   * One word of this locale's script as the shared spelling the rules read (its words, time,
   * date and number words, with or without an ending), or undefined when the locale does not know it.
   */
  word(token: string): string | undefined;
}

export interface Locale extends LocaleData {
  replies: Record<string, string>;
  reader: Reader;
}

/** Unicode-aware words: letters, combining marks (Tamil and Bengali vowel signs) and digits; an apostrophe inside a word stays. */
const tokenRe = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

/** The words of a text in any script, lower-cased (the reader's tokens: the classifier reads these). */
export function wordTokens(text: string): string[] {
  return text.normalize('NFC').toLowerCase().match(tokenRe) ?? [];
}

/** A locale's reader, made of its data. */
export function readerOf(d: LocaleData): Reader {
  const nfc = <T>(m: Record<string, T>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k.normalize('NFC'), v])) as Record<string, T>;
  const words = nfc(d.words);
  const timeWords = nfc(d.time_words);
  const dateWords = nfc(d.date_words);
  const numbers = nfc(d.numbers);
  const digits = [...d.digits];
  const digitRe = digits.length === 10 ? new RegExp(`[${d.digits}]`, 'gu') : null;
  const suffixes = d.suffixes.map((x) => x.normalize('NFC')).sort((a, b) => b.length - a.length);
  const lookup = (w: string): string | undefined => {
    const known = words[w] ?? timeWords[w] ?? dateWords[w];
    if (known !== undefined) return known;
    return numbers[w] !== undefined ? String(numbers[w]) : undefined;
  };
  return {
    normalise: (text) => {
      let t = text.normalize('NFC');
      if (digitRe) t = t.replace(digitRe, (c) => String(digits.indexOf(c)));
      // A number glued to a word of another script ("5টায়", "10மணி"): two words.
      return t.replace(/(\d)(?=[^\P{L}\p{Script=Latin}])/gu, '$1 ');
    },
    tokens: (text) => wordTokens(text),
    word: (token) => {
      const w = token.normalize('NFC');
      const whole = lookup(w);
      if (whole !== undefined) return whole;
      for (const s of suffixes) {
        if (w.length > s.length + 1 && w.endsWith(s)) {
          const stem = lookup(w.slice(0, -s.length));
          if (stem !== undefined) return stem;
        }
      }
      return undefined;
    },
  };
}

/** The locales' folder: beside this file in the sources, beside the bundle in dist/ (scripts/build.ts copies it). */
export const localesDir = new URL('./locales/', import.meta.url);

function load(): Map<string, Locale> {
  const out = new Map<string, Locale>();
  for (const entry of readdirSync(localesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = new URL(`${entry.name}/`, localesDir);
    const meta = JSON.parse(readFileSync(new URL('locale.json', dir), 'utf8')) as LocaleData;
    const missing = READER_FIELDS.filter((f) => meta[f] === undefined);
    if (missing.length) throw new Error(`locales/${entry.name}/locale.json lacks ${missing.join(', ')}`);
    const replies = JSON.parse(readFileSync(new URL('replies.json', dir), 'utf8')) as Record<string, string>;
    out.set(meta.code, { ...meta, replies, reader: readerOf(meta) });
  }
  return out;
}

export const locales: ReadonlyMap<string, Locale> = load();
export type LocaleCode = string;

/** Each locale of its own script (not Latin, which English and Hinglish share): its script's letters. */
const scriptRes = [...locales.values()]
  .filter((l) => l.script !== 'Latn')
  .map((l) => ({ code: l.code, re: new RegExp(`\\p{Script=${l.script}}`, 'u') }));
const wordRe = /[\p{L}\p{M}]+/gu;

/** The markers of every Latin-script locale but English, as sets. */
const markerSets = [...locales.values()]
  .filter((l) => l.markers.length > 0)
  .map((l) => ({ code: l.code, set: new Set(l.markers) }));

/**
 * The locale a message is written in: its script when the script is a locale's own (Devanagari is
 * Hindi), else a locale whose marker words it uses (two of them, or one in a short message: "facial
 * book karna"), else English.
 */
export function detectLocale(text: string): LocaleCode {
  // The script most of the message's own-script letters are in (a Tamil message naming a service in Latin is Tamil).
  let best: { code: string; n: number } | null = null;
  for (const { code, re } of scriptRes) {
    const n = [...text].filter((ch) => re.test(ch)).length;
    if (n > 0 && (!best || n > best.n)) best = { code, n };
  }
  if (best) return best.code;
  const words = text.toLowerCase().match(wordRe) ?? [];
  for (const { code, set } of markerSets) {
    const hits = words.filter((w) => set.has(w)).length;
    if (hits >= 2 || (hits === 1 && words.length <= 4 && words.length >= 2)) return code;
  }
  return 'en';
}

/**
 * The locale to answer in: the customer's when the agent answers in its language (`agent.languages`,
 * e.g. `["en", "hi"]`), else the agent's first language. No languages configured: the customer's.
 */
export function replyLocale(detected: LocaleCode, languages: readonly string[]): LocaleCode {
  const langs = languages.map((l) => l.toLowerCase());
  const own = locales.get(detected);
  if (langs.length === 0 || !own || langs.includes(own.language) || langs.includes(own.code.toLowerCase()))
    return detected;
  const first = langs[0];
  const match = [...locales.values()].find((l) => l.code.toLowerCase() === first || l.language === first);
  return match?.code ?? 'en';
}

/** A reply of the catalogue, in the locale or the nearest one that has it, with {placeholders} filled. */
export function say(code: LocaleCode, key: string, vars: Record<string, string> = {}): string {
  let l = locales.get(code) ?? locales.get('en');
  const seen = new Set<string>();
  while (l && l.replies[key] === undefined && l.fallback && !seen.has(l.code)) {
    seen.add(l.code);
    l = locales.get(l.fallback);
  }
  const template = l?.replies[key] ?? locales.get('en')?.replies[key];
  if (template === undefined) throw new Error(`no reply "${key}" in any locale`);
  return template.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
}

/** Every locale's asking words. */
export const askingWordsOfLocales = (): string[] => [...locales.values()].flatMap((l) => l.asking_words);

/** True when the locale (or its fallback) is Hindi: what the rules written for Hinglish read. */
export const isHindi = (code: LocaleCode) => locales.get(code)?.language === 'hi';

/** A loose sound key: consonants only, so "heyarakat" (हेयरकट) and "haircut" meet. */
export function soundKey(word: string): string {
  const w = word
    .toLowerCase()
    .replace(/c(?=[eiy])/g, 's')
    .replace(/sh|ch(?=[aeiou])/g, 's')
    .replace(/ph/g, 'f')
    .replace(/[cq]/g, 'k')
    .replace(/z/g, 'j')
    .replace(/v/g, 'w');
  const head = w.charAt(0);
  const rest = w.slice(1).replace(/[aeiouyhw]/g, '');
  return (head + rest).replace(/(.)\1+/g, '$1');
}

/**
 * A message in a non-Latin script as the Latin spelling the rules read: normalised by the reader
 * of its script's locale, then each word by a locale's reader (its words, time, date and number
 * words, with or without an ending), else by the agent's own vocabulary when it sounds the same (a
 * service's name written in Devanagari), else transliterated, else as written (the classifier
 * reads any script's words).
 */
export function toLatin(text: string, vocabulary: readonly string[] = []): string {
  if (!/[^\p{Script=Latin}\p{P}\p{S}\p{N}\s]/u.test(text)) return text;
  const own = locales.get(detectLocale(text));
  const normal = own ? own.reader.normalise(text) : text.normalize('NFC');
  const keys = new Map<string, string>();
  for (const v of vocabulary) for (const w of v.toLowerCase().match(wordRe) ?? []) keys.set(soundKey(w), w);
  const readers = [...(own ? [own.reader] : []), ...[...locales.values()].map((l) => l.reader)];
  return normal.replace(/[\p{L}\p{M}]+/gu, (w) => {
    if (/^\p{Script=Latin}+$/u.test(w)) return w;
    for (const r of readers) {
      const known = r.word(w);
      if (known !== undefined) return known;
    }
    const latin = transliterate(w);
    if (latin === w) return w;
    return keys.get(soundKey(latin)) ?? latin;
  });
}

/** The locale a step that carries its language on reads in: its own, else this message's (a bare "haan" tells nothing). */
export function stickyLocale(held: LocaleCode, messages: readonly string[]): LocaleCode {
  return held !== 'en' ? held : detectLocale(messages.join('\n'));
}

/** A date in the locale's words ("Tuesday 12 May", "செவ்வாய் 12 மே"): `format` is luxon's. */
export function dateIn(code: LocaleCode, d: DateTime, format: string): string {
  return d.setLocale(locales.get(code)?.intl ?? 'en').toFormat(format);
}

/** A phrase built in the shared Latin spelling ("45 minute") in the locale's script ("45 मिनट"). */
export function inScript(code: LocaleCode, text: string): string {
  const words = locales.get(code)?.out_words ?? {};
  return text.replace(/[A-Za-z]+/g, (w) => words[w] ?? w);
}
