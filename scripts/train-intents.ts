/**
 * `npm run train`: trains the built-in agent's intent classifier from the locales' intents.json
 * (examples and counter-examples) and the kept parts of public corpora
 * (src/modules/ai/nlu/corpora/), and writes src/modules/ai/nlu/model.json (committed; read at start,
 * nothing is downloaded). Run it after changing any intents.json or corpus file: the intents test
 * fails while the model is older than its data.
 */
import { writeFileSync } from 'node:fs';
import { train } from '../src/modules/ai/nlu/classifier.ts';
import { dataHash, trainingSet } from '../src/modules/ai/nlu/intents-data.ts';

const set = trainingSet();
const model = train(set, dataHash(set));
const path = new URL('../src/modules/ai/nlu/model.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(model)}\n`);
const per: Record<string, number> = {};
for (const e of set) per[e.intent] = (per[e.intent] ?? 0) + 1;
console.log(
  `${set.length} examples, ${model.intents.length} intents (${model.intents.map((i) => `${i} ${per[i] ?? 0}`).join(', ')}), ${model.vocabulary_size} features -> ${path.pathname}`,
);
