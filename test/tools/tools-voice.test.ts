import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

/**
 * A workspace tool on a sandbox call: a slow one is covered by its holding phrase, heard before
 * the answer; one that does not answer within the voice budget (3 s by default) is given up and
 * its `on_error` wording is spoken. `GET /v1/calls/{id}` lists the call's tool calls.
 */
forEachStorage('tools on a voice call', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let shop: FakeBusiness;
  let n = 0;
  const nextNumber = () => `+1415556${String(1000 + ++n).slice(-4)}`;

  before(async () => {
    shop = await startFakeBusiness();
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    ws = await t.workspace({ default_country: 'US' });
  });
  after(async () => {
    await t?.close();
    await shop?.close();
  });

  const agentWith = async (tool: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/tools', { key: ws.test, body: tool });
    assert.equal(r.status, 201, r.text);
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Corner Shop', greeting: 'Corner Shop, hello.', tools: [r.body.id] },
    });
    assert.equal(agent.status, 201, agent.text);
    return agent.body.id as string;
  };
  const orderTool = (path: string, extra: Record<string, unknown> = {}) => ({
    name: `order_status_${++n}`,
    description: 'Looks up an order.',
    effect: 'read',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}' } },
      required: ['order_id'],
    },
    request: { method: 'GET', url: `${shop.url}${path}` },
    trigger: { keywords: ['order'] },
    reply: 'Your order {{args.order_id}} is {{result.status}}.',
    ...extra,
  });
  const start = async (agentId: string, lines: string[]) => {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, to: nextNumber(), sandbox: { lines } }] },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.results[0].call.id as string;
  };
  const ended = (id: string) =>
    eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 30_000);
  const call = async (agentId: string, lines: string[]) => ended(await start(agentId, lines));
  const agentSaid = (c: { transcript: Array<{ role: string; text: string }> }) =>
    c.transcript.filter((x) => x.role === 'agent').map((x) => x.text);

  it('a slow tool: the holding phrase is heard first, then the answer', async () => {
    shop.on('GET', '/slow/5531', async (_req, res) => {
      // A slow system: it takes a second, well past holding_after_ms.
      await new Promise((r) => setTimeout(r, 1000));
      json(res, 200, { status: 'out for delivery' });
    });
    const agentId = await agentWith(
      orderTool('/slow/{order_id}', {
        voice: { holding_phrase: 'One moment while I look that up.', holding_after_ms: 150 },
      }),
    );
    const done = await call(agentId, ['Where is my order 5531?']);
    // The turn's sentences: the holding phrase first, then the answer.
    assert.equal(agentSaid(done)[1], 'One moment while I look that up. Your order 5531 is out for delivery.');
    assert.equal(done.tool_calls.length, 1);
    assert.equal(done.tool_calls[0].status, 'ok');
    assert.ok(done.tool_calls[0].latency_ms >= 150, `${done.tool_calls[0].latency_ms}`);
  });

  it('a fast tool: no holding phrase', async () => {
    shop.on('GET', '/fast/777', (_req, res) => json(res, 200, { status: 'delivered' }));
    const agentId = await agentWith(orderTool('/fast/{order_id}'));
    const done = await call(agentId, ['Where is my order 777?']);
    assert.equal(agentSaid(done)[1], 'Your order 777 is delivered.');
    assert.ok(!agentSaid(done).some((s) => /one moment/i.test(s)));
  });

  it('a tool that never answers: after the 3 s voice budget the on_error wording is spoken', async () => {
    shop.on('GET', '/hang/888', () => {
      // Never answers.
    });
    const agentId = await agentWith(
      orderTool('/hang/{order_id}', { error_message: "Sorry, our order system isn't answering." }),
    );
    const done = await call(agentId, ['Where is my order 888?']);
    const said = agentSaid(done);
    assert.equal(said[1], "One moment while I check that. Sorry, our order system isn't answering.");
    assert.equal(done.tool_calls[0].code, 'timeout');
    assert.ok(done.tool_calls[0].latency_ms >= 2900 && done.tool_calls[0].latency_ms < 4000);
  });
});

/**
 * The holding phrase never blocks barge-in: the caller talks over it while the tool still works
 * (real time, as a live call), the phrase is cut, and the caller's new turn is answered.
 */
forEachStorage('a holding phrase the caller talks over', (storage) => {
  let t: TestApp;
  let shop: FakeBusiness;

  before(async () => {
    shop = await startFakeBusiness();
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'realtime' } });
  });
  after(async () => {
    await t?.close();
    await shop?.close();
  });

  it('the caller cuts in during the holding phrase: it stops, their words are taken, the late answer is never said', async () => {
    const ws = await t.workspace({ default_country: 'US' });
    shop.on('GET', '/slow/5531', async (_req, res) => {
      // A slow system: it answers long after the caller has cut in.
      await new Promise((r) => setTimeout(r, 2500));
      json(res, 200, { status: 'shipped' });
    });
    const tool = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: {
        name: 'order_status',
        description: 'Looks up an order.',
        effect: 'read',
        input_schema: {
          type: 'object',
          properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}' } },
          required: ['order_id'],
        },
        request: { method: 'GET', url: `${shop.url}/slow/{order_id}` },
        trigger: { keywords: ['order'] },
        reply: 'Your order {{args.order_id}} is {{result.status}}.',
        timeout_ms: 5000,
        voice: {
          holding_phrase: 'One moment please, I am looking up your order in our system right now.',
          holding_after_ms: 100,
        },
      },
    });
    assert.equal(tool.status, 201, tool.text);
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Corner Shop', greeting: 'Corner Shop, hello.', tools: [tool.body.id] },
    });
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: {
        calls: [
          {
            agent_id: agent.body.id,
            to: '+14155557001',
            sandbox: {
              lines: [
                'Where is my order 5531?',
                { text: 'Never mind, goodbye', barge_in: true, after_ms: 400 },
              ],
            },
          },
        ],
      },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    const done = await eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 30_000);
    const turns = done.transcript as Array<{ role: string; text: string; interrupted: boolean }>;
    const held = turns.findIndex((x) => x.role === 'agent' && /^One moment/.test(x.text));
    assert.ok(held > 0, JSON.stringify(turns));
    assert.equal(turns[held].interrupted, true, JSON.stringify(turns));
    assert.equal(turns[held + 1].role, 'customer');
    assert.equal(turns[held + 1].text, 'Never mind, goodbye');
    assert.ok(!turns.some((x) => /Your order 5531/.test(x.text)), JSON.stringify(turns));
  });
});
