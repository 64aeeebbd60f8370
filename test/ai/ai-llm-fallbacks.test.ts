import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import type { ModelRef } from '../../src/modules/agents/index.ts';
import { LLM_FALLBACK_EN, llmReply } from '../../src/modules/ai/llm.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';
import { type FakeLlm, type Scripted, say, startFakeLlm } from '../support/fake-llm.ts';

/**
 * An agent's model budget and fallback chain against two local OpenAI-compatible servers: the
 * agent's own model fails (each kind of bad input a server gives), the next model or the
 * built-in engine answers, and what happened is on the result (`llm`, kept in ai_replies).
 */
describe('LLM budgets and fallbacks', () => {
  let own: FakeLlm;
  let backup: FakeLlm;
  let world: World;
  let handoffs: string[];
  const ref = (fake: FakeLlm, name: string): ModelRef => ({
    provider: 'openai_compatible',
    name,
    baseUrl: fake.url,
    apiKey: 'sk-local',
  });
  let agentWith: (m: Partial<AgentConfig['model']>) => AgentConfig;

  before(async () => {
    own = await startFakeLlm();
    backup = await startFakeLlm();
    const agent = salonAgent({ model: { ...ref(own, 'llama3') } });
    world = await createWorld(agent);
    await world.addDocument(
      'Salon FAQ',
      'Q: Do you have parking?\nA: Yes, free parking in the basement.',
      'faq',
    );
    agentWith = (m) => ({ ...agent, model: { ...ref(own, 'llama3'), ...m } });
    const handoff = world.tools.handoff;
    world.tools.handoff = async (reason) => {
      handoffs.push(reason);
      return handoff(reason);
    };
  });
  after(async () => {
    await world.close();
    await own.close();
    await backup.close();
  });

  const ask = (agent: AgentConfig, text: string, logger?: { warn: (o: object, m: string) => void }) => {
    handoffs = [];
    return llmReply(
      {
        agent,
        messages: [text],
        history: [],
        variables: {},
        now: new Date('2026-05-10T03:30:00Z'),
        defaultCountry: 'IN',
      },
      world.tools,
      { timeoutMs: 5000, ...(logger ? { logger } : {}) },
    );
  };

  it('model.timeout_ms: a model that does not answer in time hands over to the fallback model', async () => {
    own.script.push({ hang: true });
    backup.script.push(say('Yes, free parking in the basement.'));
    const logged: Array<Record<string, unknown>> = [];
    const started = performance.now();
    const r = await ask(
      agentWith({ timeoutMs: 1000, fallbacks: [ref(backup, 'backup-8b')] }),
      'Do you have parking?',
      { warn: (o) => void logged.push(o as Record<string, unknown>) },
    );
    assert.ok(performance.now() - started < 4000);
    assert.equal(r.reply, 'Yes, free parking in the basement.');
    assert.equal(r.engine, 'openai_compatible');
    assert.equal(r.llm?.model, 'openai_compatible:backup-8b');
    assert.deepEqual(
      r.llm?.failures.map((f) => f.reason),
      ['timeout'],
    );
    assert.equal(handoffs.length, 0);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.next, 'openai_compatible:backup-8b');
  });

  it('timeout, then a failing fallback model, then the built-in engine answers', async () => {
    own.script.push({ hang: true });
    backup.script.push({ status: 500 });
    const r = await ask(
      agentWith({ timeoutMs: 1000, fallbacks: [ref(backup, 'backup-8b'), 'builtin'] }),
      'Do you have parking?',
    );
    assert.equal(r.engine, 'builtin');
    assert.match(r.reply, /basement/i);
    assert.equal(r.llm?.model, 'builtin');
    assert.deepEqual(
      r.llm?.failures.map((f) => [f.model, f.reason, f.status ?? null]),
      [
        ['openai_compatible:llama3', 'timeout', null],
        ['openai_compatible:backup-8b', 'http_error', 500],
      ],
    );
  });

  const badInputs: Array<[string, Scripted, string]> = [
    ['a 500', { status: 500 }, 'http_error'],
    [
      'an HTML page',
      { raw: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
      'provider_error',
    ],
    ['invalid JSON', { raw: '{"choices": [', contentType: 'application/json' }, 'provider_error'],
    ['a stream cut half way', { cut: '{"reply": "Yes, fr' }, 'provider_error'],
    ['an endless stream', { endless: true }, 'timeout'],
    ['an unknown tool', { tool_calls: [{ name: 'launch_missiles', arguments: '{}' }] }, 'malformed_answer'],
    [
      'unparsable tool arguments',
      { tool_calls: [{ name: 'check_availability', arguments: '{"date": ' }] },
      'malformed_answer',
    ],
    ['a 429 without Retry-After', { status: 429 }, 'rate_limited'],
  ];
  for (const [what, scripted, reason] of badInputs) {
    it(`${what}: the built-in engine answers, the failure is recorded once`, async () => {
      own.script.length = 0;
      own.script.push(scripted);
      const logged: object[] = [];
      const r = await ask(agentWith({ timeoutMs: 1500, fallbacks: ['builtin'] }), 'Do you have parking?', {
        warn: (o) => void logged.push(o),
      });
      assert.equal(r.engine, 'builtin');
      assert.match(r.reply, /basement/i);
      assert.deepEqual(
        r.llm?.failures.map((f) => f.reason),
        [reason],
      );
      assert.equal(logged.length, 1);
      own.script.length = 0;
    });
  }

  it('a 429 with Retry-After is asked again once, after the wait', async () => {
    own.script.push(
      { status: 429, headers: { 'retry-after': '1' } },
      say('Yes, free parking in the basement.'),
    );
    const before = own.requests.length;
    const started = performance.now();
    const r = await ask(agentWith({ timeoutMs: 5000 }), 'Do you have parking?');
    assert.ok(performance.now() - started >= 950);
    assert.equal(r.reply, 'Yes, free parking in the basement.');
    assert.equal(r.llm?.retries, 1);
    assert.equal(own.requests.length - before, 2);
  });

  it('a refused connection is tried once more, then the chain goes on; without fallbacks a person takes over', async () => {
    const down: ModelRef = {
      provider: 'openai_compatible',
      name: 'llama3',
      baseUrl: `http://127.0.0.1:${await closedPort()}/v1`,
      apiKey: null,
    };
    const r = await ask(agentWith({ ...down, timeoutMs: 3000 }), 'Do you have parking?');
    assert.equal(r.reply, LLM_FALLBACK_EN);
    assert.equal(r.engine, 'fallback');
    assert.equal(r.llm?.retries, 1);
    assert.deepEqual(
      r.llm?.failures.map((f) => f.reason),
      ['unreachable'],
    );
    assert.equal(handoffs.length, 1);
  });
});

/** A port nothing listens on: the connection is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
