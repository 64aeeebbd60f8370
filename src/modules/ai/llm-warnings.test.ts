import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { routeAiSdkWarnings } from './llm-warnings.ts';

describe("the AI SDK's warnings", () => {
  it('are structured log lines, one per kind of warning and model, never a console line per request', (t) => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const consoleWarn = t.mock.method(console, 'warn', () => {});
    const before = (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS;
    try {
      const hook = routeAiSdkWarnings(logger);
      assert.equal((globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS, hook);
      const warning = {
        warnings: [
          { type: 'unsupported', feature: 'responseFormat', details: 'JSON schema needs structuredOutputs' },
        ],
        provider: 'openai_compatible.chat',
        model: 'llama3',
      };
      for (let i = 0; i < 8; i++) hook(warning);
      hook({ ...warning, model: 'qwen2.5' });
      assert.equal(lines.length, 2);
      assert.equal(lines[0]!.feature, 'responseFormat');
      assert.equal(lines[0]!.model, 'llama3');
      assert.equal(lines[0]!.level, 40);
      assert.equal(lines[1]!.model, 'qwen2.5');
      assert.equal(consoleWarn.mock.callCount(), 0);
    } finally {
      (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = before;
    }
  });
});
