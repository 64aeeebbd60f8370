import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatReport, runEval } from './support/ai-eval.ts';

/**
 * The evaluation set (test/fixtures/ai-eval/: five kinds of business, English and Hinglish).
 * The floor is the score the built-in engine reached when the set was written, less a margin:
 * a change that makes the engine answer customers worse fails here. BENCHMARKS.md has the
 * current score and its breakdown.
 */
const FLOOR = 0.95;

it(`the built-in engine scores at least ${FLOOR * 100}% on the evaluation set`, async () => {
  const report = await runEval();
  assert.ok(report.total >= 300, `the set has ${report.total} cases`);
  assert.ok(Object.keys(report.byBusiness).length >= 5, 'five kinds of business');
  const detail = report.failures
    .map((f) => `- [${f.business}/${f.category}] ${f.message}: ${f.problems.join('; ')} (reply: ${f.reply})`)
    .join('\n');
  assert.ok(report.score >= FLOOR, `${formatReport(report)}\n\nFailures:\n${detail}`);
});
