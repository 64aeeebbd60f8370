import { readdirSync, readFileSync } from 'node:fs';
import { transliterate } from './lexicon.ts';

/**
 * The built-in agent's languages as data: one folder per locale under `locales/` (`en`, `hi-Latn`
 * for Hinglish, `hi` for Hindi in Devanagari), each with `locale.json` (its words, number and time
 * words, the words that tell it apart), `replies.json` (the reply catalogue) and `intents.json`
 * (examples and counter-examples per intent, which the classifier is trained from). Adding a
 * language is adding a folder: nothing here names a language.
 */
export interface Locale {
  /** BCP 47: `en`, `hi-Latn`, `hi`. */
  code: string;
  /** The language an agent's `languages` names (`hi` for both Hindi locales). */
  language: string;
  /** ISO 15924: `Latn`, `Deva`. */
  script: string;
  name: string;
  /** The locale whose replies stand in for a reply this one lacks (null: English's own). */
  fallback: string | null;
  /** Words that mark a message in this locale when written in a shared script (Hinglish in Latin). */
  markers: string[];
  /** Words of this locale's script read as the Latin spelling the rules and the lexicon know. */
  words: Record<string, string>;
  /** Words that say how the customer asks ("kitna", "daam"), never what they ask for. */
  asking_words: string[];
  numbers: Record<string, number>;
  /** Words of the shared Latin spelling said in this locale's script in a reply ("minute" is मिनट). */
  out_words: Record<string, string>;
  time_words: Record<string, string>;
  replies: Record<string, string>;
}

/** The locales' folder: beside this file in the sources, beside the bundle in dist/ (scripts/build.ts copies it). */
export const localesDir = new URL('./locales/', import.meta.url);

function load(): Map<string, Locale> {
  const out = new Map<string, Locale>();
  for (const entry of readdirSync(localesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = new URL(`${entry.name}/`, localesDir);
    const meta = JSON.parse(readFileSync(new URL('locale.json', dir), 'utf8')) as Omit<Locale, 'replies'>;
    const replies = JSON.parse(readFileSync(new URL('replies.json', dir), 'utf8')) as Record<string, string>;
    out.set(meta.code, { ...meta, replies });
  }
  return out;
}

export const locales: ReadonlyMap<string, Locale> = load();
export type LocaleCode = string;

const scriptRes: Record<string, RegExp> = { Deva: /[\u0900-\u097F]/ };
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
  for (const l of locales.values()) {
    const re = scriptRes[l.script];
    if (re?.test(text)) return l.code;
  }
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
 * A message in a non-Latin script as the Latin spelling the rules read: each word by the locale's
 * word list, else by the agent's own vocabulary when it sounds the same (a service's name written
 * in Devanagari), else transliterated.
 */
export function toLatin(text: string, vocabulary: readonly string[] = []): string {
  if (!/[^\p{Script=Latin}\p{P}\p{S}\p{N}\s]/u.test(text)) return text;
  const keys = new Map<string, string>();
  for (const v of vocabulary) for (const w of v.toLowerCase().match(wordRe) ?? []) keys.set(soundKey(w), w);
  return text.replace(/[\p{L}\p{M}]+/gu, (w) => {
    for (const l of locales.values()) {
      const known = l.words[w];
      if (known) return known;
    }
    const latin = transliterate(w);
    if (latin === w) return w;
    return keys.get(soundKey(latin)) ?? latin;
  });
}

/**
 * The locale a reply of the facts is written in: the customer's, unless the caller has read the
 * language otherwise (`hi`: the question the customer answers was Hinglish), which wins.
 */
export function localeFor(
  messages: readonly string[],
  languages: readonly string[],
  hi: boolean,
): LocaleCode {
  const l = replyLocale(detectLocale(messages.join('\n')), languages);
  if (hi === isHindi(l)) return l;
  return hi ? 'hi-Latn' : 'en';
}

/** A phrase built in the shared Latin spelling ("45 minute") in the locale's script ("45 मिनट"). */
export function inScript(code: LocaleCode, text: string): string {
  const words = locales.get(code)?.out_words ?? {};
  return text.replace(/[A-Za-z]+/g, (w) => words[w] ?? w);
}
