import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { llmReply } from '../../src/modules/ai/llm.ts';
import { holdoutDir, passK, runEval } from '../support/ai-eval.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';

const run = promisify(execFile);

/**
 * The evaluation against an LLM, with a local fake OpenAI-compatible server standing in for the
 * model server (Ollama, llama.cpp, vLLM...): `npm run eval -- --model --base-url` scores the same
 * sets and prints pass^k, and a model that only says it handed off has not handed off.
 */
describe('npm run eval against an OpenAI-compatible server', () => {
  let fake: FakeLlm;
  before(async () => {
    fake = await startFakeLlm();
  });
  after(() => fake.close());

  it('runs the held-out batch k times through the model and prints the score and pass^k', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        'scripts/ai-eval.ts',
        '--model',
        'fake-model',
        '--base-url',
        fake.url,
        '--set',
        'holdout',
        '--runs',
        '2',
      ],
      { cwd: new URL('../..', import.meta.url), maxBuffer: 10_000_000 },
    );
    assert.match(
      stdout,
      new RegExp(`Engine: fake-model at ${fake.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.match(stdout, /## held-out batch/);
    assert.match(stdout, /Overall: \d+\/165/);
    assert.match(stdout, /pass\^2: \d+\.\d%/);
    assert.ok(fake.requests.length >= 330, `${fake.requests.length} requests`);
    assert.ok(fake.requests.every((r) => r.model === 'fake-model'));
  });

  it("--model takes the agent's model settings as JSON (a preset, any provider) and --json saves every case", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-eval-'));
    const out = join(dir, 'cases.json');
    fake.requests.length = 0;
    fake.script.length = 0;
    for (let i = 0; i < 60; i++) fake.script.push(say('Your order is on its way.'));
    const { stdout } = await run(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        'scripts/ai-eval.ts',
        '--model',
        JSON.stringify({ provider: 'ollama', name: 'llama3.1:8b', base_url: fake.url, tool_calling: 'json' }),
        '--set',
        'tools',
        '--runs',
        '1',
        '--json',
        out,
      ],
      { cwd: new URL('../..', import.meta.url), maxBuffer: 10_000_000 },
    );
    assert.match(stdout, /Engine: ollama:llama3\.1:8b/);
    assert.ok(fake.requests.length > 0 && fake.requests.every((r) => r.model === 'llama3.1:8b'));
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(saved.engine, 'ollama:llama3.1:8b');
    const cases = saved.sets[0].runs[0].cases;
    assert.equal(cases.length, saved.sets[0].runs[0].total);
    for (const c of cases) {
      assert.equal(typeof c.ok, 'boolean');
      assert.equal(typeof c.ms, 'number');
      assert.ok(c.message && typeof c.reply === 'string');
    }
    // The fake counts 10 tokens in and 5 out a request: the answered cases carry them.
    assert.ok(
      cases.some(
        (c: { model: string; input_tokens: number }) =>
          c.model === 'ollama:llama3.1:8b' && c.input_tokens >= 10,
      ),
    );
    // Wrong settings: a clear message and exit code 2, nothing run.
    for (const [model, said] of [
      ['{"provider": "ollama"', /not JSON/],
      ['{"provider": "skynet", "name": "x"}', /provider is one of/],
      ['{"provider": "ollama"}', /needs the model's name/],
    ] as const) {
      const failed = await run(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', 'scripts/ai-eval.ts', '--model', model],
        {
          cwd: new URL('../..', import.meta.url),
        },
      ).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(failed?.code, 2, model);
      assert.match(failed!.stderr, said);
    }
  });

  it('a handoff counts only when the action field says so, not when the words do', async () => {
    fake.script.length = 0;
    const words = "I'm connecting you with a member of our team; they will reply here shortly.";
    for (let i = 0; i < 400; i++) fake.script.push(say(words, { type: 'answer' }));
    const report = await runEval({
      dir: holdoutDir,
      engine: (input, tools) => llmReply(input, tools, { timeoutMs: 10_000 }),
      overrides: {
        model: { provider: 'openai_compatible', name: 'fake-model', baseUrl: fake.url, apiKey: null },
      },
    });
    const handoffs = report.failures.filter((f) => f.category === 'handoff_hinglish');
    assert.equal(handoffs.length, report.byCategory.handoff_hinglish.total);
    assert.ok(handoffs.every((f) => f.problems.some((p) => p.startsWith('action: expected handoff'))));
    assert.equal(passK([report, report]), report.score);
  });

  it('the same words with action handoff pass the handoff cases', async () => {
    fake.script.length = 0;
    const words = "I'm connecting you with a member of our team; they will reply here shortly.";
    for (let i = 0; i < 400; i++)
      fake.script.push(say(words, { type: 'handoff', reason: 'asked for a person' }));
    const report = await runEval({
      dir: holdoutDir,
      engine: (input, tools) => llmReply(input, tools, { timeoutMs: 10_000 }),
      overrides: {
        model: { provider: 'openai_compatible', name: 'fake-model', baseUrl: fake.url, apiKey: null },
      },
    });
    const handoffs = report.failures.filter((f) => f.category === 'handoff_hinglish');
    assert.ok(handoffs.every((f) => !f.problems.some((p) => p.startsWith('action: expected handoff'))));
    assert.ok(report.byCategory.handoff_hinglish.total > 0);
  });
});
