import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

/**
 * Turn-taking on sandbox calls through the API (issue #30): backchannels, false interruptions,
 * interruptions and recoveries counted on the call's `latency`, a caller who trails off, a caller
 * who only says fillers. Virtual time: each call takes milliseconds.
 */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
type Turn = { role: string; text: string; interrupted: boolean };

forEachStorage('voice turn-taking', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let n = 0;
  const nextNumber = () => `+1415556${String(1000 + ++n).slice(-3)}5`;
  const greeting = 'Hello, this is Glow Salon. How can I help you today?';

  before(async () => {
    t = await startTestApp(storage, { env });
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Glow Salon', greeting, voice: { interruptions: { backchannel_words: ['Theek hai'] } } },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  const call = async (sandbox: unknown, agent = agentId) => {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agent, to: nextNumber(), sandbox }] },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id;
    return eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 20_000);
  };

  it('backchannel_words: the defaults with the agent’s own on top; ignore_words still accepted', async () => {
    const got = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    const words: string[] = got.body.voice.interruptions.backchannel_words;
    for (const w of ['hmm', 'okay', 'right', 'yes', 'haan', 'achha', 'ji', 'theek hai'])
      assert.ok(words.includes(w), w);
    const legacy = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Legacy', voice: { interruptions: { ignore_words: ['bas'] } } },
    });
    assert.equal(legacy.status, 201, legacy.text);
    assert.deepEqual(legacy.body.voice.interruptions.ignore_words, ['bas']);
    assert.deepEqual(legacy.body.voice.interruptions.backchannel_words, ['bas']);
    const bad = await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: ws.test,
      body: { voice: { interruptions: { backchannel_words: [''] } } },
    });
    assert.equal(bad.status, 400, bad.text);
  });

  it('the agent’s own backchannel said over it does not stop it, and is counted', async () => {
    const done = await call({
      lines: [{ text: 'theek hai', barge_in: true, after_ms: 600 }],
      hangup_after_lines: true,
    });
    assert.equal(done.transcript[0].text, greeting);
    assert.equal(done.transcript[0].interrupted, false);
    assert.ok(!done.transcript.some((x: Turn) => x.text === 'theek hai'));
    assert.equal(done.latency.backchannels, 1);
    assert.equal(done.latency.interruptions, 0);
  });

  it('a cough pauses the agent, which resumes: the turn is stored whole, counted as a false interruption', async () => {
    const done = await call({
      lines: [{ text: '[cough]', barge_in: true, after_ms: 2000 }],
      hangup_after_lines: true,
    });
    assert.equal(done.transcript[0].text, greeting);
    assert.equal(done.transcript[0].interrupted, false);
    assert.ok(!done.transcript.some((x: Turn) => x.role === 'customer'), JSON.stringify(done.transcript));
    assert.equal(done.latency.false_interruptions, 1);
    assert.equal(done.latency.interruptions, 0);
    const metrics = await t.call('GET', '/metrics');
    assert.match(metrics.text, /parley_call_turn_events_total\{event="false_interruptions"\} [1-9]/);
  });

  it('a real interruption: cut to what was heard, the answer counted as a recovery', async () => {
    const done = await call({
      lines: [{ text: 'Sorry, what time do you close', barge_in: true, after_ms: 2000 }],
      hangup_after_lines: true,
    });
    const [agent, customer, answer] = done.transcript as Turn[];
    assert.equal(agent.text, 'Hello, this is Glow Salon. How');
    assert.equal(agent.interrupted, true);
    assert.equal(customer.text, 'Sorry, what time do you close');
    assert.equal(answer.role, 'agent');
    assert.equal(done.latency.interruptions, 1);
    assert.equal(done.latency.recoveries, 1);
  });

  it('a caller who trails off ("I’d like to book a...") is waited for: one turn, not two', async () => {
    const done = await call({
      lines: ["I'd like to book a...", { text: 'haircut tomorrow at 5 pm', after_ms: 1000 }],
      hangup_after_lines: true,
    });
    const customer = done.transcript.filter((x: Turn) => x.role === 'customer').map((x: Turn) => x.text);
    assert.deepEqual(customer, ["I'd like to book a haircut tomorrow at 5 pm"]);
    assert.equal(done.latency.interruptions, 0);
  });

  it('a booking interrupted mid-answer goes on from the step it was at (the built-in agent)', async () => {
    const allDay = [{ open: '00:00', close: '23:59' }];
    const booker = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, Glow Salon.',
        business: {
          timezone: 'UTC',
          hours: Object.fromEntries(
            ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay]),
          ),
          services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
        },
      },
    });
    assert.equal(booker.status, 201, booker.text);
    const done = await call(
      {
        lines: [
          'can I come tomorrow at 5 pm for a haircut',
          { text: 'actually make it 6 pm', barge_in: true, after_ms: 600 },
        ],
        hangup_after_lines: true,
      },
      booker.body.id,
    );
    const turns = done.transcript as Turn[];
    const cut = turns.findIndex((x) => x.interrupted);
    assert.ok(cut > 0, JSON.stringify(turns));
    // It was at the booking's confirmation: the caller's new time is taken there (not the service
    // asked again, not "I don't have that information" as when the cut answer was its only state).
    const next = turns[cut + 2];
    assert.equal(next.role, 'agent');
    assert.match(next.text, /booked .*six/i, JSON.stringify(turns));
    assert.equal(done.latency.recoveries, 1);
    const bookings = await t.call('GET', `/v1/bookings?conversation_id=${done.conversation_id}`, {
      key: ws.test,
    });
    assert.equal(bookings.body.data.length, 1, JSON.stringify({ turns, bookings: bookings.body }));
    assert.match(bookings.body.data[0].start_at, /T18:00:00/);
  });

  it('a voice flow interrupted in its question takes the answer at that step', async () => {
    const flow = await t.call('POST', '/v1/voice-flows', { key: ws.test, body: reminderFlow() });
    assert.equal(flow.status, 201, flow.text);
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: {
        calls: [
          {
            voice_flow_id: flow.body.id,
            to: nextNumber(),
            dynamic_variables: { slot: 'tomorrow at 11' },
            sandbox: {
              lines: [{ text: 'no, I cannot come', barge_in: true, after_ms: 3500 }, 'friday at 5 pm'],
            },
          },
        ],
      },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id;
    const done = await eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 20_000);
    const turns = done.transcript as Turn[];
    assert.ok(
      turns.some((x) => x.role === 'agent' && x.interrupted),
      JSON.stringify(turns),
    );
    assert.equal(done.dynamic_variables.flow_outcome, 'rescheduled', JSON.stringify(turns));
    assert.equal(done.latency.interruptions, 1);
  });

  it('a say node with interruptible: false is never cut by the caller; the same node interruptible is', async () => {
    const run = async (interruptible: boolean) => {
      const body = reminderFlow();
      body.nodes.greet.interruptible = interruptible;
      const flow = await t.call('POST', '/v1/voice-flows', { key: ws.test, body });
      assert.equal(flow.status, 201, flow.text);
      const res = await t.call('POST', '/v1/calls', {
        key: ws.test,
        body: {
          calls: [
            {
              voice_flow_id: flow.body.id,
              to: nextNumber(),
              dynamic_variables: { slot: 'tomorrow at 11' },
              sandbox: { lines: [{ text: 'wait who is this', barge_in: true, after_ms: 600 }, 'yes'] },
            },
          ],
        },
      });
      assert.equal(res.status, 201, res.text);
      const id = res.body.results[0].call.id;
      return eventually(async () => {
        const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
        return terminal.includes(r.body.status) ? r.body : null;
      }, 20_000);
    };
    const firm = await run(false);
    const first = (firm.transcript as Turn[])[0];
    // The notice and the question after it were said whole: the words over the notice were no turn.
    assert.match(
      first.text,
      /^Namaste there, this is Glow Salon\. Your haircut is/,
      JSON.stringify(firm.transcript),
    );
    assert.equal(first.interrupted, false);
    assert.equal(firm.latency.interruptions, 0, JSON.stringify(firm.latency));
    const soft = await run(true);
    const cut = (soft.transcript as Turn[])[0];
    assert.equal(cut.interrupted, true, JSON.stringify(soft.transcript));
    assert.doesNotMatch(cut.text, /Glow Salon\./);
  });

  it('a caller who only says fillers: re-prompted, then the call ends silence_timeout', async () => {
    const done = await call({ lines: ['hmm', 'hmm', 'okay', 'hmm'] });
    assert.equal(done.ended_reason, 'silence_timeout');
    const texts = done.transcript.map((x: Turn) => `${x.role}: ${x.text}`);
    assert.deepEqual(texts.slice(-3), ['customer: okay', 'agent: Are you still there?', 'customer: hmm']);
  });
});
