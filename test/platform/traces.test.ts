import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { eventually, forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';

/**
 * Traces, sent to a local OTLP/HTTP collector: a span per request, per job run, per provider send,
 * per LLM call and per tool call, the ones a job causes nested under its span, with the
 * conversation's id where it is known.
 */
forEachStorage('traces', (storage) => {
  let t: TestApp;
  let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let shop: FakeBusiness;
  let llm: FakeLlm;

  before(async () => {
    collector = await startOtlpReceiver();
    shop = await startFakeBusiness();
    llm = await startFakeLlm();
    shop.on('GET', '/orders/5531', (_req, res) => json(res, 200, { id: '5531', status: 'shipped' }));
    t = await startTestApp(storage, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'parley-traces-test' },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
  });
  after(async () => {
    await t?.close();
    await collector?.close();
    await shop?.close();
    await llm?.close();
  });

  const span = (pred: (s: ReceivedSpan) => boolean) =>
    eventually(async () => collector.spans.find(pred), 20_000);
  const byId = (id: string | undefined) => collector.spans.find((s) => s.spanId === id);

  it('a request has a span named by its route pattern, with its status, in the service named by OTEL_SERVICE_NAME', async () => {
    const ws = await t.workspace();
    const r = await t.call('GET', '/v1/contacts?per_page=5', { key: ws.test });
    assert.equal(r.status, 200);
    const missing = await t.call('GET', '/v1/conversations/conv_0000000000000000000000000', { key: ws.test });
    assert.equal(missing.status, 404);
    const list = await span((s) => s.name === 'GET /v1/contacts');
    assert.equal(list.kind, 2, 'a server span');
    assert.equal(list.service, 'parley-traces-test');
    assert.equal(list.attributes['http.route'], '/v1/contacts');
    assert.equal(list.attributes['http.request.method'], 'GET');
    assert.equal(list.attributes['http.response.status_code'], 200);
    assert.equal(list.attributes['parley.workspace_id'], ws.id);
    assert.equal(list.parentSpanId, undefined);
    const notFound = await span((s) => s.name === 'GET /v1/conversations/:id');
    assert.equal(notFound.attributes['http.response.status_code'], 404);
    assert.equal(notFound.attributes['parley.conversation_id'], 'conv_0000000000000000000000000');
    // A caller's `traceparent`: the request's span joins the caller's trace, under its span.
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const joined = await t.call('GET', '/v1/contacts?per_page=1', {
      key: ws.test,
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(joined.status, 200);
    const child = await span((s) => s.traceId === traceId);
    assert.equal(child.name, 'GET /v1/contacts');
    assert.equal(child.parentSpanId, callerSpan);
    assert.deepEqual(collector.refused, []);
  });

  it("an agent's reply: the job's span holds the LLM calls and the tool call, and the send job the provider's send, each with the conversation", async () => {
    const ws = await t.workspace({ default_country: 'US' });
    const tool = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: {
        name: 'order_status',
        description: 'Looks up the status of an order by its number.',
        effect: 'read',
        input_schema: {
          type: 'object',
          properties: { order_id: { type: 'string', description: 'the order number' } },
          required: ['order_id'],
        },
        request: { method: 'GET', url: `${shop.url}/orders/{order_id}` },
      },
    });
    assert.equal(tool.status, 201, tool.text);
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Corner Shop',
        tools: ['handoff', tool.body.id],
        model: { provider: 'openai_compatible', name: 'llama3', base_url: llm.url, api_key: 'sk-test-trace' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    llm.script.push(
      say('Let me check.', { type: 'tool', tool: 'order_status', args: { order_id: '5531' } }),
      say('Your order 5531 has shipped.'),
    );
    const inbound = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155552671', text: 'where is order 5531?' },
    });
    assert.ok(inbound.status < 300, inbound.text);
    const conv = inbound.body.conversation_id as string;

    const toolSpan = await span(
      (s) => s.name === 'tool order_status' && s.attributes['parley.conversation_id'] === conv,
    );
    assert.equal(toolSpan.attributes['parley.tool.name'], 'order_status');
    assert.equal(toolSpan.attributes['parley.tool.ok'], true);
    const llmSpans = await eventually(async () => {
      const found = collector.spans.filter((s) => s.name === 'llm llama3' && s.traceId === toolSpan.traceId);
      return found.length >= 2 ? found : null;
    }, 20_000);
    for (const l of llmSpans) {
      assert.equal(l.attributes['gen_ai.request.model'], 'llama3');
      assert.equal(l.attributes['parley.llm.purpose'], 'reply');
      assert.equal(l.attributes['parley.conversation_id'], conv);
      assert.equal(typeof l.attributes['gen_ai.usage.input_tokens'], 'number');
    }
    // Both nest under the job that ran the agent, which names its queue, its job and the conversation.
    const job = await eventually(async () => byId(toolSpan.parentSpanId), 20_000);
    assert.match(job.name, /^job /);
    assert.equal(job.attributes['parley.job.queue'], job.name.slice(4));
    assert.equal(typeof job.attributes['parley.job.id'], 'string');
    assert.equal(job.attributes['parley.conversation_id'], conv);
    for (const l of llmSpans) assert.equal(l.parentSpanId, job.spanId);

    // The reply goes out through the sandbox provider, in a span under the send job's.
    const send = await span(
      (s) => s.name === 'send sandbox' && s.attributes['parley.conversation_id'] === conv,
    );
    assert.equal(send.kind, 3, 'a client span');
    const sendJob = await eventually(async () => byId(send.parentSpanId), 20_000);
    assert.match(sendJob.name, /^job /);
    assert.equal(sendJob.traceId, send.traceId);
    assert.ok(!JSON.stringify(collector.spans).includes('sk-test-trace'), 'no key in a span');
  });
});
