/**
 * Prints the evaluation-set score with a breakdown by category, business, language and channel,
 * and the failed cases: the main set (test/fixtures/ai-eval/) and the held-out batch
 * (test/fixtures/ai-eval-holdout/). Without a model it scores the built-in engine; with a model
 * and the base URL of an OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio...) the
 * same sets run against that model through the agent's LLM engine (llmReply: the answer as the
 * structured fields {reply, action}, only the action executed), k times (`--runs`), and
 * pass^k (the share of cases right in all k runs) is printed.
 *
 * The tools set (test/fixtures/ai-eval-tools/: a shop's order-status tool) runs every tool against
 * its mocks: an evaluation never makes a tool request.
 *
 * Run: npm run eval [-- --set main|holdout|tools|all] [--failures]
 *      npm run eval -- --model llama3.1 --base-url http://localhost:11434/v1 [--api-key KEY] [--runs 3]
 *      npm run eval -- --model '{"provider":"ollama","name":"llama3.1:8b"}' [--runs 3] [--json out.json]
 *        (the agent's `model` settings as JSON, any provider or preset: docs/models.md; `--json`
 *        saves every case's result, time, model and tokens)
 *      npm run eval -- --corpus clinc150|hwu64|all [--failures]   (public intent corpora, see test/support/corpus-eval.ts)
 *      npm run eval -- --corpus star-appointments [--failures]   (a public corpus replayed: test/support/corpus-<name>.ts)
 *      npm run eval -- --retrieval [--failures]   (knowledge search P@1 and recall@3 per storage, see scripts/ai-eval-retrieval.ts)
 *      npm run eval -- --voice [--runs k] [--limit n] [--raw-speech] [--ideal-stt] [--failures]   (see test/support/voice-eval.ts)
 * PARLEY_EVAL_MODEL, PARLEY_EVAL_BASE_URL and PARLEY_EVAL_API_KEY are read when the flags are absent.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ModelConfig, modelProviders } from '../src/modules/agents/index.ts';
import type { AgentTools, EngineInput } from '../src/modules/ai/engine.ts';
import { llmReply } from '../src/modules/ai/llm.ts';
import {
  type EvalReport,
  formatReport,
  holdoutDir,
  passK,
  runEval,
  toolsDir,
} from '../test/support/ai-eval.ts';
import { corpusNames, formatCorpusReport, runCorpusEval } from '../test/support/corpus-eval.ts';
import { runVoiceEval } from '../test/support/voice-eval.ts';
import { runRetrievalCli } from './ai-eval-retrieval.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    'base-url': { type: 'string' },
    'api-key': { type: 'string' },
    runs: { type: 'string' },
    set: { type: 'string', default: 'all' },
    failures: { type: 'boolean', default: false },
    voice: { type: 'boolean', default: false },
    retrieval: { type: 'boolean', default: false },
    'raw-speech': { type: 'boolean', default: false },
    'ideal-stt': { type: 'boolean', default: false },
    limit: { type: 'string' },
    corpus: { type: 'string' },
    json: { type: 'string' },
  },
});
if (args.corpus) {
  // Public corpora: the intent corpora of test/fixtures/corpora/ (`clinc150`, `hwu64`, `all` of
  // them: test/support/corpus-eval.ts), or a dialogue corpus replayed by its own module
  // (test/support/corpus-<name>.ts exports corpusReport, e.g. `star-appointments`).
  const name = args.corpus;
  if (name === 'all' || corpusNames().includes(name)) {
    for (const intentCorpus of name === 'all' ? corpusNames() : [name])
      console.log(`${formatCorpusReport(await runCorpusEval(intentCorpus), args.failures)}\n`);
    process.exit(0);
  }
  if (!/^[a-z0-9-]+$/.test(name)) {
    console.error(
      `--corpus is one of ${corpusNames().join(', ')}, all, or a dialogue corpus such as star-appointments`,
    );
    process.exit(2);
  }
  const mod = (await import(`../test/support/corpus-${name}.ts`).catch(() => null)) as {
    corpusReport(opts: { failures: boolean }): Promise<string>;
  } | null;
  if (typeof mod?.corpusReport !== 'function') {
    console.error(
      `No corpus ${name}: one of ${corpusNames().join(', ')}, all, or test/support/corpus-<name>.ts`,
    );
    process.exit(2);
  }
  console.log(await mod!.corpusReport({ failures: args.failures }));
  process.exit(0);
}
const modelArg = args.model ?? process.env.PARLEY_EVAL_MODEL;
/** `--model` as the agent's `model` settings (JSON), or a model name beside `--base-url`. */
const settings = modelArg?.trim().startsWith('{') ? evalModelSettings(modelArg) : null;
const baseUrl = settings ? undefined : (args['base-url'] ?? process.env.PARLEY_EVAL_BASE_URL);
const model = settings?.name ?? modelArg ?? 'llama3.1';
const apiKey = args['api-key'] ?? process.env.PARLEY_EVAL_API_KEY ?? null;
const modelRef: ModelConfig | null = settings
  ? settings
  : baseUrl
    ? { provider: 'openai_compatible', name: model, baseUrl, apiKey }
    : null;
