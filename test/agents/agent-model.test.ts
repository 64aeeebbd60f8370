import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * An agent's model settings through the API: provider presets, tool calling mode, time budget
 * and fallback chain; bad values are a 400 naming the field; no key is ever returned.
 */
forEachStorage('agent model settings', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'US' });
  });
  after(async () => {
    await t?.close();
  });

  const create = (model: unknown) =>
    t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow Salon', model } });

  it('keeps the preset, mode, budget and fallbacks; fallback keys are write-only', async () => {
    const r = await create({
      provider: 'ollama',
      name: 'llama3.1:8b',
      tool_calling: 'json',
      timeout_ms: 45_000,
      fallbacks: [{ provider: 'groq', name: 'llama-3.1-8b-instant', api_key: 'gsk-secret-1' }, 'builtin'],
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.model, {
      provider: 'ollama',
      name: 'llama3.1:8b',
      base_url: null,
      api_key_set: false,
      tool_calling: 'json',
      timeout_ms: 45_000,
      fallbacks: [
        { provider: 'groq', name: 'llama-3.1-8b-instant', base_url: null, api_key_set: true },
        'builtin',
      ],
    });
    assert.doesNotMatch(r.text, /gsk-secret-1/);
    const patched = await t.call('PATCH', `/v1/agents/${r.body.id}`, {
      key: ws.test,
      body: { model: { timeout_ms: null } },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.model.timeout_ms, null);
    assert.equal(patched.body.model.tool_calling, 'json');
    assert.equal(patched.body.model.fallbacks.length, 2);
    const got = await t.call('GET', `/v1/agents/${r.body.id}`, { key: ws.test });
    assert.doesNotMatch(got.text, /gsk-secret-1/);
  });

  it('refuses bad model settings with a 400 naming the field', async () => {
    for (const [model, field] of [
      [{ provider: 'ollama', name: 'x', tool_calling: 'sometimes' }, 'model.tool_calling'],
      [{ provider: 'ollama', name: 'x', timeout_ms: 10 }, 'model.timeout_ms'],
      [{ provider: 'azure', name: 'gpt-4o' }, 'model.base_url'],
      [
        { provider: 'ollama', name: 'x', fallbacks: [{ provider: 'azure', name: 'gpt-4o' }] },
        'model.fallbacks.0.base_url',
      ],
      [{ provider: 'ollama', name: 'x', fallbacks: ['nothing'] }, 'model.fallbacks.0'],
      [
        { provider: 'ollama', name: 'x', fallbacks: ['builtin', 'builtin', 'builtin', 'builtin'] },
        'model.fallbacks',
      ],
    ] as const) {
      const r = await create(model);
      assert.equal(r.status, 400, `${JSON.stringify(model)}: ${r.text}`);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.ok(
        (r.body.error.errors as Array<{ field: string }>).some((e) => e.field === field),
        `${field}: ${JSON.stringify(r.body.error.errors)}`,
      );
    }
  });
});
