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

// Sunday 2026-05-10 12:00 in Kolkata; the salon opens 10:00-19:00 every day.
const NOW = new Date('2026-05-10T06:30:00Z');
const day = [{ open: '10:00', close: '19:00' }];

/**
 * An LLM agent moves a customer's booking with the reschedule_booking tool: through the real
 * reply loop and bookings service, against a local server speaking OpenAI's chat completions
 * protocol (tool calls and tool results as that API documents them).
 */
forEachStorage('LLM agent reschedules a booking', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeLlm;
  let agentId: string;
  let haircut: string;

  const started = Date.now();
  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, {
      // The app's clock starts at NOW and runs (a reply waits out its debounce window on it).
      testing: { now: () => new Date(NOW.getTime() + (Date.now() - started)) },
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, llm: { timeoutMs: 5000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'IN' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
        business: {
          timezone: 'Asia/Kolkata',
          hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
          services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    haircut = agent.body.business.services[0].id;
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const book = async (phone: string, local: string) => {
    const r = await t.call('POST', '/v1/bookings', {
      key: ws.test,
      body: { agent_id: agentId, service_id: haircut, start_at: local, phone },
    });
    assert.equal(r.status, 201, r.text);
    return r.body as { id: string; start_at: string };
  };
  const aiReplies = async (conv: string) =>
    (
      await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: ws.test })
    ).body.data.filter((m: { sender: { type: string } }) => m.sender.type === 'ai') as Array<{
      text: string;
    }>;
  const ask = async (from: string, text: string, n: number) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    const conv = r.body.conversation_id as string;
    const replies = await eventually(async () => {
      const out = await aiReplies(conv);
      return out.length >= n ? out : null;
    }, 30_000);
    return { conv, reply: replies[n - 1].text };
  };
  const toolResults = (request: Record<string, any>) =>
    request.messages.filter((m: any) => m.role === 'tool').map((m: any) => JSON.parse(m.content));
  const resultOf = (request: Record<string, any>) => {
    // Each request carries the whole tool loop so far: the newest tool result is the last.
    const r = toolResults(request).at(-1);
    // The AI SDK wraps a tool's JSON result as {type: "json", value} on some versions.
    return r?.type === 'json' ? r.value : r;
  };

  it("moves the customer's booking: the slot changes, booking.rescheduled is the AI's, the model hears the new time", async () => {
    const from = '+919812360001';
    const booking = await book(from, '2026-05-11T11:00:00+05:30');
    fake.requests.length = 0;
    fake.script.push(
      { tool_calls: [{ name: 'find_booking', arguments: '{}' }] },
      say('Done: your haircut is now tomorrow at 4 pm.', {
        type: 'reschedule',
        start_at: '2026-05-11T16:00:00+05:30',
      }),
    );
    const { reply } = await ask(from, 'can I move my haircut tomorrow to 4pm instead?', 1);
    assert.equal(reply, 'Done: your haircut is now tomorrow at 4 pm.');

    const found = resultOf(fake.requests[1]);
    assert.equal(found.booking.id, booking.id);
    assert.equal(found.booking.service, 'Haircut');
    assert.equal(found.booking.local_start, '2026-05-11T11:00:00+05:30');
    assert.equal(fake.requests.length, 2, "the move is the answer's action, not a tool round trip");

    const after = await t.call('GET', `/v1/bookings/${booking.id}`, { key: ws.test });
    assert.equal(after.body.local_start, '2026-05-11T16:00:00+05:30');
    assert.equal(after.body.status, 'confirmed');
    const events = await t.ctx.db
      .selectFrom('events')
      .select(['type', 'actor_type', 'actor_id'])
      .where('object_id', '=', booking.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => [e.type, e.actor_type]),
      [
        ['booking.created', 'api_key'],
        ['booking.rescheduled', 'ai'],
      ],
    );
    assert.equal(events[1].actor_id, agentId);
    // Still exactly one booking for this customer: moved, not cancelled and booked again.
    const list = await t.call('GET', `/v1/bookings?contact_id=${after.body.contact_id}`, { key: ws.test });
    assert.equal(list.body.data.length, 1);
  });

  it('a move the calendar refuses (slot taken, closed): the customer hears why, the booking stays', async () => {
    const from = '+919812360002';
    const mine = await book(from, '2026-05-12T11:00:00+05:30');
    await book('+919812360003', '2026-05-12T15:00:00+05:30');
    fake.requests.length = 0;
    fake.script.push(
      say('Moved to 3 pm!', { type: 'reschedule', start_at: '2026-05-12T15:00:00+05:30' }),
      say('Moved to 9 pm!', { type: 'reschedule', start_at: '2026-05-12T21:00:00+05:30' }),
    );
    const { conv, reply } = await ask(from, 'move my appointment to 3pm', 1);
    assert.match(reply, /^Sorry, I couldn't move your booking: .*overlaps another booking/);
    const closed = await ask(from, 'then 9pm', 2);
    assert.match(closed.reply, /^Sorry, I couldn't move your booking: .*outside opening hours/);
    const still = await t.call('GET', `/v1/bookings/${mine.id}`, { key: ws.test });
    assert.equal(still.body.start_at, mine.start_at);
    // A refusal is an answer, not a provider failure: the AI keeps the conversation.
    assert.equal((await t.call('GET', `/v1/conversations/${conv}`, { key: ws.test })).body.ai_paused, false);
  });

  it('with no booking to move, says so to the model and changes nothing', async () => {
    const from = '+919812360004';
    fake.requests.length = 0;
    fake.script.push(
      say('Moved to Wednesday noon.', { type: 'reschedule', start_at: '2026-05-13T12:00:00+05:30' }),
    );
    const { reply } = await ask(from, 'please reschedule my booking to wednesday noon', 1);
    assert.equal(reply, "I couldn't find an upcoming booking to move. Shall I make a new one?");
    const rescheduled = await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'booking.rescheduled')
      .where('workspace_id', '=', ws.id)
      .execute();
    assert.equal(rescheduled.length, 1, 'only the first test moved a booking');
  });
});
