import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
/** A local model's realistic pacing: the first token after 300 ms, then 40 tokens a second. */
const paced = { firstTokenMs: 300, tokensPerSecond: 40 };
const answer = (reply: string, type = 'answer') => JSON.stringify({ action: { type }, reply, lead: null });

/**
 * An LLM agent on a sandbox call speaks its reply as the model streams it, against a local
 * OpenAI-compatible server that streams with a local model's pacing: the caller hears the first
 * clause before the model has sent its last token, and a caller who talks over the agent stops
 * the generation (the server sees the request go away) with the transcript keeping what was said.
 */
forEachStorage('LLM replies streamed on a call', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeLlm;
  let n = 0;

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, {
      // Real time: a virtual clock holds still while a reply is computed, streamed or not.
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 8000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'US' });
    // The AI SDK is loaded on the first LLM reply: loaded here, so the timing below is the stream's.
    await import('../../src/modules/ai/llm.ts');
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const call = async (lines: unknown[]) => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon.',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: {
        calls: [{ agent_id: agent.body.id, to: `+1415555${String(3000 + ++n)}`, sandbox: { lines } }],
      },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    return eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 30_000);
  };

  it("the caller hears the reply's first clause before the model's last token", async () => {
    const reply =
      'We are open every day from ten in the morning, and we close at seven in the evening. On public holidays we open at noon and close at five. Bye!';
    fake.requests.length = 0;
    fake.lastTokenAt.length = 0;
    fake.script.push({ content: answer(reply, 'end_call'), ...paced });
    const done = await call(['What are your opening hours?']);
    assert.equal(done.status, 'completed');
    const agentSaid = done.transcript.filter((x: { role: string }) => x.role === 'agent');
    assert.equal(agentSaid[1]?.text, reply);
    assert.equal(fake.requests[0].stream, true);
    // Commit of the caller's turn → first audio (real ms): the request came after the commit.
    const turnMs = done.latency.parley_p50_ms as number;
    const firstAudioBy = fake.requests[0].receivedAt + turnMs;
    assert.ok(
      firstAudioBy < fake.lastTokenAt[0]!,
      `first audio by ${Math.round(firstAudioBy)}, last token at ${Math.round(fake.lastTokenAt[0]!)}`,
    );
  });

  it('barge-in stops the generation; the transcript keeps what was said', async () => {
    fake.requests.length = 0;
    const before = fake.abandoned;
    const reply = `We have many services, let me list them all. ${'Haircuts, colouring, styling and treatments. '.repeat(8)}`;
    fake.script.push(
      { content: answer(reply.trim()), ...paced },
      { content: answer('Sure, bye!', 'end_call') },
    );
    const done = await call([
      'What services do you have?',
      { text: 'Sorry, I have to go now, goodbye.', barge_in: true, after_ms: 200 },
    ]);
    assert.equal(done.status, 'completed');
    await eventually(async () => (fake.abandoned > before ? true : null), 3_000);
    // The caller heard the start of the reply, and the transcript says so.
    const agentSaid = done.transcript.filter((x: { role: string }) => x.role === 'agent');
    const cut = agentSaid[1];
    assert.equal(cut?.interrupted, true, JSON.stringify(done.transcript));
    assert.ok(cut.text.length > 0 && reply.startsWith(cut.text), cut.text);
    assert.equal(agentSaid[2]?.text, 'Sure, bye!');
    // The history the model got next has what was said, not the whole reply.
    const history = fake.requests[1].messages.map((m: { content: string }) => m.content);
    assert.ok(!history.some((c: string) => c.includes('Haircuts, colouring')), JSON.stringify(history));
  });
});