const runs = Math.max(1, Number(args.runs ?? (modelRef ? 3 : 1)) || 1);
const engineName = settings
  ? `${settings.provider}:${settings.name}`
  : baseUrl
    ? `${model} at ${baseUrl}`
    : 'builtin';
if (args.retrieval) {
  await runRetrievalCli({ failures: args.failures });
  process.exit(0);
}
if (args.voice) {
  const llm = modelRef
    ? {
        engine: (input: EngineInput, tools: AgentTools) => llmReply(input, tools, { timeoutMs: 60_000 }),
        overrides: { model: modelRef },
      }
    : {};
  console.log(`Engine: ${engineName}`);
  await runVoiceEval({
    ...llm,
    runs: Math.max(1, Number(args.runs ?? 1) || 1),
    limit: args.limit ? Number(args.limit) : undefined,
    normalise: !args['raw-speech'],
    failures: args.failures,
    ideal: args['ideal-stt'],
  });
  process.exit(0);
}
const sets: Array<[string, URL | undefined]> = [];
if (args.set === 'all' || args.set === 'main') sets.push(['main set', undefined]);
if (args.set === 'all' || args.set === 'holdout') sets.push(['held-out batch', holdoutDir]);
if (args.set === 'all' || args.set === 'tools') sets.push(['tools (mocked)', toolsDir]);
if (sets.length === 0) {
  console.error('--set is main, holdout, tools or all');
  process.exit(2);
}

const once = (dir: URL | undefined): Promise<EvalReport> =>
  modelRef
    ? runEval({
        dir,
        engine: (input, tools) => llmReply(input, tools, { timeoutMs: modelRef.timeoutMs ?? 60_000 }),
        overrides: { model: modelRef },
      })
    : runEval({ dir });

console.log(`Engine: ${engineName}`);
const saved: Array<{ set: string; runs: Array<Omit<EvalReport, 'failures' | 'outcomes'>> }> = [];
for (const [title, dir] of sets) {
  const reports: EvalReport[] = [];
  for (let i = 0; i < runs; i++) reports.push(await once(dir));
  saved.push({ set: title, runs: reports.map(({ failures: _f, outcomes: _o, ...r }) => r) });
  const report = reports[0];
  console.log(`\n## ${title}\n`);
  console.log(formatReport(report));
  if (runs > 1) {
    const mean = reports.reduce((a, r) => a + r.score, 0) / runs;
    console.log(`\nMean score over ${runs} runs: ${(mean * 100).toFixed(1)}%`);
  }
  console.log(`pass^${runs}: ${(passK(reports) * 100).toFixed(1)}%`);
  console.log(`Reply p50: ${report.p50Ms.toFixed(2)} ms`);
  if (args.failures)
    for (const f of report.failures)
      console.log(
        `- [${f.business}/${f.category}] ${f.message}\n    ${f.problems.join('; ')}\n    reply: ${f.reply}`,
      );
}
if (args.json) {
  writeFileSync(args.json, `${JSON.stringify({ engine: engineName, runs, sets: saved }, null, 2)}\n`);
  console.log(`\nEvery case's result saved in ${args.json}`);
}

/** The agent's `model` settings as the API takes them (docs/models.md), checked; exits 2 when wrong. */
function evalModelSettings(text: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    console.error(`--model is not JSON: ${(err as Error).message}`);
    process.exit(2);
  }
  const provider = raw.provider;
  if (
    typeof provider !== 'string' ||
    provider === 'builtin' ||
    !(modelProviders as readonly string[]).includes(provider)
  ) {
    console.error(`--model's provider is one of ${modelProviders.filter((p) => p !== 'builtin').join(', ')}`);
    process.exit(2);
  }
  if (typeof raw.name !== 'string' || !raw.name.trim()) {
    console.error("--model needs the model's name");
    process.exit(2);
  }
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return {
    provider: provider as ModelConfig['provider'],
    name: raw.name.trim(),
    baseUrl: str(raw.base_url),
    apiKey: str(raw.api_key) ?? args['api-key'] ?? process.env.PARLEY_EVAL_API_KEY ?? null,
    ...(raw.tool_calling === 'native' || raw.tool_calling === 'json' || raw.tool_calling === 'auto'
      ? { toolCalling: raw.tool_calling }
      : {}),
    ...(typeof raw.timeout_ms === 'number' ? { timeoutMs: raw.timeout_ms } : {}),
  };
}
