import { wordTokens } from '../locale.ts';

/**
 * A multinomial naive Bayes classifier over word unigrams and bigrams: what a message asks, as one
 * of the intents in `locales/<code>/intents.json` or `none` (none of ours: the knowledge may answer,
 * or the honest "I don't know"). Trained by `npm run train` (scripts/train-intents.ts) from the
 * locales' examples and counter-examples and public corpora (corpora/README.md); the counts are
 * committed as model.json and read at start. No network, about 10 µs a message.
 */
export interface Model {
  /** A hash of the training data: the intents test fails when the data changed without retraining. */
  data_hash: string;
  intents: string[];
  /** Features per intent (the denominator of each intent's word probabilities). */
  totals: number[];
  vocabulary_size: number;
  /** Feature → [intent index, count, intent index, count, ...]. */
  counts: Record<string, number[]>;
}

export interface Prediction {
  intent: string;
  /** Posterior probability of `intent` (uniform priors). */
  p: number;
  /** Every intent's posterior, highest first. */
  ranked: Array<{ intent: string; p: number }>;
  /**
   * The share of the message's words that the training examples of `intent` hold: a message
   * mostly of words never seen with an intent ("do you repair laptops?" for `who`) is not it,
   * however the posterior leans (naive Bayes is overconfident).
   */
  coverage: number;
}

const ALPHA = 0.5;

/**
 * The words of a message: the reader's Unicode-aware tokens (any script; a Tamil or Bengali vowel
 * sign belongs to its word), an apostrophe dropped ("don't" is "dont"), a number as `#`.
 */
export function words(text: string): string[] {
  return wordTokens(text.replace(/`/g, "'")).map((w) => (/^\p{Nd}/u.test(w) ? '#' : w.replace(/['’]/g, '')));
}

export function features(text: string): string[] {
  const w = words(text);
  const out = [...w];
  for (let i = 0; i + 1 < w.length; i++) out.push(`${w[i]} ${w[i + 1]}`);
  if (w.length > 0) out.push(`^${w[0]}`);
  return out;
}

export function train(
  examples: Array<{ text: string; intent: string; weight?: number }>,
  dataHash: string,
): Model {
  const intents = [...new Set(examples.map((e) => e.intent))].sort();
  const index = new Map(intents.map((n, i) => [n, i]));
  const counts = new Map<string, Map<number, number>>();
  const totals = intents.map(() => 0);
  for (const e of examples) {
    const i = index.get(e.intent) as number;
    for (const f of features(e.text)) {
      const m = counts.get(f) ?? new Map<number, number>();
      m.set(i, (m.get(i) ?? 0) + (e.weight ?? 1));
      counts.set(f, m);
      totals[i] += e.weight ?? 1;
    }
  }
  const out: Record<string, number[]> = {};
  for (const f of [...counts.keys()].sort()) out[f] = [...(counts.get(f) as Map<number, number>)].flat();
  return { data_hash: dataHash, intents, totals, vocabulary_size: counts.size, counts: out };
}

export function predict(model: Model, text: string): Prediction {
  const n = model.intents.length;
  const scores = new Array<number>(n).fill(0);
  const denom = model.totals.map((t) => Math.log(t + ALPHA * model.vocabulary_size));
  for (const f of features(text)) {
    const c = model.counts[f];
    if (!c) continue; // a word never seen says nothing about any intent
    const per = new Array<number>(n).fill(0);
    for (let k = 0; k < c.length; k += 2) per[c[k]] = c[k + 1];
    for (let i = 0; i < n; i++) scores[i] += Math.log(per[i] + ALPHA) - denom[i];
  }
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const ranked = model.intents.map((intent, i) => ({ intent, p: exp[i] / sum })).sort((a, b) => b.p - a.p);
  const top = model.intents.indexOf(ranked[0].intent);
  // Words most intents hold ("do", "you", "a") say nothing of which one: only the telling words count.
  const telling = words(text).filter((x) => (model.counts[x]?.length ?? 0) / 2 < n * 0.4);
  const seen = telling.filter((x) => {
    const c = model.counts[x];
    for (let k = 0; c && k < c.length; k += 2) if (c[k] === top) return true;
    return false;
  }).length;
  return {
    intent: ranked[0].intent,
    p: ranked[0].p,
    ranked,
    coverage: telling.length ? seen / telling.length : 1,
  };
}
