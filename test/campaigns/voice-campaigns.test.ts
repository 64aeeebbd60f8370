import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runPass } from '../../src/modules/campaigns/campaigns.service.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

/** Sandbox calls on virtual time: a simulated call takes milliseconds. */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

forEachStorage('voice flows on calls and voice campaigns', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let flowId: string;
  // 10:00 in India on Monday 2026-06-01: inside the default window.
  let now = new Date('2026-06-01T04:30:00Z');
  let n = 0;
  const call = (method: string, url: string, body?: unknown) => t.call(method, url, { key: ws.test, body });
  const ended = (id: string) =>
    eventually(async () => {
      const r = await call('GET', `/v1/calls/${id}`);
      return terminal.includes(r.body.status) ? r.body : null;
    }, 15_000);
  const get = async (id: string) => (await call('GET', `/v1/campaigns/${id}`)).body;

  before(async () => {
    t = await startTestApp(storage, { env, testing: { now: () => now } });
    ws = await t.workspace({ default_country: 'IN', plan: 'growth' });
    const flow = reminderFlow();
    (flow.nodes.confirm.capture as Record<string, unknown>).map_to = 'contact.attributes.confirmed';
    (flow.nodes as Record<string, unknown>).thanks = {
      type: 'action',
      action: 'capture_lead',
      fields: { name: '{{name}}', intent: 'haircut_confirmed' },
      next: 'thanks_end',
    };
    (flow.nodes as Record<string, unknown>).thanks_end = {
      type: 'end',
      text: 'Thank you, see you soon!',
      outcome: 'confirmed',
    };
    const created = await call('POST', '/v1/voice-flows', flow);
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(() => t.close());

  it('a sandbox call with voice_flow_id runs the flow: captures land in the call, the contact and a lead', async () => {
    const contact = await call('POST', '/v1/contacts', { phone: '+919800000510', name: 'Asha' });
    const placed = await call('POST', '/v1/calls', {
      calls: [
        {
          voice_flow_id: flowId,
          to: '+919800000510',
          dynamic_variables: { slot: 'tomorrow at 5 pm' },
          sandbox: { lines: ['haan ji, bilkul'] },
        },
      ],
    });
    assert.equal(placed.status, 201, placed.text);
    const done = await ended(placed.body.results[0].call.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'flow_ended');
    assert.equal(done.voice_flow_id, flowId);
    assert.equal(done.dynamic_variables.answer, 'yes');
    assert.equal(done.dynamic_variables.flow_outcome, 'confirmed');
    const agentLines = done.transcript
      .filter((e: { role: string }) => e.role === 'agent')
      .map((e: { text: string }) => e.text);
    assert.match(agentLines[0], /^Namaste Asha, this is Glow Salon\. Your haircut is tomorrow at 5 pm\./);
    assert.match(agentLines.at(-1), /Thank you, see you soon!$/);
    const stored = await call('GET', `/v1/contacts/${contact.body.id}`);
    assert.equal(stored.body.attributes.confirmed, 'yes');
    const leads = await call('GET', `/v1/leads?contact_id=${contact.body.id}`);
    assert.equal(leads.body.data.length, 1);
    assert.equal(leads.body.data[0].intent, 'haircut_confirmed');
    assert.equal(leads.body.data[0].source, 'voice_flow');
  });

  it('a keypad answer takes the flow down its branch', async () => {
    const placed = await call('POST', '/v1/calls', {
      calls: [
        {
          voice_flow_id: flowId,
          to: '+919800000520',
          sandbox: { lines: [{ dtmf: '2' }, 'kal shaam 6 baje'] },
        },
      ],
    });
    const done = await ended(placed.body.results[0].call.id);
    assert.equal(done.dynamic_variables.answer, 'no');
    assert.equal(done.dynamic_variables.slot, '2026-06-02T18:00+05:30');
    assert.equal(done.dynamic_variables.flow_outcome, 'rescheduled');
    assert.equal(done.ended_reason, 'flow_ended');
  });

  it("an ask node's timeout_seconds and retries > 1 rule a silent caller on a call: asked again after each timeout, then on_no_input", async () => {
    const flow = await call('POST', '/v1/voice-flows', {
      name: 'Three tries',
      language: 'en-IN',
      timezone: 'Asia/Kolkata',
      start: 'q',
      nodes: {
        q: {
          type: 'ask',
          prompt: 'Can you come tomorrow? Say yes or no.',
          capture: { var: 'answer', kind: 'yes_no' },
          timeout_seconds: 3,
          retries: 3,
          on_no_input: 'bye',
          next: 'thanks',
        },
        thanks: { type: 'end', text: 'Thank you.', outcome: 'confirmed' },
        bye: { type: 'end', text: 'Goodbye.', outcome: 'no_answer_given' },
      },
    });
    assert.equal(flow.status, 201, flow.text);
    const placed = await call('POST', '/v1/calls', {
      calls: [{ voice_flow_id: flow.body.id, to: '+919800000610', sandbox: { lines: [] } }],
    });
    assert.equal(placed.status, 201, placed.text);
    const done = await ended(placed.body.results[0].call.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.ended_reason, 'flow_ended', JSON.stringify(done.transcript));
    assert.equal(done.dynamic_variables.flow_outcome, 'no_answer_given');
    const agent = done.transcript.filter((e: { role: string }) => e.role === 'agent');
    // Asked once and again `retries` (3) times, then the on_no_input node.
    assert.deepEqual(
      agent.map((e: { text: string }) => e.text),
      [...Array(4).fill('Can you come tomorrow? Say yes or no.'), 'Goodbye.'],
    );
    // Each silence lasted the node's 3 s (virtual time), not the agent's 10 s default.
    for (let i = 1; i < agent.length; i++) {
      const gap = agent[i].start_ms - agent[i - 1].end_ms;
      assert.ok(gap >= 3000 && gap < 4000, `silence ${i}: ${gap} ms`);
    }
  });

  it('retries > 1 on a call: answers that do not fit are asked again until one does', async () => {
    const flow = await call('POST', '/v1/voice-flows', {
      name: 'No match twice',
      language: 'en-IN',
      timezone: 'Asia/Kolkata',
      start: 'q',
      nodes: {
        q: {
          type: 'ask',
          prompt: 'Can you come tomorrow?',
          capture: { var: 'answer', kind: 'yes_no' },
          retries: 2,
          no_match_prompt: 'Sorry, was that a yes or a no?',
          on_no_input: 'bye',
          next: 'thanks',
        },
        thanks: { type: 'end', text: 'Thank you.', outcome: 'confirmed' },
        bye: { type: 'end', text: 'Goodbye.', outcome: 'no_answer_given' },
      },
    });
    assert.equal(flow.status, 201, flow.text);
    const placed = await call('POST', '/v1/calls', {
      calls: [
        {
          voice_flow_id: flow.body.id,
          to: '+919800000620',
          sandbox: { lines: ['the weather is nice', 'let me think about it', 'yes'] },
        },
      ],
    });
    const done = await ended(placed.body.results[0].call.id);
    assert.equal(done.ended_reason, 'flow_ended');
    assert.equal(done.dynamic_variables.answer, 'yes');
    assert.equal(done.dynamic_variables.flow_outcome, 'confirmed');
    const said = done.transcript
      .filter((e: { role: string }) => e.role === 'agent')
      .map((e: { text: string }) => e.text);
    assert.equal(
      said.filter((t: string) => t === 'Sorry, was that a yes or a no? Can you come tomorrow?').length,
      2,
      JSON.stringify(said),
    );
    assert.equal(said.at(-1), 'Thank you.');
  });

  it("an agent node on a call: the agent answers the caller with the call's conversation, then the flow goes on", async () => {
    const agent = await call('POST', '/v1/agents', {
      name: 'Glow desk',
      business: {
        timezone: 'Asia/Kolkata',
        services: [{ name: 'Haircut', duration_minutes: 30, price: 500 }],
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const flow = await call('POST', '/v1/voice-flows', {
      name: 'Agent on a call',
      language: 'en-IN',
      timezone: 'Asia/Kolkata',
      start: 'hello',
      nodes: {
        hello: { type: 'say', text: 'Hi, this is Glow Salon.', next: 'talk' },
        talk: { type: 'agent', agent_id: agent.body.id, max_turns: 1, next: 'bye' },
        bye: { type: 'end', text: 'Bye!', outcome: 'answered' },
      },
    });
    assert.equal(flow.status, 201, flow.text);
    const placed = await call('POST', '/v1/calls', {
      calls: [
        { voice_flow_id: flow.body.id, to: '+919800000630', sandbox: { lines: ['How much is a haircut?'] } },
      ],
    });
    assert.equal(placed.status, 201, placed.text);
    const done = await ended(placed.body.results[0].call.id);
    assert.equal(done.ended_reason, 'flow_ended', JSON.stringify(done.transcript));
    const said = done.transcript
      .filter((e: { role: string }) => e.role === 'agent')
      .map((e: { text: string }) => e.text);
    // The greeting, then the agent's own answer (none without the call's conversation) spoken
    // with the end node's text in the same turn.
    assert.deepEqual(said.slice(0, 1), ['Hi, this is Glow Salon.'], JSON.stringify(said));
    assert.equal(said.length, 2, JSON.stringify(said));
    assert.match(said[1], /^A Haircut costs 500 rupees.* Bye!$/, JSON.stringify(said));
  });

  it('a voice campaign dials through the calls service, retries no-answers after the delay, and completes once', async () => {
    const ids = [];
    for (const phone of ['+919800000530', '+919800000532']) {
      const c = await call('POST', '/v1/contacts', { phone, name: `Caller ${n++}` });
      assert.equal(c.status, 201, c.text);
      ids.push(c.body.id);
    }
    const aud = await call('POST', '/v1/audiences', { name: 'Voice audience' });
    await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids });
    const created = await call('POST', '/v1/campaigns', {
      name: 'Reminder calls',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: aud.body.id,
      max_attempts: 2,
      retry_delay_minutes: 30,
      retry_on: ['no_answer'],
      calls_per_second: 5,
      max_concurrency: 2,
      dynamic_variables: { slot: 'Tuesday at 11' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call('POST', `/v1/campaigns/${created.body.id}/start`)).status, 200);

    // The number ending in 2 does not answer (sandbox); the other answers the flow.
    const first = await eventually(async () => {
      const c = await get(created.body.id);
      return c.stats.answered === 1 && c.stats.pending === 1 && c.stats.in_progress === 0 ? c : null;
    }, 20_000);
    assert.equal(first.stats.attempts, 2);
    const retrying = (await call('GET', `/v1/campaigns/${created.body.id}/recipients?status=pending`)).body
      .data[0];
    assert.equal(retrying.result, 'no_answer');
    assert.equal(retrying.attempts, 1);
    const firstCall = await call('GET', `/v1/calls/${retrying.last_call_id}`);
    assert.equal(firstCall.body.status, 'no_answer');
    assert.equal(firstCall.body.campaign_id, created.body.id);
    assert.equal(
      Date.parse(retrying.next_attempt_at),
      Date.parse(firstCall.body.ended_at) + 30 * 60_000,
      'retried 30 minutes after the call ended',
    );
    const answered = (await call('GET', `/v1/campaigns/${created.body.id}/recipients?status=answered`)).body
      .data[0];
    assert.match(answered.last_call_id, /^call_/);

    await runPass(t.ctx, created.body.id);
    assert.equal((await get(created.body.id)).stats.pending, 1, 'not before the retry delay');

    now = new Date(now.getTime() + 31 * 60_000);
    await runPass(t.ctx, created.body.id);
    const done = await eventually(async () => {
      const c = await get(created.body.id);
      return c.status === 'completed' ? c : null;
    }, 20_000);
    assert.equal(done.stats.no_answer, 1);
    assert.equal(done.stats.answered, 1);
    assert.equal(done.stats.attempts, 3);
    assert.equal(done.stats.total, done.stats.completed);
    assert.equal(done.stats.answer_rate, 0.5);
    const calls = await call('GET', `/v1/calls?campaign_id=${created.body.id}`);
    assert.equal(calls.body.meta.total, 3, 'one call per attempt, none twice');
    const events = await call('GET', '/v1/events?per_page=100');
    assert.equal(
      events.body.data.filter(
        (e: { event: string; data: { id: string } }) =>
          e.event === 'campaign.completed' && e.data.id === created.body.id,
      ).length,
      1,
    );
  });

  it('dials at the campaign pace exactly: never two dials closer than 1000 / calls_per_second ms', async () => {
    // Each dial's slot as its call is written (the sink runs in the call's transaction).
    const slots: number[] = [];
    t.ctx.reactions.add({
      name: 'test.dial_slots',
      hears: ['call.started'],
      step: 'record',
      run: async ({ db }, events) => {
        for (const e of events) {
          if (!e.data.campaign_id) continue;
          const row = await db
            .selectFrom('campaigns')
            .select('last_dial_at')
            .where('id', '=', String(e.data.campaign_id))
            .executeTakeFirstOrThrow();
          slots.push(Date.parse(row.last_dial_at!));
        }
      },
    });
    const ids = [];
    // Numbers ending in 1 are busy in the sandbox: each call ends at once.
    for (let i = 0; i < 10; i++) {
      const c = await call('POST', '/v1/contacts', { phone: `+91980000${600 + i}1`, name: `Paced ${n++}` });
      assert.equal(c.status, 201, c.text);
      ids.push(c.body.id);
    }
    const aud = await call('POST', '/v1/audiences', { name: 'Paced audience' });
    await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids });
    const created = await call('POST', '/v1/campaigns', {
      name: 'Paced calls',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: aud.body.id,
      max_attempts: 1,
      calls_per_second: 4,
      max_concurrency: 10,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call('POST', `/v1/campaigns/${created.body.id}/start`)).status, 200);
    // Extra passes at once, as a second worker would run them, race the tick job's.
    await Promise.all([runPass(t.ctx, created.body.id), runPass(t.ctx, created.body.id)]);
    const done = await eventually(async () => {
      const c = await get(created.body.id);
      return c.status === 'completed' ? c : null;
    }, 30_000);
    assert.equal(done.stats.busy, 10);
    assert.equal(done.stats.attempts, 10);
    const calls = await call('GET', `/v1/calls?campaign_id=${created.body.id}&per_page=100`);
    assert.equal(calls.body.meta.total, 10, 'one call per recipient');
    assert.equal(slots.length, 10);
    slots.sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i++)
      assert.ok(
        slots[i]! - slots[i - 1]! >= 250,
        `dials ${i - 1} and ${i} ${slots[i]! - slots[i - 1]!} ms apart`,
      );
    let most = 0;
    for (let i = 0, j = 0; i < slots.length; i++) {
      while (slots[i]! - slots[j]! >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    assert.ok(most <= 4, `${most} dials in one second at pace 4`);
  });
});
