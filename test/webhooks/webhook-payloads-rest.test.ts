import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runPass } from '../../src/modules/campaigns/campaigns.service.ts';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, statusPayload } from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';
import {
  COVERED_BY_MORE,
  COVERED_BY_PAYLOADS,
  COVERED_BY_PAYMENTS,
  COVERED_BY_REST,
  COVERED_BY_TOOLS,
  validateAllEvents,
  validators,
} from '../support/webhook-schemas.ts';

/**
 * Issue 25 item 12, the last event types: a WhatsApp message the provider reports failed, a
 * customer's edit and deletion, a handoff nobody answers in time, a breached SLA, a campaign
 * that completes and an analysed call. Every event is validated against its documented schema,
 * and the three payload files together cover every documented event type.
 */
forEachStorage('webhook payloads match their schemas: failures, timers, campaigns', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let meta: FakeMetaGraph;
  let number: FakeNumber;
  let waChannel: string;
  let seq = 0;
  // The app's clock: a Monday, 11:00 in California (inside a US recipient's legal hours); the
  // test moves it forward for the timers, whose jobs the queue runs on the wall clock.
  let now = new Date('2026-05-11T18:00:00Z');
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };

  before(async () => {
    meta = new FakeMetaGraph('v21.0');
    meta.statusWebhooks = false;
    await meta.start();
    t = await startTestApp(storage, {
      env: {
        PARLEY_META_GRAPH_URL: meta.url,
        PARLEY_META_GRAPH_VERSION: 'v21.0',
        // The sandbox call runs on its own clock: the same events, without a real-time conversation.
        PARLEY_VOICE_SANDBOX_PACE: 'virtual',
      },
      modules: providerTestModules(),
      testing: { now: () => now },
    });
    ws = await t.workspace({ default_country: 'US' });
    number = meta.addNumber({ displayPhoneNumber: '15550783991' });
    const wa = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+15550783991',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'v',
        },
      },
    });
    assert.equal(wa.status, 201, wa.text);
    waChannel = wa.body.id;
  });
  after(async () => {
    await meta?.settled();
    await t?.close();
    await meta?.stop();
  });

  const ok = async (method: string, url: string, body?: unknown, key = ws.test) => {
    const r = await t.call(method, url, { key, body });
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };
  const seenEvent = async (type: string, key = ws.test) =>
    (await ok('GET', `/v1/events?type=${type}`, undefined, key)).data.length > 0;
  const wamid = () => `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMy${++seq}${storage}`;
  const postMeta = async (value: Record<string, unknown>) => {
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: number.businessAccountId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: number.displayPhoneNumber,
                  phone_number_id: number.phoneNumberId,
                },
                ...value,
              },
            },
          ],
        },
      ],
    });
    const res = await t.call('POST', `/hooks/whatsapp/${waChannel}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(res.status, 200, res.text);
  };
  const statusFor = async (payload: ReturnType<typeof statusPayload>) =>
    postMeta(payload.entry[0]!.changes[0]!.value as Record<string, unknown>);
  /** A customer's WhatsApp message, as Meta delivers it. */
  const fromCustomer = async (waId: string, msg: Record<string, unknown>) => {
    const id = wamid();
    await postMeta({
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: waId }],
      messages: [{ from: waId, id, timestamp: String(Math.floor(now.getTime() / 1000)), ...msg }],
    });
    return id;
  };

  it('validates each emitted event against its documented schema', async () => {
    // WhatsApp (live): a customer writes, edits and deletes; a reply is reported failed by Meta.
    const waId = '16505551380';
    const original = await fromCustomer(waId, { type: 'text', text: { body: 'See you at 5' } });
    // Meta's webhooks are processed in the background: the edit follows the stored original.
    await eventually(() => seenEvent('message.received', ws.live));
    await fromCustomer(waId, {
      type: 'edit',
      edit: { original_message_id: original, message: { type: 'text', text: { body: 'See you at 6' } } },
    });
    await eventually(() => seenEvent('message.edited', ws.live));
    await fromCustomer(waId, { type: 'revoke', revoke: { original_message_id: original } });
    await eventually(() => seenEvent('message.deleted', ws.live));
    const reply = await ok('POST', '/v1/messages', { to: `+${waId}`, type: 'text', text: 'Noted' }, ws.live);
    const sent = await eventually(async () => {
      const m = await ok('GET', `/v1/messages/${reply.id}`, undefined, ws.live);
      return m.provider_message_id ? m : null;
    });
    await statusFor(
      statusPayload(number, sent.provider_message_id, `+${waId}`, 'failed', [
        { code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' },
      ]),
    );
    await eventually(() => seenEvent('message.failed', ws.live));

    // A call (test mode) is analysed when it ends.
    const agent = await ok('POST', '/v1/agents', { name: 'Caller' });
    await ok('POST', '/v1/calls', {
      calls: [
        {
          agent_id: agent.id,
          to: '+14155550306',
          sandbox: { lines: ['Hi, I want a haircut', 'Thank you, bye'], hangup_after_lines: true },
        },
      ],
    });
    await eventually(() => seenEvent('call.analyzed'), 60_000, 50);

    // A small WhatsApp campaign (test mode) that completes: its pass runs as the tick job runs it.
    await ok('POST', '/v1/templates', {
      name: 'reminder',
      language: 'en',
      category: 'utility',
      body: 'Hi {{1}}',
    });
    const audience = await ok('POST', '/v1/audiences', { name: 'Few' });
    await ok('POST', `/v1/audiences/${audience.id}/contacts`, { phones: ['+14155550305'] });
    const campaign = await ok('POST', '/v1/campaigns', {
      name: 'Reminders',
      type: 'whatsapp',
      template: { name: 'reminder', language: 'en', variables: ['there'] },
      audience_id: audience.id,
    });
    await ok('POST', `/v1/campaigns/${campaign.id}/start`);
    await eventually(
      async () => {
        await runPass(t.ctx, campaign.id);
        return seenEvent('campaign.completed');
      },
      30_000,
      100,
    );

    // A handoff nobody answers within the policy's minute, and an SLA first response missed. The
    // policy's team has nobody online at first (the conversation waits in its queue), then a
    // member comes online and the next handoff is given to them by the team's rule.
    const person = await ok('POST', '/v1/users', {
      name: 'Priya',
      email: 'priya@example.com',
      role: 'agent',
      password: 'correct horse battery',
    });
    const team = await ok('POST', '/v1/teams', {
      name: 'Desk',
      user_ids: [person.id],
      assignment: { mode: 'round_robin' },
    });
    await ok('PUT', '/v1/handoff-policy', {
      team_id: team.id,
      reply_within_minutes: 1,
      on_timeout: 'notify',
    });
    await ok('POST', '/v1/sla-policies', { name: 'Quick', first_response_minutes: 1 });
    const inbound = async (from: string) =>
      (await ok('POST', '/v1/sandbox/inbound', { from, text: 'Hello' })).conversation_id as string;
    const conv = await inbound('+14155550307');
    await ok('POST', `/v1/conversations/${conv}/handoff`, { reason: 'needs a person' });
    await ok('PUT', `/v1/users/${person.id}/availability`, { availability: 'online' });
    const second = await inbound('+14155550308');
    await ok('POST', `/v1/conversations/${second}/handoff`, { reason: 'needs a person' });
    const assigned = async (key: string) =>
      (await ok('GET', '/v1/events?type=conversation.assigned&per_page=100')).data.some(
        (e: { data: Record<string, unknown> }) => key in e.data,
      );
    await eventually(() => assigned('queued'), 15_000, 50);
    await eventually(() => assigned('routed_by'), 15_000, 50);
    advance(2);
    await eventually(() => seenEvent('conversation.handoff_timeout'), 15_000, 50);
    await eventually(() => seenEvent('sla.breached'), 15_000, 50);

    const live = await validateAllEvents((url) => ok('GET', url, undefined, ws.live));
    const test = await validateAllEvents((url) => ok('GET', url));
    const seen = new Set([...live.seen, ...test.seen]);
    assert.deepEqual(
      COVERED_BY_REST.filter((type) => !seen.has(type)),
      [],
      `saw ${[...seen].sort().join(', ')}`,
    );
    assert.deepEqual([...live.failures, ...test.failures], []);
  });

  it('the three payload files together validate every documented event type', () => {
    const covered = new Set([
      ...COVERED_BY_PAYLOADS,
      ...COVERED_BY_MORE,
      ...COVERED_BY_REST,
      ...COVERED_BY_TOOLS,
      ...COVERED_BY_PAYMENTS,
    ]);
    assert.deepEqual(
      [...validators.keys()].filter((type) => !covered.has(type)),
      [],
      'each documented event type is emitted and validated by a payload test',
    );
    assert.deepEqual(
      [...covered].filter((type) => !validators.has(type)),
      [],
      'each covered type is documented',
    );
  });
});
