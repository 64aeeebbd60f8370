import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const ORIGIN = 'https://www.glowsalon.in';

/**
 * While an LLM agent writes its reply to a website visitor, the visitor's stream is told the
 * agent is typing (the widget's dots), and told it stopped once the reply is written.
 */
forEachStorage('widget typing dots while the LLM writes', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeLlm;
  let channelId: string;

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, {
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 5000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'IN' });
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'glowsalon.in',
        settings: { allowed_domains: ['www.glowsalon.in'] },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  it('typing while the model is asked, stopped once the reply is written', async () => {
    const session = await t.call('POST', `/widget/${channelId}/session`, {
      body: {},
      headers: { origin: ORIGIN },
    });
    assert.equal(session.status, 201, session.text);
    const { token, visitor_id } = session.body as { token: string; visitor_id: string };
    const states: string[] = [];
    const stop = t.ctx.bus.subscribe(`parley:presence:to:${visitor_id}`, (s) => void states.push(s));
    let whileAsked: string[] = [];
    fake.onRequest = async () => {
      whileAsked = [...states];
    };
    fake.script.push(say('We open at ten.'));
    const sent = await t.call('POST', `/widget/${channelId}/messages`, {
      body: { text: 'When do you open?' },
      headers: { origin: ORIGIN, authorization: `Bearer ${token}`, 'idempotency-key': 'typing-ai-0001' },
    });
    assert.equal(sent.status, 201, sent.text);
    await eventually(async () => (states.includes('left') ? true : null));
    stop();
    fake.onRequest = undefined;
    assert.deepEqual(whileAsked, ['typing']);
    assert.deepEqual(states, ['typing', 'left']);
  });
});
