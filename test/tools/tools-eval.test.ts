import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { it, mock } from 'node:test';
import { mockedOutcome } from '../../src/modules/tools/index.ts';
import { formatReport, loadEvalSet, runEval, toolsDir, toolsOf } from '../support/ai-eval.ts';

/**
 * `npm run eval` scores dialogues that use the business's tools (test/fixtures/ai-eval-tools/: a
 * shop's order status) against the tools' mocks: no request leaves the process, and a call no
 * mock answers is a failure the agent meets as any other (`no_mock`).
 */
it('the tools set scores 100% with the built-in engine, every tool answered by its mocks', async () => {
  const sent = [mock.method(http, 'request'), mock.method(https, 'request')];
  try {
    const report = await runEval({ dir: toolsDir });
    assert.ok(report.total >= 7, `the set has ${report.total} cases`);
    const detail = report.failures
      .map((f) => `- [${f.category}] ${f.message}: ${f.problems.join('; ')} (reply: ${f.reply})`)
      .join('\n');
    assert.equal(report.score, 1, `${formatReport(report)}\n${detail}`);
    assert.equal(sent[0]!.mock.callCount() + sent[1]!.mock.callCount(), 0, 'no request was made');
  } finally {
    for (const m of sent) m.mock.restore();
  }
});

it("a mock's answer is mapped like a real one; no matching mock is no_mock", () => {
  const [tool] = toolsOf(loadEvalSet(toolsDir)[0]!);
  const shipped = mockedOutcome(tool!, { order_id: '5531' });
  assert.deepEqual(shipped.result, { status: 'shipped', eta: 'Friday' });
  assert.equal(shipped.status, 'mocked');
  assert.equal(mockedOutcome(tool!, { order_id: '1111' }).code, 'no_mock');
  assert.equal(mockedOutcome(tool!, { order_id: '4040' }).code, 'http_error');
  assert.equal(mockedOutcome(tool!, { order_id: 'x' }).code, 'invalid_args');
});
