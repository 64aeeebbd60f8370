import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  SANDBOX_VOICE,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** Sandbox calls run on virtual time here, so a 30-second simulated call takes milliseconds. */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

forEachStorage('calls', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let n = 0;
  const nextNumber = (last = 0) => `+1415555${String(1000 + ++n).slice(-3)}${last}`;

  before(async () => {
    t = await startTestApp(storage, { env });
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello {{name}}, this is Glow Salon. How can I help?',
        business: { hours: { mon: [{ open: '10:00', close: '19:00' }] } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  const place = (key: string, calls: unknown[]) => t.call('POST', '/v1/calls', { key, body: { calls } });
  const ended = (key: string, id: string, timeoutMs = 10_000) =>
    eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key });
      return terminal.includes(r.body.status) ? r.body : null;
    }, timeoutMs);
  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute();

  describe('a sandbox call answered by a simulated person', () => {
    it('greets with variables filled, answers each line, hangs up on request and keeps the transcript', async () => {
      const res = await place(ws.test, [
        {
          agent_id: agentId,
          to: nextNumber(0),
          dynamic_variables: { name: 'Asha' },
          identifier: 'crm-1',
          sandbox: { lines: ['What are your opening hours?', 'Thank you, bye'], hangup_after_lines: true },
        },
      ]);
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.errors, []);
      const { call, media_session } = res.body.results[0];
      assert.match(call.id, /^call_/);
      assert.equal(call.status, 'queued');
      assert.equal(call.provider, 'sandbox');
      assert.equal(call.identifier, 'crm-1');
      assert.equal(media_session.provider, 'parley');
      assert.equal(media_session.room, call.id);
      assert.ok(media_session.url.includes(`/v1/calls/${call.id}/media?token=`));
      assert.ok(res.headers['x-concurrency-limit']);

      const done = await ended(ws.test, call.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.ended_reason, 'agent_ended_call');
      assert.equal(done.answered_by, 'human');
      assert.ok(done.duration_seconds > 0, `duration ${done.duration_seconds}`);
      const roles = done.transcript.map((x: { role: string }) => x.role);
      assert.deepEqual(roles, ['agent', 'customer', 'agent', 'customer', 'agent']);
      assert.equal(done.transcript[0].text, 'Hello Asha, this is Glow Salon. How can I help?');
      assert.equal(done.transcript[1].text, 'What are your opening hours?');
      assert.match(done.transcript[4].text, /bye/i);
      for (let i = 1; i < done.transcript.length; i++)
        assert.ok(done.transcript[i].start_ms >= done.transcript[i - 1].end_ms, 'turns do not overlap');
      assert.equal(done.latency.turns, 2);
      assert.ok(done.latency.parley_p50_ms !== null);

      // Each turn is a message of the call's voice conversation.
      const msgs = await t.call('GET', `/v1/conversations/${done.conversation_id}/messages`, {
        key: ws.test,
      });
      assert.equal(msgs.status, 200);
      assert.deepEqual(
        msgs.body.data.map((m: { direction: string; text: string }) => [m.direction, m.text]),
        done.transcript.map((x: { role: string; text: string }) => [
          x.role === 'agent' ? 'outbound' : 'inbound',
          x.text,
        ]),
      );
      const conv = await t.call('GET', `/v1/conversations/${done.conversation_id}`, { key: ws.test });
      assert.equal(conv.body.channel, 'voice');

      // The lifecycle's events; `call.analyzed` follows from its own job (test/analysis/analysis.test.ts).
      const events = (await eventsOf(call.id)).filter((e) => e.type !== 'call.analyzed');
      assert.deepEqual(
        events.map((e) => e.type),
        ['call.started', 'call.answered', 'call.completed'],
      );
      const last = JSON.parse(events[2].data);
      assert.equal(last.object, 'call');
      assert.equal(last.status, 'completed');
      assert.equal(last.transcript.length, 5);
    });

    it('re-prompts once after silence, then ends the call with silence_timeout', async () => {
      const res = await place(ws.test, [{ agent_id: agentId, to: nextNumber(5) }]);
      assert.equal(res.status, 201, res.text);
      const done = await ended(ws.test, res.body.results[0].call.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.ended_reason, 'silence_timeout');
      const texts = done.transcript.map((x: { text: string }) => x.text);
      assert.equal(texts[1], 'Hello?', 'the default callee greets');
      assert.equal(texts.filter((x: string) => x === 'Are you still there?').length, 1);
      assert.equal(done.transcript.at(-1).text, 'Are you still there?');
      assert.ok(done.duration_seconds >= 20, `two silences of 10 s: ${done.duration_seconds}`);
    });

    it('lets the caller cut in: the agent turn is stored interrupted and cut to what was heard', async () => {
      const res = await place(ws.test, [
        {
          agent_id: agentId,
          to: nextNumber(6),
          dynamic_variables: { name: 'Ravi' },
          sandbox: {
            lines: [{ text: 'Sorry, can I book a haircut tomorrow at 5 pm', barge_in: true, after_ms: 900 }],
            hangup_after_lines: true,
          },
        },
      ]);
      const done = await ended(ws.test, res.body.results[0].call.id);
      const [greeting, customer] = done.transcript;
      assert.equal(greeting.role, 'agent');
      assert.equal(greeting.interrupted, true);
      const full = 'Hello Ravi, this is Glow Salon. How can I help?';
      assert.ok(greeting.text.length > 0 && greeting.text.length < full.length, `heard: "${greeting.text}"`);
      assert.ok(full.startsWith(greeting.text), `cut to a prefix: "${greeting.text}"`);
      assert.equal(customer.role, 'customer');
      assert.equal(customer.text, 'Sorry, can I book a haircut tomorrow at 5 pm');
      assert.ok(customer.start_ms < greeting.end_ms + 400, 'the agent stopped within the barge-in minimum');
    });

    it('does not stop for a backchannel said over the agent', async () => {
      const res = await place(ws.test, [
        {
          agent_id: agentId,
          to: nextNumber(7),
          sandbox: {
            lines: [{ text: 'haan ji', barge_in: true, after_ms: 500 }, 'ok bye'],
            hangup_after_lines: true,
          },
        },
      ]);
      const done = await ended(ws.test, res.body.results[0].call.id);
      assert.equal(done.transcript[0].interrupted, false);
      assert.equal(done.transcript[0].text, 'Hello, this is Glow Salon. How can I help?');
      assert.ok(
        !done.transcript.some((x: { text: string }) => x.text === 'haan ji'),
        'the backchannel is no turn',
      );
      assert.equal(done.transcript[1].text, 'ok bye');
    });

    it('takes keys pressed as a turn', async () => {
      const res = await place(ws.test, [
        {
          agent_id: agentId,
          to: nextNumber(8),
          sandbox: { lines: [{ dtmf: '1' }], hangup_after_lines: true },
        },
      ]);
      const done = await ended(ws.test, res.body.results[0].call.id);
      assert.equal(done.transcript[1].role, 'customer');
      assert.equal(done.transcript[1].text, '[pressed 1]');
      assert.equal(done.transcript[2].role, 'agent');
    });
  });

  describe('numbers that do not answer', () => {
    const cases = [
      ['1', 'busy', 'busy', 'call.failed'],
      ['2', 'no_answer', 'no_answer', 'call.failed'],
      ['3', 'voicemail', 'voicemail', 'call.completed'],
      ['4', 'failed', 'invalid_number', 'call.failed'],
    ] as const;
    for (const [digit, status, reason, event] of cases) {
      it(`a number ending in ${digit} ends ${status} (${reason})`, async () => {
        const res = await place(ws.test, [{ agent_id: agentId, to: nextNumber(Number(digit)) }]);
        assert.equal(res.status, 201, res.text);
        const done = await ended(ws.test, res.body.results[0].call.id, 40_000);
        assert.equal(done.status, status);
        assert.equal(done.ended_reason, reason);
        assert.deepEqual(done.transcript, []);
        const types = (await eventsOf(done.id)).map((e) => e.type).filter((type) => type !== 'call.analyzed');
        assert.deepEqual(types, ['call.started', event]);
      });
    }
    it('a per-call sandbox outcome overrides the number', async () => {
      const res = await place(ws.test, [
        { agent_id: agentId, to: nextNumber(0), sandbox: { outcome: 'busy' } },
      ]);
      const done = await ended(ws.test, res.body.results[0].call.id);
      assert.equal(done.status, 'busy');
    });
    it('a sandbox script with lines answers whatever the number, unless it names an outcome', async () => {
      const res = await place(ws.test, [
        {
          agent_id: agentId,
          to: nextNumber(1),
          sandbox: { lines: ['Do you open on Sunday?'], hangup_after_lines: true },
        },
        { agent_id: agentId, to: nextNumber(1), sandbox: {} },
      ]);
      assert.equal(res.status, 201, res.text);
      const spoke = await ended(ws.test, res.body.results[0].call.id, 40_000);
      assert.equal(spoke.status, 'completed');
      assert.ok(
        spoke.transcript.some((e: { role: string; text: string }) => e.text === 'Do you open on Sunday?'),
      );
      assert.equal((await ended(ws.test, res.body.results[1].call.id, 40_000)).status, 'busy');
    });
  });

  describe('bad input', () => {
    it('refuses an invalid number, an unknown agent and opted-out or DND contacts per item', async () => {
      const optedOut = nextNumber(0);
      const dnd = nextNumber(0);
      const dnd2 = dnd;
      for (const [phone, flags] of [
        [optedOut, { opted_out: true }],
        [dnd, { dnd: true }],
      ] as const) {
        const c = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone, ...flags } });
        assert.equal(c.status, 201, c.text);
      }
      const res = await place(ws.test, [
        { agent_id: agentId, to: 'not a number' },
        { agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D', to: nextNumber(0) },
        { agent_id: agentId, to: optedOut },
        { agent_id: agentId, to: dnd },
        { agent_id: agentId, to: dnd2, ignore_dnd: true, sandbox: { outcome: 'busy' } },
        { to: nextNumber(0) },
        // Test mode rehearses live: a number with no voice channel is refused, the sandbox's is not.
        { agent_id: agentId, to: nextNumber(0), from: '+14155550999' },
        { agent_id: agentId, to: nextNumber(0), from: '+15550100003', sandbox: { outcome: 'busy' } },
      ]);
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(
        res.body.results.map((r: { index: number }) => r.index),
        [4, 7],
      );
      assert.equal(res.body.results[1].call.from, '+15550100003');
      assert.match(res.body.errors.find((e: { index: number }) => e.index === 6).message, /sandbox number/);
      const codes = Object.fromEntries(
        res.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
      );
      assert.deepEqual(codes, {
        0: 'validation_failed',
        1: 'not_found',
        2: 'contact_opted_out',
        3: 'contact_dnd',
        5: 'validation_failed',
        6: 'channel_not_configured',
      });
      assert.equal(res.body.errors[0].errors[0].field, 'to');
    });

    it('refuses a malformed body and a sandbox script with a live key', async () => {
      const empty = await t.call('POST', '/v1/calls', { key: ws.test, body: { calls: [] } });
      assert.equal(empty.status, 400);
      const live = await place(ws.live, [
        { agent_id: agentId, to: nextNumber(0), sandbox: { outcome: 'busy' } },
      ]);
      // No call placed: the batch is the item's error, not a 200 with empty results.
      assert.ok([400, 404].includes(live.status), live.text);
      assert.ok(['validation_failed', 'not_found'].includes(live.body.error.items[0].code));
    });

    it('answers 404 for a call of another workspace or mode, and 409 for hanging up an ended call', async () => {
      const res = await place(ws.test, [{ agent_id: agentId, transport: 'web' }]);
      const id = res.body.results[0].call.id;
      const other = await t.workspace();
      assert.equal((await t.call('GET', `/v1/calls/${id}`, { key: other.test })).status, 404);
      assert.equal((await t.call('GET', `/v1/calls/${id}`, { key: ws.live })).status, 404);
      assert.equal((await t.call('POST', `/v1/calls/${id}/hangup`, { key: other.test })).status, 404);
      const hung = await t.call('POST', `/v1/calls/${id}/hangup`, { key: ws.test });
      assert.equal(hung.status, 200, hung.text);
      assert.equal(hung.body.status, 'canceled');
      assert.equal(hung.body.ended_reason, 'canceled');
      const again = await t.call('POST', `/v1/calls/${id}/hangup`, { key: ws.test });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      const types = (await eventsOf(id)).map((e) => e.type);
      assert.deepEqual(types, ['call.started', 'call.failed']);
    });
  });

  describe('concurrency per workspace and mode', () => {
    it('admits up to the plan limit, refuses the rest per item, then answers 429', async () => {
      const starter = await t.workspace({ plan: 'starter' });
      const a = await t.call('POST', '/v1/agents', { key: starter.test, body: { name: 'A' } });
      const items = Array.from({ length: 6 }, () => ({ agent_id: a.body.id, transport: 'web' }));
      const first = await place(starter.test, items);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.results.length, 5);
      assert.deepEqual(
        first.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
        [[5, 'concurrency_limited']],
      );
      assert.equal(first.headers['x-concurrency-limit'], '5');
      assert.equal(first.headers['x-concurrency-remaining'], '0');

      const full = await place(starter.test, [{ agent_id: a.body.id, transport: 'web' }]);
      assert.equal(full.status, 429);
      assert.equal(full.body.error.code, 'concurrency_limited');
      assert.ok(Number(full.headers['retry-after']) > 0);
      assert.equal(full.headers['x-concurrency-remaining'], '0');

      // Live mode has its own slots.
      // The sandbox engines: a live web call otherwise needs the builtin ones installed (espeak-ng,
      // pocketsphinx), and this test is about slots, not speech.
      const la = await t.call('POST', '/v1/agents', {
        key: starter.live,
        body: { name: 'L', voice: SANDBOX_VOICE },
      });
      const live = await place(starter.live, [{ agent_id: la.body.id, transport: 'web' }]);
      assert.equal(live.status, 201, live.text);

      // Ending a call frees its slot.
      await t.call('POST', `/v1/calls/${first.body.results[0].call.id}/hangup`, { key: starter.test });
      const list = await t.call('GET', '/v1/calls?status=queued', { key: starter.test });
      assert.equal(list.body.meta.total, 4);
      assert.equal(list.headers['x-concurrency-remaining'], '1');
      const again = await place(starter.test, [{ agent_id: a.body.id, transport: 'web' }]);
      assert.equal(again.status, 201);
    });

    it('every calls response carries the current X-Concurrency-Limit and -Remaining: errors and idempotent replays too', async () => {
      const starter = await t.workspace({ plan: 'starter' });
      const a = await t.call('POST', '/v1/agents', { key: starter.test, body: { name: 'A' } });
      const key = starter.test;
      const counts = (r: { headers: Record<string, unknown> }) => [
        r.headers['x-concurrency-limit'],
        r.headers['x-concurrency-remaining'],
      ];
      const body = {
        calls: [
          { agent_id: a.body.id, transport: 'web' },
          { agent_id: a.body.id, transport: 'web' },
        ],
      };
      const idem = { 'idempotency-key': `k-${starter.id}` };
      const first = await t.call('POST', '/v1/calls', { key, body, headers: idem });
      assert.equal(first.status, 201, first.text);
      assert.deepEqual(counts(first), ['5', '3']);

      const unknown = await t.call('GET', '/v1/calls/call_01JD5Z8Q4X3N2M1K0H9G8F7E6D', { key });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      assert.deepEqual(counts(unknown), ['5', '3']);
      const badQuery = await t.call('GET', '/v1/calls?status=bogus', { key });
      assert.equal(badQuery.status, 400);
      assert.equal(badQuery.body.error.code, 'validation_failed');
      assert.deepEqual(counts(badQuery), ['5', '3']);
      const badBody = await t.call('POST', '/v1/calls', { key, body: {} });
      assert.equal(badBody.status, 400);
      assert.equal(badBody.body.error.code, 'validation_failed');
      assert.deepEqual(counts(badBody), ['5', '3']);

      const id = first.body.results[0].call.id;
      const hung = await t.call('POST', `/v1/calls/${id}/hangup`, { key });
      assert.equal(hung.status, 200);
      assert.deepEqual(counts(hung), ['5', '4']);
      const again = await t.call('POST', `/v1/calls/${id}/hangup`, { key });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      assert.deepEqual(counts(again), ['5', '4']);
      const recording = await t.call('GET', `/v1/calls/${id}/recording`, { key });
      assert.equal(recording.status, 404);
      assert.match(recording.body.error.message, new RegExp(`^Call ${id} has no recording: `));
      assert.deepEqual(counts(recording), ['5', '4']);

      // The replay answers what the first request answered, with the headers of now.
      const replay = await t.call('POST', '/v1/calls', { key, body, headers: idem });
      assert.equal(replay.status, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.body, first.body);
      assert.deepEqual(counts(replay), ['5', '4']);
    });

    it('never admits one call too many under parallel requests', async () => {
      const starter = await t.workspace({ plan: 'starter' });
      const a = await t.call('POST', '/v1/agents', { key: starter.test, body: { name: 'A' } });
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => place(starter.test, [{ agent_id: a.body.id, transport: 'web' }])),
      );
      assert.equal(answers.filter((r) => r.status === 201).length, 5);
      assert.equal(answers.filter((r) => r.status === 429).length, 7);
      const active = await t.call('GET', '/v1/calls', { key: starter.test });
      assert.equal(active.body.meta.total, 5);
    });
  });

  describe('POST /v1/conversations with channel voice', () => {
    it('dials each item and returns the call with its conversation', async () => {
      const to = nextNumber(0);
      const res = await t.call('POST', '/v1/conversations', {
        key: ws.test,
        body: {
          conversations: [
            {
              channel: 'voice',
              agent_id: agentId,
              to,
              dynamic_variables: { name: 'Meera' },
              identifier: 'batch-voice-1',
            },
            { channel: 'voice', agent_id: agentId, to: 'nope' },
            { channel: 'voice', to },
          ],
        },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.results.length, 1);
      const [r] = res.body.results;
      assert.equal(r.index, 0);
      assert.equal(r.conversation.channel, 'voice');
      assert.equal(r.call.conversation_id, r.conversation.id);
      assert.equal(r.call.identifier, 'batch-voice-1');
      assert.deepEqual(r.call.dynamic_variables, { name: 'Meera' });
      assert.deepEqual(
        res.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
        [
          [1, 'validation_failed'],
          [2, 'validation_failed'],
        ],
      );
      const done = await ended(ws.test, r.call.id);
      assert.equal(done.transcript[0].text, 'Hello Meera, this is Glow Salon. How can I help?');
    });
  });

  describe('listing', () => {
    it('filters by status, agent, identifier and direction', async () => {
      const res = await place(ws.test, [
        { agent_id: agentId, transport: 'web', identifier: 'list-me' },
        { agent_id: agentId, transport: 'web', identifier: 'not-me' },
      ]);
      assert.equal(res.status, 201);
      const byId = await t.call('GET', '/v1/calls?identifier=list-me', { key: ws.test });
      assert.equal(byId.body.meta.total, 1);
      assert.equal(byId.body.data[0].identifier, 'list-me');
      const byAgent = await t.call(
        'GET',
        `/v1/calls?agent_id=${agentId}&direction=outbound&status=queued&per_page=100`,
        { key: ws.test },
      );
      assert.ok(byAgent.body.data.every((c: { status: string }) => c.status === 'queued'));
      assert.ok(byAgent.body.data.some((c: { identifier: string }) => c.identifier === 'list-me'));
      for (const r of res.body.results)
        await t.call('POST', `/v1/calls/${r.call.id}/hangup`, { key: ws.test });
    });
  });
});
