/**
 * Extracts the small parts of public intent corpora the built-in agent is trained and scored on,
 * from local clones of their repositories (bare or not), into the repo:
 *   - src/modules/ai/nlu/corpora/clinc150-train.json: CLINC150's train split, intents mapped to
 *     ours, and a sample of every other intent and of its out-of-scope queries as `none`;
 *   - test/fixtures/corpora/clinc150.json: its test split, mapped the same way (scored, never trained on);
 *   - test/fixtures/corpora/hwu64.json: HWU64's fold 1 test set, mapped (scored, never trained on).
 * Run once when a mapping changes:
 *   node scripts/corpora.ts --clinc <clone of github.com/clinc/oos-eval> --hwu <clone of github.com/xliuhw/NLU-Evaluation-Data>
 * Sources and licences are recorded in each file and in src/modules/ai/nlu/corpora/README.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { clinc: { type: 'string' }, hwu: { type: 'string' } } });
if (!args.clinc || !args.hwu) {
  console.error('usage: node scripts/corpora.ts --clinc <oos-eval clone> --hwu <NLU-Evaluation-Data clone>');
  process.exit(2);
}
const git = (repo: string, ...a: string[]) =>
  execFileSync('git', ['-C', repo, ...a], { maxBuffer: 64 << 20 }).toString();
const head = (repo: string) => git(repo, 'rev-parse', 'HEAD').trim();

/** CLINC150 intents that are ours; every other intent is `none` (not one of ours: the knowledge may answer, or nothing). */
const clincMap: Record<string, string> = {
  greeting: 'greeting',
  thank_you: 'thanks',
  goodbye: 'goodbye',
  yes: 'affirm',
  no: 'deny',
  cancel_reservation: 'cancel',
  restaurant_reservation: 'book',
  schedule_maintenance: 'book',
  are_you_a_bot: 'who',
  what_is_your_name: 'who',
  who_do_you_work_for: 'who',
  what_can_i_ask_you: 'services',
};
/** Left out of both: ours in part only ("is my reservation confirmed", "cancel that", "does X take reservations"). */
const clincAmbiguous = new Set([
  'confirm_reservation',
  'cancel',
  'accept_reservations',
  'repeat',
  'maybe',
  'directions',
]);
/** HWU64 intents (scenario_intent) that are ours. */
const hwuMap: Record<string, string> = {
  general_affirm: 'affirm',
  general_negate: 'deny',
  general_praise: 'thanks',
};
const hwuAmbiguous = new Set([
  'general_confirm',
  'general_repeat',
  'general_commandstop',
  'general_dontcare',
]);

/** A deterministic sample: every k-th item. */
const every = <T>(xs: T[], n: number): T[] => {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)] as T);
};

const clincCommit = head(args.clinc);
const full = JSON.parse(git(args.clinc, 'show', 'HEAD:data/data_full.json')) as Record<
  string,
  Array<[string, string]>
>;
const clincSource = {
  corpus:
    'CLINC150 (Larson et al., EMNLP 2019, "An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction")',
  url: 'https://github.com/clinc/oos-eval',
  file: 'data/data_full.json',
  commit: clincCommit,
  licence: 'CC BY 3.0 (https://creativecommons.org/licenses/by/3.0/)',
};
const byIntent = (rows: Array<[string, string]>) => {
  const m = new Map<string, string[]>();
  for (const [text, intent] of rows) m.set(intent, [...(m.get(intent) ?? []), text]);
  return m;
};
const train: Array<{ text: string; intent: string }> = [];
for (const [intent, texts] of byIntent(full.train)) {
  if (clincAmbiguous.has(intent)) continue;
  const ours = clincMap[intent];
  for (const text of ours ? texts : every(texts, 12)) train.push({ text, intent: ours ?? 'none' });
}
for (const [text] of full.oos_train) train.push({ text, intent: 'none' });
writeFileSync(
  'src/modules/ai/nlu/corpora/clinc150-train.json',
  `${JSON.stringify({ source: { ...clincSource, split: 'train (+ oos_train), mapped; 12 of each other intent' }, examples: train }, null, 1)}\n`,
);
const test: Array<{ text: string; intent: string; original: string }> = [];
for (const [intent, texts] of byIntent(full.test)) {
  if (clincAmbiguous.has(intent)) continue;
  const ours = clincMap[intent];
  // Car maintenance is booked at a garage, and none of the evaluation set's businesses is one: not scored.
  if (intent === 'schedule_maintenance') continue;
  for (const text of ours ? texts : every(texts, 3))
    test.push({ text, intent: ours ?? 'none', original: intent });
}
for (const [text] of every(full.oos_test, 300)) test.push({ text, intent: 'none', original: 'oos' });
writeFileSync(
  'test/fixtures/corpora/clinc150.json',
  `${JSON.stringify({ source: { ...clincSource, split: 'test (+ 300 of oos_test), mapped; 3 of each other intent; schedule_maintenance left out (no garage among our businesses)' }, cases: test }, null, 1)}\n`,
);

const hwuCommit = head(args.hwu);
const dir =
  'CrossValidation/autoGeneFromRealAnno/autoGene_2018_03_22-13_01_25_169/CrossValidation/KFold_1/testset/csv';
const hwu: Array<{ text: string; intent: string; original: string }> = [];
for (const name of git(args.hwu, 'ls-tree', '--name-only', `HEAD:${dir}`).split('\n').filter(Boolean)) {
  const intent = name.replace(/\.csv$/, '');
  if (hwuAmbiguous.has(intent)) continue;
  const lines = git(args.hwu, 'show', `HEAD:${dir}/${name}`).split('\n').slice(1).filter(Boolean);
  const texts = lines.map((l) => l.split(';').at(-1)!.replace(/^"|"$/g, '').trim()).filter(Boolean);
  for (const text of hwuMap[intent] ? texts : every(texts, 8))
    hwu.push({ text, intent: hwuMap[intent] ?? 'none', original: intent });
}
writeFileSync(
  'test/fixtures/corpora/hwu64.json',
  `${JSON.stringify(
    {
      source: {
        corpus:
          'HWU64 (Liu et al., IWSDS 2019, "Benchmarking Natural Language Understanding Services for building Conversational Agents")',
        url: 'https://github.com/xliuhw/NLU-Evaluation-Data',
        file: `${dir}/*.csv (answer_from_user)`,
        commit: hwuCommit,
        licence: 'CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)',
        split: 'KFold_1 test set, mapped; 8 of each other intent',
      },
      cases: hwu,
    },
    null,
    1,
  )}\n`,
);
console.log(`clinc150: ${train.length} train, ${test.length} test; hwu64: ${hwu.length} test`);
