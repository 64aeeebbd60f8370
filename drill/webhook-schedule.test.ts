/**
 * The fault drill, part two: webhook receivers that fail for hours, answer 410, or hang. The
 * whole retry schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) is walked on the app's clock:
 * the drill plays the job queue (the app runs as `api`, so no worker takes the jobs) and moves
 * the clock to each attempt's `next_retry_at`, instead of waiting 28 hours.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { attemptDelivery, defaultDeliveryOptions } from '../src/modules/webhooks/webhooks.jobs.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../test/support/harness.ts';
import { startReceiver } from '../test/support/webhook-receiver.ts';

const HOUR = 3_600_000;
const schedule = defaultDeliveryOptions.retryScheduleMs;
// The real schedule; only one attempt's time bound is shortened, so a hanging receiver costs 300 ms.
const opts = { ...defaultDeliveryOptions, timeoutMs: 300 };

forEachStorage('drill: webhook receivers that fail', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let now = new Date('2026-11-22T08:00:00.000Z');
  before(async () => {
    receiver = await startReceiver();
    t = await startTestApp(storage, { env: { PARLEY_ROLE: 'api' }, testing: { now: () => now } });
    ws = await t.workspace();
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const endpoint = async (path: string) => {
    const r = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}${path}`, events: ['contact.created'] },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const deliveries = async (endpointId: string) =>
    (await t.call('GET', `/v1/webhooks/${endpointId}/deliveries`, { key: ws.test })).body.data as Array<{
      id: string;
      state: string;
      attempt_count: number;
      next_retry_at: string | null;
      event_id: string;
      attempts: Array<{ status_code: number | null; error: string | null }>;
    }>;
  const newContact = async () => {
    const r = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { phone: `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
    });
    assert.equal(r.status, 201, r.text);
  };

  it('retries a receiver answering 500 on the whole schedule, with one webhook-id, then gives up', async () => {
    const id = await endpoint('/fail/schedule');
    await newContact();
    const [first] = await deliveries(id);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= schedule.length + 1; attempt++) {
      await attemptDelivery(t.ctx, opts, first.id);
      const [d] = await deliveries(id);
      assert.equal(d.attempt_count, attempt);
      if (attempt <= schedule.length) {
        assert.equal(d.state, 'retrying');
        const delay = Date.parse(d.next_retry_at!) - now.getTime();
        delays.push(delay);
        // ±10% jitter around the documented step.
        assert.ok(
          delay >= schedule[attempt - 1] * 0.9 && delay <= schedule[attempt - 1] * 1.1,
          `attempt ${attempt}: next in ${delay} ms, schedule says ${schedule[attempt - 1]}`,
        );
        now = new Date(Date.parse(d.next_retry_at!));
      } else {
        assert.equal(d.state, 'failed');
        assert.equal(d.next_retry_at, null);
      }
    }
    const hits = receiver.at('/fail/schedule');
    assert.equal(hits.length, schedule.length + 1);
    assert.equal(
      new Set(hits.map((h) => h.headers['webhook-id'])).size,
      1,
      'one webhook-id for every attempt',
    );
    assert.equal(hits[0].headers['webhook-id'], first.event_id);
    const hours = delays.reduce((a, b) => a + b, 0) / HOUR;
    process.stdout.write(
      `# drill: ${storage}: 500 on every attempt: ${hits.length} attempts over ${hours.toFixed(1)} h of the app's clock, one webhook-id\n`,
    );
    // About 28 hours of failures is short of the 5 days that disable an endpoint.
    const ep = await t.call('GET', `/v1/webhooks/${id}`, { key: ws.test });
    assert.equal(ep.body.status, 'enabled');
  });

  it('disables an endpoint that answers 410 at once, with one event, and retries it no more', async () => {
    const id = await endpoint('/gone/x');
    await newContact();
    const [d] = await deliveries(id);
    await attemptDelivery(t.ctx, opts, d.id);
    const [after410] = await deliveries(id);
    assert.equal(after410.state, 'failed');
    assert.equal(after410.next_retry_at, null);
    const ep = await t.call('GET', `/v1/webhooks/${id}`, { key: ws.test });
    assert.equal(ep.body.status, 'disabled');
    assert.equal(ep.body.disabled_reason, 'gone');
    // A second run of the same job (at least once) neither delivers nor disables again.
    await attemptDelivery(t.ctx, opts, d.id);
    assert.equal(receiver.at('/gone/x').length, 1);
    const disabled = await t.ctx.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'webhook_endpoint.disabled')
      .execute();
    assert.equal(disabled.filter((e) => JSON.parse(e.data).id === id).length, 1);
  });

  it('records a receiver that hangs as a timed-out attempt and retries it on schedule', async () => {
    const id = await endpoint('/hang/x');
    await newContact();
    const [d] = await deliveries(id);
    await attemptDelivery(t.ctx, opts, d.id);
    const [afterHang] = await deliveries(id);
    assert.equal(afterHang.state, 'retrying');
    assert.equal(afterHang.attempts[0].status_code, null);
    assert.match(afterHang.attempts[0].error ?? '', /No complete answer within 300 ms/);
    const delay = Date.parse(afterHang.next_retry_at!) - now.getTime();
    assert.ok(delay >= schedule[0] * 0.9 && delay <= schedule[0] * 1.1, `next in ${delay} ms`);
  });

  it('disables an endpoint that has failed for five days', async () => {
    const id = await endpoint('/fail/days');
    await newContact();
    const [d] = await deliveries(id);
    await attemptDelivery(t.ctx, opts, d.id);
    now = new Date(now.getTime() + 6 * 24 * HOUR);
    await attemptDelivery(t.ctx, opts, d.id);
    const ep = await t.call('GET', `/v1/webhooks/${id}`, { key: ws.test });
    assert.equal(ep.body.status, 'disabled');
    assert.equal(ep.body.disabled_reason, 'failing');
  });
});
