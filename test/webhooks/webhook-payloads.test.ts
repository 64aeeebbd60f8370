import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { ajv, COVERED_BY_PAYLOADS, erasedEvent, validators } from '../support/webhook-schemas.ts';

/**
 * Issue 25 item 12: every event as integrators receive it (`GET /v1/events` serves the same
 * envelope webhooks deliver) matches its documented schema under `webhooks` in openapi.json.
 */
forEachStorage('webhook payloads match their schemas', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    // The sandbox calls run on their own clock (PARLEY_VOICE_SANDBOX_PACE=virtual): the same events,
    // without waiting out a simulated conversation in real time.
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    ws = await t.workspace();
  });
  after(() => t?.close());

  const ok = async (method: string, url: string, body?: unknown) => {
    const r = await t.call(method, url, { key: ws.test, body });
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };

  it('validates each emitted event against its documented schema', async () => {
    const hook = await ok('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
    await ok('POST', `/v1/webhooks/${hook.id}/test`);
    const contact = await ok('POST', '/v1/contacts', { phone: '+14155550123', name: 'A' });
    await ok('PATCH', `/v1/contacts/${contact.id}`, { name: 'B' });
    await ok('DELETE', `/v1/contacts/${contact.id}`);
    // Deleting erases the person in a job: its end is the event `contact.erased`.
    await eventually(
      async () => (await ok('GET', '/v1/events?type=contact.erased&per_page=1')).data.length > 0,
    );
    const twin = await ok('POST', '/v1/contacts', { email: 'a@example.com', name: 'A' });
    const kept = await ok('POST', '/v1/contacts', { phone: '+14155550125', name: 'A' });
    await ok('POST', `/v1/contacts/${kept.id}/merge`, { other_id: twin.id });
    const conv = await openWindow(t, ws.test, '+14155550124', 'Hello');
    await ok('POST', `/v1/conversations/${conv}/handoff`, { reason: 'needs a person' });
    await ok('POST', `/v1/conversations/${conv}/handoff/resolve`);
    await ok('POST', `/v1/conversations/${conv}/close`);
    await ok('POST', `/v1/conversations/${conv}/reopen`);

    const day = [{ open: '00:00', close: '24:00' }];
    const agent = await ok('POST', '/v1/agents', {
      name: 'Glow Salon',
      business: {
        timezone: 'UTC',
        hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
      },
    });
    await ok('POST', `/v1/agents/${agent.id}/knowledge`, {
      title: 'Prices',
      doc_type: 'text',
      content: 'A haircut costs 500.',
    });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const free = await ok('GET', `/v1/agents/${agent.id}/availability?date=${tomorrow}`);
    const [first, second] = free.slots;
    const booking = await ok('POST', '/v1/bookings', {
      agent_id: agent.id,
      start_at: first.start_at,
      end_at: first.end_at,
      phone: '+14155550125',
      name: 'Ravi',
    });
    await ok('POST', `/v1/bookings/${booking.id}/reschedule`, {
      start_at: second.start_at,
      end_at: second.end_at,
    });
    await ok('POST', `/v1/bookings/${booking.id}/cancel`, {});
    await eventually(async () => (await ok('GET', '/v1/events?type=knowledge.indexed')).data.length > 0);

    const call = await ok('POST', '/v1/calls', { calls: [{ agent_id: agent.id, to: '+14155550126' }] });
    const callId = call.results[0].call.id;
    await eventually(
      async () =>
        ['completed', 'failed', 'no_answer'].includes((await ok('GET', `/v1/calls/${callId}`)).status),
      60_000,
    );

    const seen = new Set<string>();
    const failures: string[] = [];
    for (let page = 1; ; page++) {
      const res = await ok('GET', `/v1/events?per_page=100&page=${page}`);
      for (const e of res.data) {
        seen.add(e.event);
        const validate = validators.get(e.event);
        assert.ok(validate, `${e.event} is documented`);
        if (!erasedEvent(e) && !validate(e)) failures.push(`${e.event}: ${ajv.errorsText(validate.errors)}`);
      }
      if (!res.data.length || page >= (res.meta?.total_pages ?? 1)) break;
    }
    assert.deepEqual(
      COVERED_BY_PAYLOADS.filter((type) => !seen.has(type)),
      [],
      `saw ${[...seen].sort().join(', ')}`,
    );
    assert.deepEqual(failures, []);
  });
});
