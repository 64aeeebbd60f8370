import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runEval } from './support/ai-eval.ts';

it('the built-in engine scores at least 90% on the evaluation set (test/fixtures/ai-eval.json)', async () => {
  const report = await runEval();
  assert.ok(report.total >= 50, `the set has ${report.total} cases`);
  const detail = report.failures
    .map((f) => `- ${f.message}: ${f.problems.join('; ')} (reply: ${f.reply})`)
    .join('\n');
  assert.ok(
    report.score >= 0.9,
    `score ${(report.score * 100).toFixed(1)}% (${report.passed}/${report.total}):\n${detail}`,
  );
});
