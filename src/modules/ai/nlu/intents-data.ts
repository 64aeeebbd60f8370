import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { localesDir, toLatin } from '../locale.ts';

/** One locale's intents: examples of each and counter-examples (messages that must not be read as it). */
export type IntentData = Record<string, { examples: string[]; counter: string[] }>;

export interface TrainingExample {
  text: string;
  intent: string;
  weight?: number;
  /** Where it comes from: a locale's intents.json or a public corpus. */
  from: string;
}

/** Every locale's intents.json, by locale code. */
export function localeIntents(): Record<string, IntentData> {
  const out: Record<string, IntentData> = {};
  for (const e of readdirSync(localesDir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    try {
      out[e.name] = JSON.parse(
        readFileSync(new URL(`${e.name}/intents.json`, localesDir), 'utf8'),
      ) as IntentData;
    } catch {
      // A locale without intents is read by the others' (its script through its word list).
    }
  }
  return out;
}

const corporaDir = new URL('./corpora/', import.meta.url);

/**
 * The training set: our examples (weighted 8: they are few and they are what our customers say),
 * our counter-examples as `none` unless another intent lists them, and the public corpora's kept parts.
 */
export function trainingSet(): TrainingExample[] {
  const out: TrainingExample[] = [];
  for (const [code, data] of Object.entries(localeIntents())) {
    const listed = new Set(Object.values(data).flatMap((d) => d.examples.map((x) => x.toLowerCase())));
    for (const [intent, d] of Object.entries(data)) {
      for (const text of d.examples) out.push({ text: toLatin(text), intent, weight: 8, from: code });
      for (const text of d.counter)
        if (!listed.has(text.toLowerCase()))
          out.push({ text: toLatin(text), intent: 'none', weight: 8, from: code });
    }
  }
  for (const f of readdirSync(corporaDir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const corpus = JSON.parse(readFileSync(new URL(f, corporaDir), 'utf8')) as {
      examples: Array<{ text: string; intent: string }>;
    };
    for (const e of corpus.examples) out.push({ text: e.text, intent: e.intent, from: f });
  }
  return out;
}

export const dataHash = (set: TrainingExample[]) =>
  createHash('sha256')
    .update(JSON.stringify(set.map((e) => [e.text, e.intent, e.weight ?? 1])))
    .digest('hex')
    .slice(0, 16);
