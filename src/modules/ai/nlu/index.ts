import { type Model, type Prediction, predict } from './classifier.ts';
import model from './model.json' with { type: 'json' };

/**
 * What a message asks, by the trained classifier (model.json, made by `npm run train`): one of the
 * intents of the locales' intents.json, or `none`. The text is in Latin script (see locale.ts's toLatin).
 */
export function classify(text: string): Prediction {
  return predict(model as Model, text);
}

/**
 * The intent when the classifier is sure enough of it (posterior at least `threshold`, and most of
 * the message's words seen with it in training), else null.
 */
export function sureIntent(p: Prediction, threshold = 0.9, coverage = 0.5): string | null {
  return p.p >= threshold && p.coverage >= coverage ? p.intent : null;
}

export type { Prediction } from './classifier.ts';
