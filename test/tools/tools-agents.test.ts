import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { eventually, forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';

/**
 * Agents use the workspace's tools in chat, with the built-in engine (a trigger, arguments from
 * the schema's patterns, a reply template) and with an LLM (the structured `tool` action, answered
 * by a local server speaking OpenAI's chat completions protocol), against a local fake of a
 * shop's API. A write tool runs once, after the customer confirmed its read-back, never before.
 */
forEachStorage('tools used by agents in chat', (storage) => {
  let t: TestApp;
  let shop: FakeBusiness;
  let llm: FakeLlm;
  let n = 0;
  const nextPhone = () => `+1415555${String(2000 + ++n).slice(-4)}`;

  before(async () => {
    shop = await startFakeBusiness();
    llm = await startFakeLlm();
    t = await startTestApp(storage, {
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 10_000 } }) : m,
      ),
    });
    shop.on('GET', '/orders/5531', (_req, res) =>
      json(res, 200, { id: '5531', status: 'shipped', eta: 'Friday' }),
    );
  });
  after(async () => {
    await t?.close();
    await shop?.close();
    await llm?.close();
  });

  const orderStatus = () => ({
    name: 'order_status',
    description: 'Looks up the status of an order by its number.',
    effect: 'read',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}', description: 'your order number' } },
      required: ['order_id'],
    },
    request: { method: 'GET', url: `${shop.url}/orders/{order_id}` },
    trigger: { keywords: ['order'], examples: ['where is my parcel'] },
    reply: 'Your order {{args.order_id}} is {{result.status}} and should arrive {{result.eta}}.',
    save: {
      contact_attributes: { last_order_status: 'status' },
      conversation_variables: { order_eta: 'eta' },
    },
  });
  const paymentLink = () => ({
    name: 'payment_link',
    description: 'Sends a payment link for an amount to the customer.',
    effect: 'write',
    confirmation:
      'I will send a payment link for {{args.amount}} dollars to {{contact.phone}}. Shall I go ahead?',
    input_schema: {
      type: 'object',
      properties: { amount: { type: 'integer', description: 'the amount' } },
      required: ['amount'],
    },
    request: {
      method: 'POST',
      url: `${shop.url}/payment-links`,
      body: { amount: '{{args.amount}}', phone: '{{contact.phone}}' },
    },
    trigger: { keywords: ['payment link'] },
    reply: 'Done: the link is on its way.',
  });

  /** A workspace whose only agent has these tools (built-in unless a model is given). */
  const setUp = async (tools: Array<Record<string, unknown>>, model?: Record<string, unknown>) => {
    const ws = await t.workspace({ default_country: 'US' });
    const ids: string[] = [];
    for (const body of tools) {
      const r = await t.call('POST', '/v1/tools', { key: ws.test, body });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
    }
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Corner Shop', tools: ['handoff', ...ids], ...(model ? { model } : {}) },
    });
    assert.equal(agent.status, 201, agent.text);
    return { key: ws.test, toolIds: ids };
  };
  const chat = (key: string) => {
    const from = nextPhone();
    let conv = '';
    let seen = 0;
    return {
      from,
      conv: () => conv,
      async say(text: string): Promise<string> {
        const r = await t.call('POST', '/v1/sandbox/inbound', { key, body: { from, text } });
        assert.ok(r.status < 300, r.text);
        conv = r.body.conversation_id;
        seen++;
        const replies = await eventually(async () => {
          const m = await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key });
          const ai = (m.body.data as any[]).filter((x) => x.sender.type === 'ai');
          return ai.length >= seen ? ai : null;
        }, 20_000);
        return replies.at(-1).text as string;
      },
    };
  };
  const toolCalls = async (key: string, conv: string) =>
    (await t.call('GET', `/v1/conversations/${conv}/tool-calls`, { key })).body.data as any[];

  it('built-in: "where is my order 5531?" runs the read tool and answers from the reply template', async () => {
    const { key } = await setUp([orderStatus()]);
    const c = chat(key);
    const before = shop.requests.length;
    const reply = await c.say('Hi, where is my order 5531?');
    assert.equal(reply, 'Your order 5531 is shipped and should arrive Friday.');
    assert.equal(shop.requests.length, before + 1);
    assert.equal(shop.requests.at(-1)!.path, '/orders/5531');
    const calls = await toolCalls(key, c.conv());
    assert.equal(calls.length, 1);
    assert.equal(calls[0].status, 'ok');
    assert.deepEqual(calls[0].args, { order_id: '5531' });
    // `save`: the result's values kept on the contact and the conversation.
    const conv = await t.call('GET', `/v1/conversations/${c.conv()}`, { key });
    assert.equal(conv.body.dynamic_variables.order_eta, 'Friday');
    const contact = await t.call('GET', `/v1/contacts/${conv.body.contact.id}`, { key });
    assert.equal(contact.body.attributes.last_order_status, 'shipped');
    // Without the number the agent asks for it, then runs the tool with it.
    const d = chat(key);
    assert.equal(await d.say('can you check my order?'), 'Could you tell me your order number?');
    assert.equal(await d.say('it is 5531'), 'Your order 5531 is shipped and should arrive Friday.');
  });

  it('a replay answers tools with the responses recorded live, never calling the business', async () => {
    const { key } = await setUp([orderStatus()]);
    const agents = await t.call('GET', '/v1/agents', { key });
    const agentId = agents.body.data[0].id;
    shop.on('GET', '/orders/6006', (_req, res) =>
      json(res, 200, { id: '6006', status: 'shipped', eta: 'Friday' }),
    );
    const c = chat(key);
    assert.equal(
      await c.say('where is my order 6006?'),
      'Your order 6006 is shipped and should arrive Friday.',
    );
    // The business changed since: a replay still sees what it answered then.
    shop.on('GET', '/orders/6006', (_req, res) =>
      json(res, 200, { id: '6006', status: 'lost', eta: 'never' }),
    );
    const before = shop.requests.length;
    const r = await t.call('POST', `/v1/agents/${agentId}/replay`, {
      key,
      body: { conversation_ids: [c.conv()], draft: { greeting: 'Hello from the new draft!' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(shop.requests.length, before);
    const [only] = r.body.results;
    assert.equal(only.reply_now, 'Your order 6006 is shipped and should arrive Friday.');
    assert.equal(only.changed, false);
    const called = only.actions_now.find((a: { type: string }) => a.type === 'would_call_tool');
    assert.equal(called.data.status, 'replayed');
    const record = await t.call('GET', `/v1/tool-calls/${called.data.tool_call_id}`, { key });
    assert.equal(record.body.source, 'replay');
    assert.equal(record.body.conversation_id, null);
    // A draft that adds the tool, replayed on a conversation that never called it: not run.
    const toolId = record.body.tool_id;
    await t.call('PATCH', `/v1/agents/${agentId}`, { key, body: { tools: ['handoff'] } });
    const d = chat(key);
    await d.say('where is my order 8888?');
    const added = await t.call('POST', `/v1/agents/${agentId}/replay`, {
      key,
      body: { conversation_ids: [d.conv()], draft: { tools: ['handoff', toolId] } },
    });
    assert.equal(added.status, 200, added.text);
    const tried = added.body.results[0].actions_now.find(
      (a: { type: string }) => a.type === 'would_call_tool',
    );
    assert.equal(tried.data.code, 'not_recorded');
    assert.equal(added.body.results[0].changed, true);
    assert.equal(shop.requests.length, before);
  });

  it('built-in: a write tool is read back, runs once on yes and never before; a no runs nothing', async () => {
    let writes = 0;
    shop.on('POST', '/payment-links', (req, res) => {
      writes++;
      json(res, 201, { id: 'pl_1', echo: JSON.parse(req.body) });
    });
    const { key } = await setUp([paymentLink()]);
    const c = chat(key);
    const readBack = await c.say('Please send me a payment link for 40');
    assert.equal(readBack, `I will send a payment link for 40 dollars to ${c.from}. Shall I go ahead?`);
    assert.equal(writes, 0);
    assert.equal((await toolCalls(key, c.conv())).length, 0);
    assert.equal(await c.say('yes please'), 'Done: the link is on its way.');
    assert.equal(writes, 1);
    const sent = shop.requests.at(-1)!;
    // The phone is the contact's, bound by Parley; the call id is the idempotency key.
    assert.deepEqual(JSON.parse(sent.body), { amount: 40, phone: c.from });
    const calls = await toolCalls(key, c.conv());
    assert.equal(calls.length, 1);
    assert.equal(sent.headers['idempotency-key'], calls[0].id);
    const d = chat(key);
    await d.say('send a payment link for 15');
    assert.match(await d.say('no'), /haven't done that/);
    assert.equal(writes, 1);
  });

  it('LLM (tool_calling json): the tool action runs the read tool and the model answers from {ok, code, retryable, message, result}', async () => {
    const { key } = await setUp([orderStatus()], {
      provider: 'openai_compatible',
      name: 'llama3',
      base_url: llm.url,
      api_key: 'sk-test',
      tool_calling: 'json',
    });
    llm.requests.length = 0;
    llm.script.push(
      say('Let me check.', { type: 'tool', tool: 'order_status', args: { order_id: '5531' } }),
      say('Your order 5531 has shipped and arrives Friday.'),
    );
    const c = chat(key);
    const reply = await c.say('where is order 5531?');
    assert.equal(reply, 'Your order 5531 has shipped and arrives Friday.');
    assert.equal(llm.requests.length, 2);
    assert.match(llm.requests[0].messages[0].content, /order_status \(looks something up\)/);
    assert.equal(llm.requests[0].tools, undefined, 'a JSON-mode model is sent no functions');
    const fed = llm.requests[1].messages.at(-1).content as string;
    assert.match(fed, /"ok":true/);
    assert.match(fed, /"result":\{"id":"5531","status":"shipped","eta":"Friday"\}/);
    const calls = await toolCalls(key, c.conv());
    assert.equal(calls.length, 1);
    assert.equal(calls[0].agent_id !== null, true);
  });

  it('LLM: a write tool asked for by the model waits for the read-back yes, then runs once', async () => {
    let writes = 0;
    shop.on('POST', '/payment-links', (_req, res) => {
      writes++;
      json(res, 201, { id: 'pl_2', url: 'https://pay.example/pl_2' });
    });
    const { key } = await setUp([paymentLink()], {
      provider: 'openai_compatible',
      name: 'llama3',
      base_url: llm.url,
      api_key: 'sk-test',
    });
    llm.requests.length = 0;
    llm.script.push(say('Sending it now!', { type: 'tool', tool: 'payment_link', args: { amount: 25 } }));
    const c = chat(key);
    const readBack = await c.say('send me a payment link for 25 dollars');
    assert.equal(readBack, `I will send a payment link for 25 dollars to ${c.from}. Shall I go ahead?`);
    assert.equal(writes, 0);
    llm.script.push(say('The payment link is on its way: https://pay.example/pl_2'));
    const done = await c.say('yes');
    assert.equal(done, 'The payment link is on its way: https://pay.example/pl_2');
    assert.equal(writes, 1);
    assert.match(llm.requests.at(-1)!.messages.at(-1).content, /The customer confirmed/);
  });

  const ownModel = (extra: Record<string, unknown> = {}) => ({
    provider: 'openai_compatible',
    name: 'llama3',
    base_url: llm.url,
    api_key: 'sk-test',
    ...extra,
  });
  const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: JSON.stringify(args) });
  const toolMessages = (request: Record<string, any>) =>
    (request.messages as any[]).filter((m) => m.role === 'tool').map((m) => String(m.content));

  it('LLM (native): parallel tool_calls run the read tool twice, each result goes back as a tool message', async () => {
    shop.on('GET', '/orders/7000', (_req, res) =>
      json(res, 200, { id: '7000', status: 'packed', eta: 'Monday' }),
    );
    const { key } = await setUp([orderStatus()], ownModel({ tool_calling: 'native' }));
    llm.requests.length = 0;
    llm.script.push(
      {
        tool_calls: [call('order_status', { order_id: '5531' }), call('order_status', { order_id: '7000' })],
      },
      say('5531 has shipped (Friday); 7000 is packed (Monday).'),
    );
    const c = chat(key);
    assert.equal(
      await c.say('where are orders 5531 and 7000?'),
      '5531 has shipped (Friday); 7000 is packed (Monday).',
    );
    assert.equal(llm.requests.length, 2);
    const offered = (llm.requests[0].tools as any[]).find((f) => f.function.name === 'order_status');
    assert.deepEqual(offered.function.parameters.required, ['order_id']);
    assert.equal(offered.function.parameters.properties.order_id.type, 'string');
    assert.doesNotMatch(llm.requests[0].messages[0].content, /order_status \(looks something up\)/);
    assert.equal(llm.requests[0].stream, true);
    const fed = toolMessages(llm.requests[1]);
    assert.equal(fed.length, 2);
    assert.match(fed.join('\n'), /"status":"shipped"/);
    assert.match(fed.join('\n'), /"status":"packed"/);
    const calls = await toolCalls(key, c.conv());
    assert.deepEqual(calls.map((x) => x.status).sort(), ['ok', 'ok']);
  });

  it('LLM (native): args failing the schema go back to the model; a write is read back and runs once on yes', async () => {
    let writes = 0;
    shop.on('POST', '/payment-links', (_req, res) => {
      writes++;
      json(res, 201, { id: 'pl_3', url: 'https://pay.example/pl_3' });
    });
    const { key } = await setUp([paymentLink()], ownModel());
    llm.requests.length = 0;
    llm.script.push(
      { tool_calls: [call('payment_link', { amount: 'lots' })] },
      { tool_calls: [call('payment_link', { amount: 25 })] },
    );
    const c = chat(key);
    const readBack = await c.say('send me a payment link for 25 dollars');
    assert.equal(readBack, `I will send a payment link for 25 dollars to ${c.from}. Shall I go ahead?`);
    assert.match(toolMessages(llm.requests[1])[0]!, /invalid_args/);
    assert.equal(llm.requests.length, 2, 'the loop stops at the read-back');
    assert.equal(writes, 0);
    llm.script.push(say('The payment link is on its way: https://pay.example/pl_3'));
    assert.equal(await c.say('yes'), 'The payment link is on its way: https://pay.example/pl_3');
    assert.equal(writes, 1);
    const calls = await toolCalls(key, c.conv());
    assert.equal(calls.length, 1);
    assert.equal(calls[0].status, 'ok');
  });

  it('LLM (auto): a server that refuses tools is asked again with the JSON tool action', async () => {
    const { key } = await setUp([orderStatus()], ownModel());
    llm.requests.length = 0;
    llm.script.push(
      {
        status: 400,
        body: '{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools"}}',
      },
      say('Let me check.', { type: 'tool', tool: 'order_status', args: { order_id: '5531' } }),
      say('Your order 5531 has shipped and arrives Friday.'),
    );
    const c = chat(key);
    assert.equal(await c.say('where is order 5531?'), 'Your order 5531 has shipped and arrives Friday.');
    assert.ok(Array.isArray(llm.requests[0].tools));
    assert.equal(llm.requests[1].tools, undefined);
    assert.match(llm.requests[1].messages[0].content, /order_status \(looks something up\)/);
  });

  it('a failing tool follows on_error: say tells the customer, handoff escalates; neither leaks the error', async () => {
    shop.on('GET', '/orders/666', (_req, res) => json(res, 500, { error: 'db password is hunter2' }));
    const { key } = await setUp([
      { ...orderStatus(), on_error: 'handoff', error_message: "Sorry, I can't reach our order system." },
    ]);
    const c = chat(key);
    const reply = await c.say('where is my order 666?');
    assert.match(reply, /^Sorry, I can't reach our order system\. I'm connecting you/);
    assert.doesNotMatch(reply, /hunter2|500/);
    const conv = await t.call('GET', `/v1/conversations/${c.conv()}`, { key });
    assert.equal(conv.body.ai_paused, true);
    const calls = await toolCalls(key, c.conv());
    assert.equal(calls[0].status, 'failed');
    assert.equal(calls[0].code, 'http_error');
  });

  it('the playground (POST /v1/agents/{id}/test) answers from a mock and never sends a write', async () => {
    let writes = 0;
    shop.on('POST', '/payment-links', (_req, res) => {
      writes++;
      json(res, 201, {});
    });
    const ws = await t.workspace({ default_country: 'US' });
    const ids: string[] = [];
    for (const body of [
      {
        ...orderStatus(),
        mocks: [
          { when: { order_id: '4242' }, response: { body: { status: 'delivered', eta: 'yesterday' } } },
        ],
      },
      paymentLink(),
    ]) {
      const r = await t.call('POST', '/v1/tools', { key: ws.test, body });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
    }
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Corner Shop', tools: ids },
    });
    const before = shop.requests.length;
    const r = await t.call('POST', `/v1/agents/${agent.body.id}/test`, {
      key: ws.test,
      body: { message: 'where is my order 4242?' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.reply, 'Your order 4242 is delivered and should arrive yesterday.');
    assert.equal(r.body.actions[0].type, 'would_call_tool');
    assert.equal(r.body.actions[0].data.status, 'mocked');
    assert.equal(shop.requests.length, before);
    const write = await t.call('POST', `/v1/agents/${agent.body.id}/test`, {
      key: ws.test,
      body: { message: 'send me a payment link for 40' },
    });
    assert.equal(write.status, 200, write.text);
    assert.match(write.body.reply, /payment link for 40 dollars.*Shall I go ahead\?/);
    assert.equal(write.body.actions[0].type, 'tool_proposed');
    assert.equal(writes, 0);
  });
});
