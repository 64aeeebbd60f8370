import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { normaliseSpoken } from '../../src/modules/ai/spoken.ts';
import {
  type Engine,
  type EvalCase,
  type EvalReport,
  holdoutDir,
  loadEvalSet,
  passK,
  runEval,
} from './ai-eval.ts';
import { openVoiceLoop, sayAsCaller } from './voice-loop.ts';

/** What an exact speech recogniser writes: lowercase words, no punctuation. */
const asRecognised = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * `npm run eval -- --voice`: the text score and the voice score of the same cases side by side
 * (issue 30). The voice run hears each customer message through the whole voice loop
 * (voice-loop.ts: espeak-ng → 8 kHz mu-law with noise → pocketsphinx), then, as the call driver
 * does, reads it with `normaliseSpoken` (`--raw-speech` skips that: the "before" figure). Each of
 * the k runs draws its own noise, so pass^k counts cases right under every draw.
 *
 * The subset (the whole set takes ~4 s a message here, far more than a few minutes): the
 * held-out batch's English call cases (`channel: voice`) and the main set's English `lead`
 * cases (names, emails and phone numbers said aloud). English only: pocketsphinx knows only US
 * English, and Hinglish said by an English voice to an English model measures nothing.
 * `--limit n` keeps the first n of them.
 */
export async function runVoiceEval(opts: {
  runs: number;
  limit?: number;
  normalise: boolean;
  failures: boolean;
  /** No audio: an exact recogniser's words (lowercase, no punctuation, details said as a caller says them). */
  ideal?: boolean;
  /** An LLM instead of the built-in engine (`--model --base-url`), as in the text evaluation. */
  engine?: Engine;
  overrides?: Partial<AgentConfig>;
}): Promise<void> {
  const pick = (c: EvalCase, main: boolean) =>
    c.lang === 'en' && (main ? c.category === 'lead' : c.channel === 'voice');
  const chosen: Array<{ main: boolean; c: EvalCase }> = [
    ...loadEvalSet().flatMap((f) => f.cases.filter((c) => pick(c, true)).map((c) => ({ main: true, c }))),
    ...loadEvalSet(holdoutDir).flatMap((f) =>
      f.cases.filter((c) => pick(c, false)).map((c) => ({ main: false, c })),
    ),
  ].slice(0, opts.limit ?? Number.POSITIVE_INFINITY);
  const keep = new Set(chosen.map((x) => x.c.message));
  const loop = opts.ideal
    ? { hear: async (m: string) => asRecognised(sayAsCaller(m)), close: async () => {} }
    : await openVoiceLoop([...keep]);
  if (!loop) {
    console.log(
      'Voice evaluation: the built-in speech engines are not installed (espeak-ng, pocketsphinx with pocketsphinx-en-us; Debian: apt-get install espeak-ng pocketsphinx pocketsphinx-en-us sox). Nothing scored.',
    );
    return;
  }
  const filter = (c: EvalCase) => keep.has(c.message) && c.lang === 'en';
  // The main set's cases are all chat: on the voice loop they are said on a call.
  const score = async (hear?: (m: string) => Promise<string>) => {
    const common = { engine: opts.engine, overrides: opts.overrides, hear };
    const main = await runEval({ ...common, filter: (c) => filter(c) && c.category === 'lead' });
    const holdout = await runEval({ ...common, dir: holdoutDir, filter });
    return merge(main, holdout);
  };
  console.log(
    `Voice versus text: ${keep.size} English cases (held-out batch calls + main set 'lead'), ${opts.runs} run(s); ${opts.ideal ? 'ideal recogniser (--ideal-stt, no audio)' : 'espeak-ng -> 8 kHz mu-law + noise -> pocketsphinx'}; speech ${opts.normalise ? 'normalised (as on calls)' : 'raw (--raw-speech)'}\n`,
  );
  const started = Date.now();
  const text: EvalReport[] = [];
  const voice: EvalReport[] = [];
  for (let k = 0; k < opts.runs; k++) {
    text.push(await score());
    voice.push(
      await score(async (m) => {
        const heard = await loop.hear(m, k + 1);
        return opts.normalise ? normaliseSpoken(heard) : heard;
      }),
    );
  }
  await loop.close();
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const t = text[0];
  const v = voice[0];
  console.log('| | text | voice |\n|---|---|---|');
  console.log(
    `| score (run 1) | ${t.passed}/${t.total} (${pct(t.score)}) | ${v.passed}/${v.total} (${pct(v.score)}) |`,
  );
  console.log(`| pass^${opts.runs} | ${pct(passK(text))} | ${pct(passK(voice))} |`);
  for (const ch of Object.keys(t.byChannel))
    console.log(`| ${ch} cases | ${pct(t.byChannel[ch].score)} | ${pct(v.byChannel[ch]?.score ?? 0)} |`);
  console.log(
    `\nVoice keeps ${pct(v.score / t.score)} of the text score. (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  if (opts.failures)
    for (const f of v.failures)
      console.log(`- [${f.business}/${f.category}] ${f.message}\n    ${f.problems.join('; ')}`);
}

function merge(a: EvalReport, b: EvalReport): EvalReport {
  const passed = a.passed + b.passed;
  const total = a.total + b.total;
  const byChannel: EvalReport['byChannel'] = {};
  for (const r of [a, b])
    for (const [k, x] of Object.entries(r.byChannel)) {
      byChannel[k] ??= { total: 0, passed: 0, score: 0 };
      const y = byChannel[k];
      y.total += x.total;
      y.passed += x.passed;
      y.score = y.passed / y.total;
    }
  return {
    ...b,
    total,
    passed,
    score: passed / total,
    failures: [...a.failures, ...b.failures],
    outcomes: [...a.outcomes, ...b.outcomes],
    byChannel,
  };
}
