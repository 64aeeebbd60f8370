import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.ts';
import {
  type FakeProtocolServer,
  startFakeAnthropic,
  startFakeGemini,
} from '../support/fake-llm-protocols.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * `POST /v1/agents/{id}/model-check` against local fakes of each protocol: OpenAI's chat
 * completions (SSE chunks, tool_calls), Anthropic's messages (its SSE events, tool_use) and
 * Gemini's generateContent / streamGenerateContent; and what a wrong setting looks like.
 */
forEachStorage('model check', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let openai: FakeLlm;
  let anthropic: FakeProtocolServer;
  let gemini: FakeProtocolServer;

  before(async () => {
    [openai, anthropic, gemini] = await Promise.all([
      startFakeLlm(),
      startFakeAnthropic(),
      startFakeGemini(),
    ]);
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'US' });
  });
  after(async () => {
    await t?.close();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
  });

  const check = async (model: Record<string, unknown> | null, key = ws.test) => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Glow Salon', ...(model ? { model } : {}) },
    });
    assert.equal(agent.status, 201, agent.text);
    return t.call('POST', `/v1/agents/${agent.body.id}/model-check`, { key });
  };
  const works = {
    reachable: true,
    model_found: true,
    streaming: true,
    tool_calling: true,
    json_output: true,
    error: null,
  };
  const seen = (body: Record<string, unknown>) => {
    const { reachable, model_found, streaming, tool_calling, json_output, error } = body;
    return { reachable, model_found, streaming, tool_calling, json_output, error };
  };

  it('an OpenAI-compatible server (the ollama preset with its base URL given)', async () => {
    openai.script.push(
      { content: 'OK' },
      { tool_calls: [{ name: 'current_time', arguments: '{"city":"Mumbai"}' }] },
      { content: '{"ok": true}' },
    );
    const r = await check({ provider: 'ollama', name: 'llama3.1:8b', base_url: openai.url });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(seen(r.body), works);
    assert.equal(typeof r.body.latency_ms, 'number');
    assert.equal(openai.requests.at(-3)!.stream, true);
    assert.equal(openai.requests.at(-2)!.tool_choice, 'required');
  });

  it("Anthropic's messages API", async () => {
    const r = await check({
      provider: 'anthropic',
      name: 'claude-haiku',
      base_url: `${anthropic.url}/v1`,
      api_key: 'sk-ant',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(seen(r.body), works);
    assert.equal(anthropic.requests[0]!.body.stream, true);
    assert.doesNotMatch(r.text, /sk-ant/);
  });

  it("Google Gemini's generateContent API", async () => {
    const r = await check({
      provider: 'google',
      name: 'gemini-2.0-flash',
      base_url: `${gemini.url}/v1beta`,
      api_key: 'g-key',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(seen(r.body), works);
    assert.match(gemini.requests[0]!.path, /:streamGenerateContent\?alt=sse/);
  });

  it('Azure OpenAI: the deployment as the model, the key in the api-key header', async () => {
    openai.script.push(
      { content: 'OK' },
      { tool_calls: [{ name: 'current_time', arguments: '{"city":"Mumbai"}' }] },
      { content: '{"ok": true}' },
    );
    const before = openai.requests.length;
    const r = await check({
      provider: 'azure',
      name: 'support-gpt4o',
      base_url: openai.url,
      api_key: 'az-key-1',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(seen(r.body), works);
    const sent = openai.requests.slice(before);
    assert.equal(sent.length, 3);
    for (const req of sent) {
      assert.equal(req.model, 'support-gpt4o');
      assert.equal(req.headers['api-key'], 'az-key-1');
      assert.equal(req.headers.authorization, undefined);
    }
  });

  it('a model the server does not have, a server that is down, a built-in agent', async () => {
    const missing = await check({
      provider: 'anthropic',
      name: 'missing',
      base_url: `${anthropic.url}/v1`,
      api_key: 'k',
    });
    assert.equal(missing.status, 200, missing.text);
    assert.equal(missing.body.reachable, true);
    assert.equal(missing.body.model_found, false);
    assert.ok(missing.body.error);
    const down = await check({ provider: 'openai_compatible', name: 'x', base_url: 'http://127.0.0.1:9/v1' });
    assert.equal(down.status, 200, down.text);
    assert.equal(down.body.reachable, false);
    assert.ok(down.body.error);
    const builtin = await check(null);
    assert.equal(builtin.status, 422, builtin.text);
    assert.equal(builtin.body.error.code, 'unprocessable');
  });
});
