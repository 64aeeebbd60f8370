import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/webhooks.ts';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { type FakeMcp, startFakeMcp } from '../support/fake-mcp.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * `type: mcp` tools against a real MCP server (the SDK's own, streamable HTTP, on 127.0.0.1): its
 * tools imported from `tools/list`, called with `tools/call` under the same rules as an HTTP tool
 * (private addresses only when listed, the budget, secrets in headers masked, signed requests,
 * records), and used by an LLM agent: a read at once, a write only after the customer's yes.
 */
forEachStorage('MCP tools', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let mcp: FakeMcp;
  let llm: FakeLlm;
  let signing: string;
  let n = 0;

  before(async () => {
    mcp = await startFakeMcp();
    llm = await startFakeLlm();
    t = await startTestApp(storage, {
      env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0' },
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 10_000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'US' });
    const s = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    signing = s.body.signing_secret;
    const secret = await t.call('POST', '/v1/secrets', {
      key: ws.test,
      body: { name: 'mcp_token', value: 'sk_mcp_0123456789' },
    });
    assert.equal(secret.status, 201, secret.text);
  });
  after(async () => {
    await t?.close();
    await mcp?.close();
    await llm?.close();
  });

  const shop = (extra: Record<string, unknown> = {}) => ({
    name: `shop${++n}`,
    type: 'mcp',
    description: "The shop's order system.",
    mcp: { url: mcp.url, headers: { authorization: 'Bearer {{secret.mcp_token}}' } },
    ...extra,
  });
  const create = async (body: Record<string, unknown>, key = ws.test) => {
    const r = await t.call('POST', '/v1/tools', { key, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  it("imports the server's tools: read-only ones are reads, others writes; the token is sent, never shown", async () => {
    const before = mcp.requests.length;
    const tool = await create(shop());
    assert.equal(tool.type, 'mcp');
    assert.equal(tool.mcp.url, mcp.url);
    assert.equal(tool.mcp.headers.authorization, 'Bearer {{secret.mcp_token}}');
    const byName = Object.fromEntries(tool.mcp.imported.map((x: any) => [x.name, x]));
    assert.deepEqual(Object.keys(byName).sort(), ['broken', 'cancel_order', 'get_order', 'slow_lookup']);
    assert.equal(byName.get_order.effect, 'read');
    assert.equal(byName.cancel_order.effect, 'write');
    assert.equal(byName.get_order.agent_name, `${tool.name}__get_order`);
    assert.deepEqual(byName.get_order.input_schema.required, ['order_id']);
    assert.equal(byName.get_order.input_schema.properties.order_id.type, 'string');
    assert.equal(byName.get_order.input_schema.$schema, undefined);
    const seen = mcp.requests.slice(before);
    assert.deepEqual(
      seen.map((r) => r.method),
      ['initialize', 'notifications/initialized', 'tools/list'],
    );
    assert.ok(seen.every((r) => r.headers.authorization === 'Bearer sk_mcp_0123456789'));
    // Each request of the exchange is signed with the workspace's tool key.
    const last = seen.at(-1)!;
    assert.doesNotThrow(() => verifyWebhook(signing, last.headers as Record<string, string>, last.body));
    // `include` keeps some; `tools` sets an effect.
    const some = await create(
      shop({
        mcp: {
          url: mcp.url,
          headers: { authorization: 'Bearer {{secret.mcp_token}}' },
          include: ['get_order', 'cancel_order'],
          tools: {
            cancel_order: { confirmation: 'I will cancel order {{args.order_id}}. Shall I go ahead?' },
          },
        },
      }),
    );
    assert.deepEqual(
      some.mcp.imported.map((x: any) => [x.name, x.effect, x.confirmation]),
      [
        ['get_order', 'read', null],
        ['cancel_order', 'write', 'I will cancel order {{args.order_id}}. Shall I go ahead?'],
      ],
    );
  });

  it('refuses what cannot be an MCP tool with a clear 4xx', async () => {
    const other = await t.workspace({ default_country: 'US' });
    // 127.0.0.1 is private and this workspace does not list it.
    const blocked = await t.call('POST', '/v1/tools', {
      key: other.test,
      body: shop({ mcp: { url: mcp.url } }),
    });
    assert.equal(blocked.status, 422, blocked.text);
    assert.equal(blocked.body.error.failure, 'blocked_address');
    const metadata = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: shop({ mcp: { url: 'http://169.254.169.254/mcp' } }),
    });
    assert.equal(metadata.status, 422, metadata.text);
    assert.equal(metadata.body.error.failure, 'blocked_address');
    const bad = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: shop({ mcp: { url: 'ftp://example.com/mcp', headers: { 'x-token': '{{secret.nope}}' } } }),
    });
    assert.equal(bad.status, 400, bad.text);
    const fields = bad.body.error.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('mcp.url') && fields.includes('mcp.headers.x-token'), bad.text);
    const noMcp = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: { name: 'x', type: 'mcp', description: 'x' },
    });
    assert.equal(noMcp.status, 400, noMcp.text);
  });

  it('tests one imported tool: tools/call, the result mapped, the secret masked in the record', async () => {
    const tool = await create(shop());
    const r = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'get_order', args: { order_id: '5531' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ok, true, r.text);
    assert.deepEqual(r.body.call.result, { id: '5531', status: 'shipped', eta: 'Friday' });
    assert.equal(r.body.call.tool_name, `${tool.name}__get_order`);
    assert.equal(r.body.call.request.headers.authorization, 'Bearer [secret:mcp_token]');
    assert.deepEqual(r.body.call.request.body, {
      method: 'tools/call',
      params: { name: 'get_order', arguments: { order_id: '5531' } },
    });
    assert.doesNotMatch(JSON.stringify(r.body), /sk_mcp_0123456789/);
    const which = await t.call('POST', `/v1/tools/${tool.id}/test`, { key: ws.test, body: { args: {} } });
    assert.equal(which.status, 400, which.text);
    // Arguments are checked against the imported schema before anything is sent.
    const invalid = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'get_order', args: { order: 1 } },
    });
    assert.equal(invalid.body.call.code, 'invalid_args');
    // A write is only rendered unless live.
    const write = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'cancel_order', args: { order_id: '77' } },
    });
    assert.equal(write.body.call.status, 'skipped');
    assert.deepEqual(mcp.cancelled, []);
  });

  it("PATCH imports again; a mock naming an imported tool answers that one's test", async () => {
    const tool = await create(
      shop({
        mocks: [{ tool: 'get_order', when: { order_id: '1234' }, response: { body: { status: 'mocked' } } }],
      }),
    );
    const mocked = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'get_order', args: { order_id: '1234' } },
    });
    assert.equal(mocked.body.call.status, 'mocked');
    assert.deepEqual(mocked.body.call.result, { status: 'mocked' });
    const lists = mcp.requests.filter((r) => r.method === 'tools/list').length;
    const patched = await t.call('PATCH', `/v1/tools/${tool.id}`, {
      key: ws.test,
      body: {
        mcp: {
          url: mcp.url,
          headers: { authorization: 'Bearer {{secret.mcp_token}}' },
          include: ['get_order'],
        },
      },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(
      patched.body.mcp.imported.map((x: { name: string }) => x.name),
      ['get_order'],
    );
    assert.equal(mcp.requests.filter((r) => r.method === 'tools/list').length, lists + 1);
    const gone = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'cancel_order', args: { order_id: '1' } },
    });
    assert.equal(gone.status, 400, gone.text);
  });

  it('an MCP error answer and a server slower than the budget fail cleanly', async () => {
    // The budget also covers reading the server's tools at creation: 4 s, which a loaded machine's
    // in-process fake answers within; the slow tool takes 15 s, so only the budget ends it early.
    const tool = await create(shop({ timeout_ms: 4000 }));
    const broken = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'broken', args: {} },
    });
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.call.code, 'tool_error');
    mcp.slowMs = 15_000;
    const started = Date.now();
    const slow = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: 'slow_lookup', args: {} },
    });
    mcp.slowMs = 0;
    assert.equal(slow.body.call.code, 'timeout', slow.text);
    assert.ok(Date.now() - started < 12_000, `the budget ended the call (${Date.now() - started} ms)`);
  });

  it('an LLM agent reads with an MCP tool at once, and cancels only after the yes', async () => {
    const other = await t.workspace({ default_country: 'US' });
    await t.call('PATCH', '/v1/tool-settings', {
      key: other.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    const tool = await create(shop({ mcp: { url: mcp.url } }), other.test);
    const agent = await t.call('POST', '/v1/agents', {
      key: other.test,
      body: {
        name: 'Corner Shop',
        tools: [tool.id],
        model: { provider: 'openai_compatible', name: 'llama3', base_url: llm.url, api_key: 'sk-test' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const from = '+14155553001';
    let conv = '';
    let seen = 0;
    const sayTo = async (text: string) => {
      const r = await t.call('POST', '/v1/sandbox/inbound', { key: other.test, body: { from, text } });
      conv = r.body.conversation_id;
      seen++;
      const replies = await eventually(async () => {
        const m = await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: other.test });
        const ai = (m.body.data as any[]).filter((x) => x.sender.type === 'ai');
        return ai.length >= seen ? ai : null;
      }, 20_000);
      return replies.at(-1).text as string;
    };
    llm.requests.length = 0;
    llm.script.push(
      say('Let me check.', { type: 'tool', tool: `${tool.name}__get_order`, args: { order_id: '5531' } }),
      say('Order 5531 has shipped and arrives Friday.'),
    );
    assert.equal(await sayTo('where is order 5531?'), 'Order 5531 has shipped and arrives Friday.');
    // Offered as a function (tool_calling auto); the JSON tool action a model writes anyway is read too.
    const offered = (llm.requests[0].tools as Array<{ function: { name: string } }>).map(
      (f) => f.function.name,
    );
    assert.ok(offered.includes(`${tool.name}__get_order`), offered.join(', '));
    assert.match(llm.requests[1].messages.at(-1).content, /"status":"shipped"/);

    llm.script.push(
      say('Cancelling now.', {
        type: 'tool',
        tool: `${tool.name}__cancel_order`,
        args: { order_id: '5531' },
      }),
    );
    const readBack = await sayTo('cancel order 5531 please');
    assert.match(readBack, /Shall I go ahead\?$/);
    assert.deepEqual(mcp.cancelled, []);
    llm.script.push(say('Order 5531 is cancelled.'));
    assert.equal(await sayTo('yes'), 'Order 5531 is cancelled.');
    assert.deepEqual(mcp.cancelled, ['5531']);
    const calls = (await t.call('GET', `/v1/conversations/${conv}/tool-calls`, { key: other.test })).body
      .data;
    assert.deepEqual(
      calls.map((c: any) => [c.tool_name, c.effect, c.status, c.attempts]),
      [
        [`${tool.name}__get_order`, 'read', 'ok', 1],
        [`${tool.name}__cancel_order`, 'write', 'ok', 1],
      ],
    );
    // The write's requests carried the tool call id as Idempotency-Key.
    const cancel = mcp.requests.filter((r) => r.method === 'tools/call').at(-1)!;
    assert.equal(cancel.headers['idempotency-key'], calls[1].id);
  });
});
