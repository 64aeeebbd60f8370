/**
 * Prints the evaluation-set score with a breakdown by category, business and language, and
 * the failed cases. Without settings it scores the built-in engine; with
 * PARLEY_EVAL_BASE_URL (an OpenAI-compatible server, e.g. http://localhost:11434/v1) and
 * PARLEY_EVAL_MODEL (and PARLEY_EVAL_API_KEY when the server needs one) the same set runs
 * against that model through the agent's LLM engine.
 * Run: npm run eval [-- --failures]
 */
import { llmReply } from '../src/modules/ai/llm.ts';
import { formatReport, runEval } from '../test/support/ai-eval.ts';

const baseUrl = process.env.PARLEY_EVAL_BASE_URL;
const report = baseUrl
  ? await runEval({
      engine: (input, tools) => llmReply(input, tools, { timeoutMs: 60_000 }),
      overrides: {
        model: {
          provider: 'openai_compatible',
          name: process.env.PARLEY_EVAL_MODEL ?? 'llama3.1',
          baseUrl,
          apiKey: process.env.PARLEY_EVAL_API_KEY ?? null,
        },
      },
    })
  : await runEval();
console.log(
  `Engine: ${baseUrl ? `${process.env.PARLEY_EVAL_MODEL ?? 'llama3.1'} at ${baseUrl}` : 'builtin'}`,
);
console.log(formatReport(report));
console.log(`\nReply p50: ${report.p50Ms.toFixed(2)} ms`);
if (process.argv.includes('--failures')) {
  for (const f of report.failures)
    console.log(
      `- [${f.business}/${f.category}] ${f.message}\n    ${f.problems.join('; ')}\n    reply: ${f.reply}`,
    );
}
