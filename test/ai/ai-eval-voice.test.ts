import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { say, startFakeLlm } from '../support/fake-llm.ts';

const run = promisify(execFile);
const cwd = new URL('../..', import.meta.url);
const script = ['--disable-warning=ExperimentalWarning', 'scripts/ai-eval.ts', '--voice'];

/** `npm run eval -- --voice` (issue 30): the text and voice scores side by side. */
describe('npm run eval -- --voice', () => {
  it('without the speech engines: a plain message, exit 0, nothing scored', async () => {
    // Only node's own directory on PATH: no espeak-ng, no pocketsphinx.
    const { stdout } = await run(process.execPath, script, {
      cwd,
      env: { ...process.env, PATH: dirname(process.execPath) },
    });
    assert.match(stdout, /built-in speech engines are not installed.*Nothing scored/);
    assert.doesNotMatch(stdout, /\| score/);
  });

  it('prints the text and voice scores and pass^k; normalising recognised speech closes the gap', async () => {
    const score = async (...flags: string[]) => {
      const { stdout } = await run(process.execPath, [...script, '--ideal-stt', '--runs', '2', ...flags], {
        cwd,
      });
      assert.match(stdout, /\| \| text \| voice \|/);
      assert.match(stdout, /\| pass\^2 \| \d+\.\d% \| \d+\.\d% \|/);
      const m = /\| score \(run 1\) \| (\d+)\/(\d+) .*\| (\d+)\/\d+ /.exec(stdout);
      assert.ok(m, stdout);
      return { text: Number(m[1]), total: Number(m[2]), voice: Number(m[3]) };
    };
    const raw = await score('--raw-speech');
    const normalised = await score();
    assert.equal(raw.text, normalised.text);
    assert.ok(raw.voice < normalised.voice, `raw ${raw.voice}, normalised ${normalised.voice}`);
    assert.ok(normalised.voice >= normalised.total - 1, `${normalised.voice}/${normalised.total}`);
  });

  it('with --model --base-url the voice run goes through the LLM path, fed what was heard', async () => {
    const fake = await startFakeLlm();
    try {
      for (let i = 0; i < 10; i++) fake.script.push(say('Thanks, noted.'));
      const { stdout } = await run(
        process.execPath,
        [...script, '--ideal-stt', '--limit', '1', '--model', 'fake-model', '--base-url', fake.url],
        { cwd },
      );
      assert.match(stdout, /Engine: fake-model at /);
      assert.match(stdout, /\| score \(run 1\) \|/);
      // The first case (clinic/lead): its phone number said digit by digit, then joined again.
      const heard = fake.requests.map((r) => r.messages.at(-1).content);
      assert.ok(heard.includes("i'm Vikram Joshi my number is 9822012345"), heard.join(' | '));
      assert.ok(heard.includes("I'm Vikram Joshi, my number is 9822012345"), 'and the text run');
    } finally {
      await fake.close();
    }
  });
});
