import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatReport, holdoutDir, runEval } from '../support/ai-eval.ts';

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

/**
 * The held-out batch (test/fixtures/ai-eval-holdout/: a pet grooming studio and a physiotherapy
 * clinic, chat and calls, English and Hinglish), written before the engine was changed for it:
 * issue 32's goal is 95% on customers nobody here wrote.
 */
it('the built-in engine scores at least 95% on the held-out batch, on chat and on calls', async () => {
  const report = await runEval({ dir: holdoutDir });
  assert.ok(report.total >= 150, `the batch has ${report.total} cases`);
  const detail = report.failures
    .map((f) => `- [${f.business}/${f.category}] ${f.message}: ${f.problems.join('; ')} (reply: ${f.reply})`)
    .join('\n');
  assert.ok(report.score >= 0.95, `${formatReport(report)}\n\nFailures:\n${detail}`);
  assert.ok(report.byChannel.voice.score >= 0.9, formatReport(report));
  assert.ok(report.p50Ms < 20, `reply p50 ${report.p50Ms} ms`);
});
