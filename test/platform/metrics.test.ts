import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eventually, forEachStorage, openWindow, startTestApp, type TestApp } from '../support/harness.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

/** The value of one sample of the Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

forEachStorage('product metrics', (storage) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    // pg-boss counts queue depths once per monitor pass: every second here (30 s by default).
    t = await startTestApp(storage, { testing: { queueMonitorSeconds: 1 } });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });
  const scrape = async () => {
    const res = await t.call('GET', '/metrics');
    assert.equal(res.status, 200);
    return res.text;
  };

  it('counts messages by channel and status, inbound by channel, AI replies with their latency, and handoffs', async () => {
    const ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      // Two misses before the AI hands off by itself: this test hands off by the API.
      body: { name: 'Glow Salon', greeting: 'Welcome to Glow Salon!', handoff: { max_unanswered: 2 } },
    });
    assert.equal(agent.status, 201, agent.text);
    const hook = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok/metrics`, events: ['conversation.escalated'] },
    });
    assert.equal(hook.status, 201, hook.text);
    const before = await scrape();
    const n = (text: string, name: string, labels: Record<string, string> = {}) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    const conversationId = await openWindow(t, ws.test, '+919812340001', 'Sunday ko open ho?');
    // The agent answers: wait for its reply to be read by the (simulated) customer.
    await eventually(async () => {
      const msgs = await t.call('GET', `/v1/conversations/${conversationId}/messages`, { key: ws.test });
      return msgs.body.data.some((m: any) => m.direction === 'outbound' && m.status === 'read');
    }, 10_000);
    const handoff = await t.call('POST', `/v1/conversations/${conversationId}/handoff`, {
      key: ws.test,
      body: { reason: 'wants a human' },
    });
    assert.equal(handoff.status, 200, handoff.text);

    const text = await eventually(async () => {
      const s = await scrape();
      // The agent's reply, and the handoff's notice to the customer (what happens next).
      return n(s, 'parley_messages_total', { channel: 'whatsapp', direction: 'outbound', status: 'read' }) >=
        2 && n(s, 'parley_webhook_delivery_attempts_total', { outcome: 'succeeded' }) >= 1
        ? s
        : null;
    }, 10_000);
    assert.equal(n(text, 'parley_inbound_messages_total', { channel: 'whatsapp' }), 1);
    assert.equal(
      n(text, 'parley_messages_total', { channel: 'whatsapp', direction: 'inbound', status: 'received' }),
      1,
    );
    for (const status of ['sent', 'delivered', 'read'])
      assert.equal(
        n(text, 'parley_messages_total', { channel: 'whatsapp', direction: 'outbound', status }),
        2,
        status,
      );
    assert.equal(n(text, 'parley_ai_replies_total', { engine: 'builtin' }), 1);
    assert.equal(n(text, 'parley_ai_reply_latency_seconds_count', { engine: 'builtin' }), 1);
    assert.ok(n(text, 'parley_ai_reply_latency_seconds_sum', { engine: 'builtin' }) > 0);
    assert.equal(n(text, 'parley_handoffs_total', { by: 'api_key' }), 1);
    // The agent's reply and the notice are written in their conversation on their own, not by the batch writer.
    assert.equal(n(text, 'parley_send_writes_total', { path: 'single' }), 2);
    assert.equal(n(text, 'parley_webhook_delivery_attempts_total', { outcome: 'succeeded' }), 1);
    assert.equal(n(text, 'parley_webhook_delivery_duration_seconds_count', { outcome: 'succeeded' }), 1);
    // Every product metric is described.
    for (const name of [
      'parley_messages_total',
      'parley_inbound_messages_total',
      'parley_webhook_delivery_attempts_total',
      'parley_webhook_delivery_duration_seconds',
      'parley_ai_replies_total',
      'parley_ai_reply_latency_seconds',
      'parley_handoffs_total',
      'parley_send_writes_total',
      'parley_send_batches_total',
      'parley_queue_jobs',
      'parley_queue_oldest_due_job_age_seconds',
      'parley_active_calls',
    ])
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), name);
  });

  it('reports webhook attempts that fail and are retried', async () => {
    const ws = await t.workspace();
    const before = await scrape();
    const hook = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/gone/metrics`, events: ['contact.created'] },
    });
    assert.equal(hook.status, 201, hook.text);
    const contact = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+919812340002' } });
    assert.equal(contact.status, 201, contact.text);
    const text = await eventually(async () => {
      const s = await scrape();
      const gone =
        (sample(s, 'parley_webhook_delivery_attempts_total', { outcome: 'gone' }) ?? 0) -
        (sample(before, 'parley_webhook_delivery_attempts_total', { outcome: 'gone' }) ?? 0);
      return gone === 1 ? s : null;
    }, 10_000);
    assert.ok(sample(text, 'parley_webhook_delivery_duration_seconds_count', { outcome: 'gone' })! >= 1);
  });

  it('shows queue depth per kind of job, and how long the oldest due job has waited', async () => {
    const ws = await t.workspace();
    const conversationId = await openWindow(t, ws.test, '+919812340003');
    const snooze = await t.call('POST', `/v1/conversations/${conversationId}/snooze`, {
      key: ws.test,
      body: { until: new Date(Date.now() + 3 * 86_400_000).toISOString() },
    });
    assert.equal(snooze.status, 200, snooze.text);
    // On PostgreSQL the depths are pg-boss's counts as of its last monitor pass (a second here).
    const counted = (s: string) =>
      (sample(s, 'parley_queue_jobs', { kind: 'conversations.wake', state: 'scheduled' }) ?? 0) >= 1;
    const text = await eventually(async () => {
      const s = await scrape();
      return counted(s) ? s : null;
    }, 10_000).catch(scrape);
    assert.ok(
      counted(text),
      text
        .split('\n')
        .filter((l) => l.startsWith('parley_queue'))
        .join('\n'),
    );
    assert.equal(sample(text, 'parley_queue_oldest_due_job_age_seconds', { kind: 'conversations.wake' }), 0);
  });

  it('reports active calls through the hook the voice engine sets', async () => {
    t.ctx.metrics.setActiveCallsSource(async () => [
      { labels: { provider: 'sandbox', direction: 'outbound' }, value: 3 },
    ]);
    const text = await scrape();
    assert.equal(sample(text, 'parley_active_calls', { provider: 'sandbox', direction: 'outbound' }), 3);
  });
});
