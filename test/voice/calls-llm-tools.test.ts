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

/** Sandbox calls run on virtual time here, so a 30-second simulated call takes milliseconds. */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

/**
 * An LLM agent on a sandbox call ends and transfers the call with the call tools `end_call` and
 * `transfer`, answered by a local server speaking OpenAI's chat completions protocol (tool calls
 * in the completion as that API documents them). The tools are offered on calls only.
 */
forEachStorage('LLM call tools end_call and transfer', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeLlm;
  let n = 0;
  const nextNumber = () => `+1415555${String(1000 + ++n).slice(-3)}5`;

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, {
      env,
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 5000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'US' });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const createAgent = async (extra: Record<string, unknown> = {}) => {
    const r = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon.',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
        ...extra,
      },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const call = async (agentId: string, lines: string[]) => {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, to: nextNumber(), sandbox: { lines } }] },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    return eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 30_000);
  };
  const said = (c: { transcript: Array<{ role: string; text: string }> }) =>
    c.transcript.map((x) => `${x.role}: ${x.text}`);
  const toolNames = (request: Record<string, any>) =>
    ((request.tools ?? []) as Array<{ function: { name: string } }>).map((x) => x.function.name);
  const escalations = (conversationId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select('type')
      .where('object_id', '=', conversationId)
      .where('type', '=', 'conversation.escalated')
      .execute();

  it('end_call: the goodbye is spoken, then the call ends agent_ended_call', async () => {
    const agentId = await createAgent();
    fake.requests.length = 0;
    fake.script.push(
      say('We open at 10 AM every day.'),
      say('See you tomorrow at ten!', { type: 'end_call' }),
    );
    // No goodbye words: without end_call the silent callee would end the call by silence_timeout.
    const done = await call(agentId, ['What time do you open?', 'Great, I will come tomorrow.']);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'agent_ended_call');
    assert.deepEqual(said(done), [
      'agent: Hello, this is Glow Salon.',
      'customer: What time do you open?',
      'agent: We open at 10 AM every day.',
      'customer: Great, I will come tomorrow.',
      'agent: See you tomorrow at ten!',
    ]);
    assert.equal(fake.requests.length, 2);
    // end_call and transfer are actions of the answer's `action` field, offered on a call only.
    for (const r of fake.requests) {
      assert.match(r.messages[0].content, /"end_call": end the phone call/);
      assert.match(r.messages[0].content, /"transfer" with "to"/);
      assert.ok(!toolNames(r).includes('end_call') && !toolNames(r).includes('transfer'));
    }
  });

  it('transfer to the configured number: the call ends transferred, nobody is escalated', async () => {
    const agentId = await createAgent({ voice: { transfer: { to: '+14155550199' } } });
    const got = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    assert.deepEqual(got.body.voice.transfer, { to: '+14155550199', mode: 'cold', summary: true });
    fake.requests.length = 0;
    fake.script.push(
      say('Connecting you to the front desk.', { type: 'transfer', to: 'number', reason: 'front desk' }),
    );
    const done = await call(agentId, ['Can you put me through to the front desk?']);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'transferred');
    assert.deepEqual(said(done), [
      'agent: Hello, this is Glow Salon.',
      'customer: Can you put me through to the front desk?',
      'agent: Connecting you to the front desk.',
    ]);
    assert.equal((await escalations(done.conversation_id)).length, 0);
  });

  it('transfer to a human: the conversation is escalated and the call ends transferred', async () => {
    const agentId = await createAgent();
    fake.requests.length = 0;
    fake.script.push(
      say('Let me get a member of our team.', { type: 'transfer', to: 'human', reason: 'wants a person' }),
    );
    const done = await call(agentId, ['I would like to speak to a person please.']);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'transferred');
    assert.equal(done.transcript.at(-1).text, 'Let me get a member of our team.');
    assert.equal((await escalations(done.conversation_id)).length, 1);
    const conv = await t.call('GET', `/v1/conversations/${done.conversation_id}`, { key: ws.test });
    assert.equal(conv.body.channel, 'voice');
  });

  it('the AI provider fails mid-call: the caller is told, the call fails llm_error with the reason, the conversation is escalated', async () => {
    const agentId = await createAgent();
    fake.script.push({
      status: 401,
      body: '{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","code":"invalid_api_key"}}',
    });
    const done = await call(agentId, ['What time do you open?']);
    assert.equal(done.status, 'failed');
    assert.equal(done.ended_reason, 'llm_error');
    assert.equal(done.error.code, 'llm_error');
    assert.match(done.error.message, /AI provider failed/);
    assert.match(done.transcript.at(-1).text, /having trouble answering.*get back to you/);
    assert.equal((await escalations(done.conversation_id)).length, 1);
  });

  it('the AI provider fails mid-call with a transfer number set: the caller is put through, the call ends transferred', async () => {
    const agentId = await createAgent({ voice: { transfer: { to: '+14155550199' } } });
    fake.script.push({ status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' });
    const done = await call(agentId, ['What time do you open?']);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'transferred');
    assert.match(done.transcript.at(-1).text, /put you through to a colleague/);
  });

  it('refuses a transfer the agent does not allow: the model is told on its retry, the call goes on', async () => {
    // No handoff tool and no voice.transfer.to: neither target is allowed.
    const agentId = await createAgent({ tools: ['knowledge'] });
    fake.requests.length = 0;
    fake.script.push(
      say('Transferring you now.', { type: 'transfer', to: 'human' }),
      say("I can't transfer you, but I can help with your question."),
      say('Have a lovely day.', { type: 'end_call' }),
    );
    const done = await call(agentId, ['Transfer me to someone.', 'Fine, never mind then.']);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'agent_ended_call');
    assert.deepEqual(said(done), [
      'agent: Hello, this is Glow Salon.',
      'customer: Transfer me to someone.',
      "agent: I can't transfer you, but I can help with your question.",
      'customer: Fine, never mind then.',
      'agent: Have a lovely day.',
    ]);
    // Neither target allowed: transfer is not among the actions, and the retry says so.
    assert.doesNotMatch(fake.requests[0].messages[0].content, /"transfer" with/);
    assert.match(fake.requests[1].messages.at(-1).content, /action transfer is not available/);
    assert.equal((await escalations(done.conversation_id)).length, 0);
  });

  it("the caller's recognised words reach the agent as meant: spoken digits and email joined", async () => {
    const agentId = await createAgent();
    fake.requests.length = 0;
    fake.script.push(say('Thanks, noted.'), say('Bye!', { type: 'end_call' }));
    await call(agentId, [
      'my number is nine eight one two three four five six seven zero and my email is ravi at the rate gmail dot com',
      'that is all',
    ]);
    assert.equal(
      fake.requests[0].messages.at(-1).content,
      'my number is 9812345670 and my email is ravi@gmail.com',
    );
  });

  it('the call tools are not offered on a chat channel', async () => {
    // A workspace of its own, whose only agent answers its sandbox messages.
    const chat = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: chat.test,
      body: {
        name: 'Glow Salon',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
        voice: { transfer: { to: '+14155550199' } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    fake.requests.length = 0;
    fake.script.push(say('We open at 10 AM.'));
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: chat.test,
      body: { from: '+14155550142', text: 'When do you open?' },
    });
    assert.ok(r.status < 300, r.text);
    await eventually(async () => (fake.requests.length > 0 ? true : null), 30_000);
    const names = toolNames(fake.requests[0]);
    assert.ok(names.includes('search_knowledge'), `tools ${names}`);
    assert.ok(!names.includes('end_call') && !names.includes('transfer'), `tools ${names}`);
    assert.doesNotMatch(fake.requests[0].messages[0].content, /"end_call"|"transfer"/);
  });

  it('refuses a voice.transfer.to that is not a phone number, changing nothing', async () => {
    const agentId = await createAgent({ voice: { transfer: { to: '+14155550199' } } });
    for (const to of ['front desk', '14155550199', 42]) {
      const r = await t.call('PATCH', `/v1/agents/${agentId}`, {
        key: ws.test,
        body: { voice: { transfer: { to } } },
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.match(JSON.stringify(r.body.error), /voice\.transfer\.to/);
    }
    const got = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    assert.deepEqual(got.body.voice.transfer, { to: '+14155550199', mode: 'cold', summary: true });
    const cleared = await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: ws.test,
      body: { voice: { transfer: { to: null } } },
    });
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual(cleared.body.voice.transfer, { to: null, mode: 'cold', summary: true });
  });
});
