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
import { startReceiver } from '../support/webhook-receiver.ts';
import { COVERED_BY_MORE, validateAllEvents } from '../support/webhook-schemas.ts';

/**
 * Issue 25 item 12, the rest: a second scenario that emits the event types the first
 * (webhook-payloads.test.ts) does not, and validates every event against its documented schema.
 */
forEachStorage('webhook payloads match their schemas: inbox, leads, outreach, calls', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    // The sandbox calls run on their own clock (PARLEY_VOICE_SANDBOX_PACE=virtual): the same events,
    // without waiting out a simulated conversation in real time.
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    ws = await t.workspace();
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const ok = async (method: string, url: string, body?: unknown) => {
    const r = await t.call(method, url, { key: ws.test, body });
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };
  const seenEvent = async (type: string) => (await ok('GET', `/v1/events?type=${type}`)).data.length > 0;

  it('validates each emitted event against its documented schema', async () => {
    // An endpoint that answers 410 is disabled at its first delivery.
    await ok('POST', '/v1/webhooks', { url: `${receiver.url}/gone`, events: ['lead.captured'] });

    // Inbox: a customer writes, a person works the conversation; at the close, CSAT asks.
    await ok('PUT', '/v1/csat/settings', { enabled: true });
    const conv = await openWindow(t, ws.test, '+14155550201', 'Hello');
    const user = await ok('POST', '/v1/users', {
      name: 'Priya',
      email: 'priya@example.com',
      role: 'agent',
      password: 'correct horse battery',
    });
    await ok('POST', `/v1/conversations/${conv}/assign`, { user_id: user.id });
    await ok('PUT', `/v1/conversations/${conv}/tags`, { tags: ['vip'] });
    await ok('POST', `/v1/conversations/${conv}/reply`, { text: 'Hi! How can we help?' });
    await ok('POST', `/v1/conversations/${conv}/reply`, { type: 'note', text: 'VIP, be quick' });
    await ok('POST', `/v1/conversations/${conv}/snooze`, { until: 'PT2H' });
    await ok('POST', `/v1/conversations/${conv}/analyze`);
    await ok('POST', `/v1/conversations/${conv}/close`);
    await eventually(
      async () =>
        (await ok('GET', `/v1/conversations/${conv}/messages?order=desc`)).data[0]?.type === 'interactive',
      15_000,
      50,
    );
    await openWindow(t, ws.test, '+14155550201', '5');

    // Leads.
    const lead = await ok('POST', '/v1/leads', { phone: '+14155550202', name: 'Asha' });
    await ok('PATCH', `/v1/leads/${lead.id}`, { fields: { budget: '5000' } });
    await ok('PATCH', `/v1/leads/${lead.id}`, { status: 'qualified' });

    // Templates, imports, broadcasts, campaigns.
    const tpl = await ok('POST', '/v1/templates', {
      name: 'reminder',
      language: 'en',
      category: 'utility',
      body: 'Hi {{1}}',
    });
    await ok('PATCH', `/v1/templates/${tpl.id}`, { status: 'paused' });
    await ok('PATCH', `/v1/templates/${tpl.id}`, { status: 'approved' });
    const imp = await t.call('POST', '/v1/imports', {
      key: ws.test,
      headers: { 'content-type': 'text/csv' },
      payload: 'phone,name\n+14155550203,Ravi\n',
    });
    assert.equal(imp.status, 202, imp.text);
    await ok('POST', '/v1/broadcasts', {
      name: 'Hello',
      template: { name: 'reminder', language: 'en' },
      phones: ['+14155550204'],
      variables: ['there'],
    });
    const audience = await ok('POST', '/v1/audiences', { name: 'Few' });
    await ok('POST', `/v1/audiences/${audience.id}/contacts`, { phones: ['+14155550205'] });
    const agent = await ok('POST', '/v1/agents', { name: 'Caller' });
    const campaign = await ok('POST', '/v1/campaigns', {
      name: 'Reminders',
      type: 'whatsapp',
      template: { name: 'reminder', language: 'en', variables: ['there'] },
      audience_id: audience.id,
    });
    await ok('POST', `/v1/campaigns/${campaign.id}/start`);

    // Calls: one answered, one that fails (a test number ending in 4 is invalid in test mode).
    await ok('POST', '/v1/calls', {
      calls: [
        { agent_id: agent.id, to: '+14155550206' },
        { agent_id: agent.id, to: '+14155550214' },
      ],
    });

    for (const type of [
      'message.delivered',
      'message.read',
      'import.completed',
      'broadcast.completed',
      'call.completed',
      'call.failed',
      'conversation.analyzed',
      'webhook_endpoint.disabled',
      'csat.received',
    ])
      await eventually(() => seenEvent(type), 60_000, 50);

    const { seen, failures } = await validateAllEvents((url) => ok('GET', url));
    assert.deepEqual(
      COVERED_BY_MORE.filter((type) => !seen.has(type)),
      [],
      `saw ${[...seen].sort().join(', ')}`,
    );
    assert.deepEqual(failures, []);
  });
});
