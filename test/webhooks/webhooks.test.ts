import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createEventsModule } from '../../src/modules/events/events.module.ts';
import type { Module } from '../../src/modules/module.ts';
import { attemptDelivery, defaultDeliveryOptions } from '../../src/modules/webhooks/webhooks.jobs.ts';
import { createWebhooksModule } from '../../src/modules/webhooks/webhooks.module.ts';
import { workspacesModule } from '../../src/modules/workspaces/workspaces.module.ts';
import type { EmitInput } from '../../src/platform/events.ts';
import { newId } from '../../src/platform/ids.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

/** The agents table as the webhooks module reads it, without depending on the agents module here. */
export const testAgentsModule: Module = {
  name: 'test-agents',
  migrations: {
    '0299_test_agents': {
      async up(db) {
        await db.schema
          .createTable('agents')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('workspace_id', 'text', (c) => c.notNull())
          .addColumn('livemode', 'integer', (c) => c.notNull())
          .addColumn('deleted_at', 'text')
          .execute();
      },
    },
  },
};

const retryScheduleMs = [40, 40, 40];

forEachStorage('webhooks', (storage) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let clockOffsetMs = 0;

  before(async () => {
    receiver = await startReceiver();
    t = await startTestApp(storage, {
      modules: [
        workspacesModule,
        testAgentsModule,
        createEventsModule({ heartbeatMs: 100 }),
        createWebhooksModule({ retryScheduleMs, timeoutMs: 400 }),
      ],
      testing: { now: () => new Date(Date.now() + clockOffsetMs) },
    });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  const emit = (ws: Workspace, livemode: boolean, type: EmitInput['type'], data: EmitInput['data']) =>
    t.ctx.transaction((tx) =>
      tx.emit({ workspaceId: ws.id, livemode, type, actor: { type: 'system', id: null }, data }),
    );

  const endpoint = async (key: string, path: string, extra: Record<string, unknown> = {}) => {
    const res = await t.call('POST', '/v1/webhooks', { key, body: { url: receiver.url + path, ...extra } });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; secret: string; url: string };
  };

  const deliveries = async (key: string, endpointId: string) => {
    const res = await t.call('GET', `/v1/webhooks/${endpointId}/deliveries`, { key });
    assert.equal(res.status, 200, res.text);
    return res.body.data as any[];
  };

  const settled = (key: string, endpointId: string, n = 1) =>
    eventually(async () => {
      const list = await deliveries(key, endpointId);
      return list.length >= n && list.every((d) => ['succeeded', 'failed', 'cancelled'].includes(d.state))
        ? list
        : null;
    }, 15_000);

  it('creates an endpoint with a Standard Webhooks secret shown once', async () => {
    const ws = await t.workspace();
    const created = await endpoint(ws.test, '/ok/create', {
      events: ['contact.created'],
      description: 'CRM',
    });
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.ok(Buffer.from(created.secret.slice(6), 'base64').length >= 24);
    const got = await t.call('GET', `/v1/webhooks/${created.id}`, { key: ws.test });
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, undefined);
    assert.deepEqual(got.body.events, ['contact.created']);
    assert.equal(got.body.status, 'enabled');
    assert.equal(got.body.livemode, false);
    const list = await t.call('GET', '/v1/webhooks', { key: ws.test });
    assert.deepEqual(
      list.body.data.map((e: any) => e.id),
      [created.id],
    );
    const defaults = await endpoint(ws.test, '/ok/defaults');
    assert.deepEqual((await t.call('GET', `/v1/webhooks/${defaults.id}`, { key: ws.test })).body.events, [
      '*',
    ]);
  });

  it('a family wildcard (call.*) receives every event of that kind and no other', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/family', { events: ['call.*', 'contact.created'] });
    const got = await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test });
    assert.deepEqual(got.body.events, ['call.*', 'contact.created']);
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    await emit(ws, false, 'call.started', { object: 'call', id: newId('call') });
    await emit(ws, false, 'call.completed', { object: 'call', id: newId('call') });
    await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const seen = await eventually(async () => {
      const at = receiver.at('/ok/family');
      return at.length >= 3 && at;
    });
    assert.deepEqual(seen.map((d) => JSON.parse(d.body).event).sort(), [
      'call.completed',
      'call.started',
      'contact.created',
    ]);
    const wrong = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok`, events: ['calls.*'] },
    });
    assert.equal(wrong.status, 400);
  });

  it('rejects unknown event types (naming the one meant, briefly), bad URLs and unknown fields', async () => {
    const ws = await t.workspace();
    const unknown = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok`, events: ['message.recieved'] },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'validation_failed');
    assert.match(JSON.stringify(unknown.body.error.errors), /did you mean `message\.received`/);
    // Another platform's names (ConvoAI's guide): the Parley event meant, in a short answer.
    const seeds = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: {
        url: `${receiver.url}/ok`,
        events: ['lead.qualified', 'appointment.booked', 'handoff.triggered'],
      },
    });
    assert.equal(seeds.status, 400);
    const said = JSON.stringify(seeds.body.error.errors);
    assert.match(said, /`appointment\.booked` is not a Parley event type: did you mean `booking\.created`/);
    assert.match(
      said,
      /`handoff\.triggered` is not a Parley event type: did you mean `conversation\.escalated`/,
    );
    assert.ok(seeds.text.length < 1500, `a short answer (${seeds.text.length} bytes)`);
    const mixed = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok`, events: ['*', 'message.sent'] },
    });
    assert.equal(mixed.status, 400);
    for (const url of ['ftp://example.com/x', 'not a url', '']) {
      const bad = await t.call('POST', '/v1/webhooks', { key: ws.test, body: { url } });
      assert.equal(bad.status, 400, url);
      assert.equal(bad.body.error.errors[0].field, 'url');
    }
    const extra = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok`, secret: 'x' },
    });
    assert.equal(extra.status, 400);
    const noAgent = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: `${receiver.url}/ok`, agent_id: newId('agt') },
    });
    assert.equal(noAgent.status, 404);
  });

  it("hides another workspace's and the other mode's endpoints and deliveries", async () => {
    const a = await t.workspace();
    const b = await t.workspace();
    const e = await endpoint(a.test, '/ok/hidden');
    const d = await t.call('POST', `/v1/webhooks/${e.id}/test`, { key: a.test });
    assert.equal(d.status, 202);
    for (const key of [b.test, b.live, a.live]) {
      assert.equal((await t.call('GET', `/v1/webhooks/${e.id}`, { key })).status, 404);
      assert.equal(
        (await t.call('PATCH', `/v1/webhooks/${e.id}`, { key, body: { description: 'x' } })).status,
        404,
      );
      assert.equal((await t.call('GET', `/v1/webhooks/${e.id}/deliveries`, { key })).status, 404);
      assert.equal(
        (await t.call('POST', `/v1/webhooks/${e.id}/deliveries/${d.body.id}/redeliver`, { key })).status,
        404,
      );
      assert.equal((await t.call('DELETE', `/v1/webhooks/${e.id}`, { key })).status, 404);
      assert.equal((await t.call('GET', '/v1/webhooks', { key })).body.data.length, 0);
    }
    // Events of workspace A in test mode do not reach B's or live endpoints.
    const other = await endpoint(b.test, '/ok/other-ws');
    const live = await endpoint(a.live, '/ok/live-mode');
    await emit(a, false, 'contact.created', { object: 'contact', id: newId('ct') });
    await settled(a.test, e.id, 2);
    assert.equal((await deliveries(b.test, other.id)).length, 0);
    assert.equal((await deliveries(a.live, live.id)).length, 0);
  });

  it('signs deliveries so the standardwebhooks verify accepts them, with X-Parley-Signature over the raw body', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.live, '/ok/signed', { events: ['contact.created'] });
    const event = await emit(ws, true, 'contact.created', {
      object: 'contact',
      id: newId('ct'),
      name: 'Asha',
    });
    const got = await eventually(async () => receiver.at('/ok/signed')[0]);
    const payload = new Webhook(e.secret).verify(got.body, got.headers as Record<string, string>) as any;
    assert.equal(payload.id, event.id);
    assert.equal(payload.object, 'event');
    assert.equal(payload.event, 'contact.created');
    assert.equal(payload.data.name, 'Asha');
    assert.deepEqual(payload.actor, { type: 'system', id: null });
    assert.equal(got.headers['webhook-id'], event.id);
    assert.equal(got.headers['x-parley-event'], 'contact.created');
    // The simple signature is keyed with the secret string exactly as shown, whsec_ included.
    assert.equal(
      got.headers['x-parley-signature'],
      `sha256=${createHmac('sha256', e.secret).update(got.body).digest('hex')}`,
    );
    // A tampered body or another secret fails verification.
    assert.throws(() =>
      new Webhook(e.secret).verify(got.body.replace('Asha', 'Eve'), got.headers as Record<string, string>),
    );
    const [d] = await settled(ws.live, e.id);
    assert.equal(d.state, 'succeeded');
    assert.equal(d.attempt_count, 1);
    assert.equal(d.attempts.length, 1);
    assert.equal(d.attempts[0].status_code, 200);
    assert.equal(d.attempts[0].error, null);
    assert.equal(d.status_code, 200);
    assert.equal(d.response_excerpt, 'thanks');
    assert.equal(d.event_id, event.id);
    assert.ok(d.delivered_at);
  });

  it("creates an endpoint with the caller's own secret and signs with it (X-Parley-Signature keyed with it as given)", async () => {
    const ws = await t.workspace();
    const secret = 'whsec_your_signing_secret'; // the example of ConvoAI's docs
    const e = await endpoint(ws.test, '/ok/own-secret', { events: ['contact.created'], secret });
    assert.equal(e.secret, secret);
    const listed = await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test });
    assert.equal(listed.body.secret, undefined, 'the secret is not shown again');
    await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const got = await eventually(async () => receiver.at('/ok/own-secret')[0]);
    assert.equal(
      got.headers['x-parley-signature'],
      `sha256=${createHmac('sha256', secret).update(got.body).digest('hex')}`,
    );
    // Not whsec_<base64>: the Standard Webhooks signature is keyed with the secret's UTF-8 bytes.
    new Webhook(secret, { format: 'raw' }).verify(got.body, got.headers as Record<string, string>);
    // A whsec_<base64> secret of the caller's keeps the specification's key.
    const b64 = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const e2 = await endpoint(ws.test, '/ok/own-b64', { events: ['contact.created'], secret: b64 });
    await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const got2 = await eventually(async () => receiver.at('/ok/own-b64')[0]);
    new Webhook(e2.secret).verify(got2.body, got2.headers as Record<string, string>);
    // Too short, or with spaces: 400 naming `secret`, nothing created.
    for (const bad of ['short', 'has a space in it ok', 42]) {
      const res = await t.call('POST', '/v1/webhooks', {
        key: ws.test,
        body: { url: `${receiver.url}/ok/x`, secret: bad },
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.error.errors.map((x: any) => x.field),
        ['secret'],
      );
    }
    assert.equal((await t.call('GET', '/v1/webhooks', { key: ws.test })).body.data.length, 2);
  });

  it('delivers only subscribed types, and to agent-filtered endpoints only their agent’s events', async () => {
    const ws = await t.workspace();
    const agentId = newId('agt');
    await t.ctx.db
      .insertInto('agents' as never)
      .values({ id: agentId, workspace_id: ws.id, livemode: 0 } as never)
      .execute();
    const leads = await endpoint(ws.test, '/ok/leads', { events: ['lead.captured'] });
    const agentHook = await t.call('POST', `/v1/agents/${agentId}/webhooks`, {
      key: ws.test,
      body: { url: `${receiver.url}/ok/agent` },
    });
    assert.equal(agentHook.status, 201, agentHook.text);
    assert.equal(agentHook.body.agent_id, agentId);
    const listed = await t.call('GET', `/v1/agents/${agentId}/webhooks`, { key: ws.test });
    assert.deepEqual(
      listed.body.data.map((x: any) => x.id),
      [agentHook.body.id],
    );
    assert.equal((await t.call('GET', `/v1/agents/${agentId}/webhooks`, { key: ws.live })).status, 404);

    await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const mine = await emit(ws, false, 'lead.captured', {
      object: 'lead',
      id: newId('lead'),
      agent_id: agentId,
    });
    await emit(ws, false, 'lead.captured', { object: 'lead', id: newId('lead'), agent_id: newId('agt') });
    const leadDeliveries = await settled(ws.test, leads.id, 2);
    assert.deepEqual(
      leadDeliveries.map((d) => d.event_type),
      ['lead.captured', 'lead.captured'],
    );
    const agentDeliveries = await settled(ws.test, agentHook.body.id, 1);
    assert.equal(agentDeliveries.length, 1);
    assert.equal(agentDeliveries[0].event_id, mine.id);
  });

  it('retries failures with the same webhook-id until a 2xx', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/flaky/2/retry');
    const event = await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const [d] = await settled(ws.test, e.id);
    assert.equal(d.state, 'succeeded');
    assert.equal(d.attempt_count, 3);
    // The delivery log shows every attempt, not only the last: two failures (503, or no answer
    // within the test's 400 ms on a loaded machine), then the 200.
    assert.equal(d.attempts.length, 3);
    for (const failed of d.attempts.slice(0, 2)) {
      assert.notEqual(failed.status_code, 200);
      assert.match(failed.error, /HTTP 503|within 400 ms/);
    }
    assert.equal(d.attempts[2].status_code, 200);
    assert.equal(d.attempts[2].error, null);
    for (const a of d.attempts) {
      assert.ok(Number.isInteger(a.duration_ms) && a.duration_ms >= 0);
      assert.ok(!Number.isNaN(Date.parse(a.at)));
    }
    assert.ok(d.attempts[0].at <= d.attempts[1].at && d.attempts[1].at <= d.attempts[2].at);
    const attempts = receiver.at('/flaky/2/retry');
    assert.equal(attempts.length, 3);
    assert.deepEqual(
      attempts.map((a) => a.headers['webhook-id']),
      [event.id, event.id, event.id],
    );
    assert.deepEqual(
      attempts.map((a) => a.headers['x-parley-attempt']),
      ['1', '2', '3'],
    );
    for (const a of attempts) new Webhook(e.secret).verify(a.body, a.headers as Record<string, string>);
  });

  it('gives up after the last scheduled attempt on a receiver that keeps failing', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/fail/always');
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const [d] = await settled(ws.test, e.id);
    assert.equal(d.state, 'failed');
    assert.equal(d.attempt_count, retryScheduleMs.length + 1);
    assert.equal(d.attempts.length, retryScheduleMs.length + 1);
    assert.equal(d.status_code, 500);
    assert.equal(d.response_excerpt, 'boom');
    assert.match(d.error, /500/);
    assert.equal(d.next_retry_at, null);
    const failed = await t.call('GET', `/v1/webhooks/${e.id}/deliveries?state=failed`, { key: ws.test });
    assert.equal(failed.body.data.length, 1);
    assert.equal(
      (await t.call('GET', `/v1/webhooks/${e.id}/deliveries?state=succeeded`, { key: ws.test })).body.data
        .length,
      0,
    );
  });

  it('disables the endpoint on 410 and records webhook_endpoint.disabled', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/gone/x');
    const watcher = await endpoint(ws.test, '/ok/watcher', { events: ['webhook_endpoint.disabled'] });
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const [d] = await settled(ws.test, e.id);
    assert.equal(d.state, 'failed');
    assert.equal(d.attempt_count, 1);
    assert.equal(d.attempts[0].status_code, 410);
    const got = await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test });
    assert.equal(got.body.status, 'disabled');
    assert.equal(got.body.disabled_reason, 'gone');
    const events = await t.call('GET', '/v1/events?type=webhook_endpoint.disabled', { key: ws.test });
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].data.id, e.id);
    assert.equal(events.body.data[0].actor.type, 'system');
    const [w] = await settled(ws.test, watcher.id);
    assert.equal(w.event_type, 'webhook_endpoint.disabled');
    // Disabled: later events are not delivered to it; re-enabling resumes deliveries.
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    assert.equal((await deliveries(ws.test, e.id)).length, 1);
    const redeliver = await t.call('POST', `/v1/webhooks/${e.id}/deliveries/${d.id}/redeliver`, {
      key: ws.test,
    });
    assert.equal(redeliver.status, 409);
    const enabled = await t.call('PATCH', `/v1/webhooks/${e.id}`, {
      key: ws.test,
      body: { status: 'enabled' },
    });
    assert.equal(enabled.body.status, 'enabled');
    assert.equal(enabled.body.disabled_reason, null);
  });

  it('records timeouts, resets, redirects and huge answers as failed attempts', async () => {
    const ws = await t.workspace();
    const cases = [
      ['/hang/1', /within 400 ms/],
      ['/reset/1', /reset|closed|socket hang up/i],
      ['/redirect/1', /redirect.*not followed/],
    ] as const;
    const ids: Array<[string, RegExp]> = [];
    for (const [path, pattern] of cases) ids.push([(await endpoint(ws.test, path)).id, pattern]);
    const huge = await endpoint(ws.test, '/huge/1');
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    for (const [id, pattern] of ids) {
      const [d] = await settled(ws.test, id);
      assert.equal(d.state, 'failed', id);
      assert.equal(d.attempt_count, retryScheduleMs.length + 1);
      assert.equal(d.attempts.length, retryScheduleMs.length + 1);
      assert.match(d.error, pattern);
    }
    const [h] = await settled(ws.test, huge.id);
    // A 200 with a huge body succeeds; only the first KB is read and kept.
    assert.equal(h.state, 'succeeded');
    assert.equal(h.response_excerpt.length, 1024);
    assert.equal(
      receiver.at('/redirect/1').length,
      retryScheduleMs.length + 1,
      'the redirect was not followed',
    );
  });

  it('cancels deliveries queued for an endpoint deleted before they ran', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/deleted');
    await t.ctx.transaction(async (tx) => {
      await tx.emit({
        workspaceId: ws.id,
        livemode: false,
        type: 'message.sent',
        actor: { type: 'system', id: null },
        data: { object: 'message', id: newId('msg') },
      });
      await tx.db.deleteFrom('webhook_endpoints').where('id', '=', e.id).execute();
    });
    const d = await eventually(async () => {
      const row = await t.ctx.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('endpoint_id', '=', e.id)
        .executeTakeFirst();
      return row && row.state !== 'pending' ? row : null;
    });
    assert.equal(d.state, 'cancelled');
    assert.match(d.error ?? '', /deleted/);
    assert.equal(receiver.at('/ok/deleted').length, 0);
    assert.equal((await t.call('DELETE', `/v1/webhooks/${e.id}`, { key: ws.test })).status, 404);
  });

  it('re-runs an attempt whose outcome was never recorded (at-least-once), never a settled one', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/rerun');
    const event = await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const [d] = await settled(ws.test, e.id);
    const opts = { ...defaultDeliveryOptions, retryScheduleMs };
    await attemptDelivery(t.ctx, opts, d.id);
    assert.equal(receiver.at('/ok/rerun').length, 1, 'a settled delivery is not sent again');
    // As if the worker died after sending but before recording: the job runs again.
    await t.ctx.db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending' })
      .where('id', '=', d.id)
      .execute();
    await attemptDelivery(t.ctx, opts, d.id);
    const sent = receiver.at('/ok/rerun');
    assert.equal(sent.length, 2);
    assert.equal(sent[1].headers['webhook-id'], event.id);
    new Webhook(e.secret).verify(sent[1].body, sent[1].headers as Record<string, string>);
  });

  it('rotates the secret: both signatures for 24 hours, then only the new one', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/rotate');
    const rotated = await t.call('POST', `/v1/webhooks/${e.id}/rotate-secret`, { key: ws.test });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, e.secret);
    assert.ok(rotated.body.previous_secret_expires_at);
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const got = await eventually(async () => receiver.at('/ok/rotate')[0]);
    const headers = got.headers as Record<string, string>;
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    new Webhook(e.secret).verify(got.body, headers);
    new Webhook(rotated.body.secret).verify(got.body, headers);
    assert.equal(headers['x-parley-signature'].split(',').length, 2);
    clockOffsetMs = 25 * 3_600_000;
    try {
      await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
      const later = await eventually(async () => receiver.at('/ok/rotate')[1]);
      assert.equal(String(later.headers['webhook-signature']).split(' ').length, 1);
      assert.equal(
        later.headers['x-parley-signature'],
        `sha256=${createHmac('sha256', rotated.body.secret).update(later.body).digest('hex')}`,
      );
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("rotates to the caller's own secret, checked as at creation", async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/rotate-own');
    const short = await t.call('POST', `/v1/webhooks/${e.id}/rotate-secret`, {
      key: ws.test,
      body: { secret: 'short' },
    });
    assert.equal(short.status, 400, short.text);
    assert.deepEqual(short.body.error.errors, [
      { field: 'secret', message: 'must be at least 16 characters' },
    ]);
    const unknown = await t.call('POST', `/v1/webhooks/${e.id}/rotate-secret`, {
      key: ws.test,
      body: { secert: 'my-own-signing-secret-2026' },
    });
    assert.equal(unknown.status, 400, unknown.text);
    const unchanged = await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test });
    assert.equal(unchanged.body.previous_secret_expires_at, null, 'a refused rotation changes nothing');
    const own = await t.call('POST', `/v1/webhooks/${e.id}/rotate-secret`, {
      key: ws.test,
      body: { secret: 'my-own-signing-secret-2026' },
    });
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.secret, 'my-own-signing-secret-2026');
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    const got = await eventually(async () => receiver.at('/ok/rotate-own')[0]);
    assert.ok(
      String(got.headers['x-parley-signature']).includes(
        `sha256=${createHmac('sha256', 'my-own-signing-secret-2026').update(got.body).digest('hex')}`,
      ),
    );
  });

  it('sends webhook.test to the tested endpoint only, and redelivers with the same webhook-id', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/tested');
    const bystander = await endpoint(ws.test, '/ok/bystander');
    const sent = await t.call('POST', `/v1/webhooks/${e.id}/test`, { key: ws.test });
    assert.equal(sent.status, 202);
    assert.equal(sent.body.event_type, 'webhook.test');
    const got = await eventually(async () => receiver.at('/ok/tested')[0]);
    assert.equal(JSON.parse(got.body).event, 'webhook.test');
    await settled(ws.test, e.id);
    assert.equal((await deliveries(ws.test, bystander.id)).length, 0);
    const again = await t.call('POST', `/v1/webhooks/${e.id}/deliveries/${sent.body.id}/redeliver`, {
      key: ws.test,
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.redelivery_of, sent.body.id);
    const second = await eventually(async () => receiver.at('/ok/tested')[1]);
    assert.equal(second.headers['webhook-id'], got.headers['webhook-id']);
    const list = await settled(ws.test, e.id, 2);
    assert.equal(list.length, 2);
  });

  it('disables an endpoint whose every delivery failed for 5 days', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/fail/five-days');
    await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    await settled(ws.test, e.id);
    assert.equal((await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test })).body.status, 'enabled');
    clockOffsetMs = 5 * 86_400_000 + 60_000;
    try {
      await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
      const got = await eventually(async () => {
        const r = await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test });
        return r.body.status === 'disabled' ? r.body : null;
      });
      assert.equal(got.disabled_reason, 'failing');
      const events = await t.call('GET', '/v1/events?type=webhook_endpoint.disabled', { key: ws.test });
      assert.equal(events.body.data.length, 1);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('updates and deletes endpoints', async () => {
    const ws = await t.workspace();
    const e = await endpoint(ws.test, '/ok/update');
    const patched = await t.call('PATCH', `/v1/webhooks/${e.id}`, {
      key: ws.test,
      body: { events: ['booking.created'], description: 'Bookings', status: 'disabled' },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.events, ['booking.created']);
    assert.equal(patched.body.status, 'disabled');
    assert.equal(patched.body.disabled_reason, 'manual');
    assert.equal(
      (await t.call('PATCH', `/v1/webhooks/${e.id}`, { key: ws.test, body: { events: ['nope'] } })).status,
      400,
    );
    assert.equal(
      (await t.call('PATCH', `/v1/webhooks/${e.id}`, { key: ws.test, body: { url: 'gopher://x' } })).status,
      400,
    );
    const disabledOnly = await t.call('GET', '/v1/webhooks?status=disabled', { key: ws.test });
    assert.deepEqual(
      disabledOnly.body.data.map((x: any) => x.id),
      [e.id],
    );
    const deleted = await t.call('DELETE', `/v1/webhooks/${e.id}`, { key: ws.test });
    assert.deepEqual(deleted.body, { id: e.id, object: 'webhook_endpoint', deleted: true });
    assert.equal((await t.call('GET', `/v1/webhooks/${e.id}`, { key: ws.test })).status, 404);
  });
});

forEachStorage('webhooks with private targets refused', (storage) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storage, {
      env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0' },
      modules: [workspacesModule, testAgentsModule, createEventsModule(), createWebhooksModule()],
    });
  });
  after(async () => t.close());

  it('refuses literal private addresses and localhost at creation', async () => {
    const ws = await t.workspace();
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://[fd00::1]/x',
      'http://0x7f.1/x',
      'http://localhost:3000/x',
    ]) {
      const res = await t.call('POST', '/v1/webhooks', { key: ws.test, body: { url } });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.errors[0].field, 'url');
      // The refusal tells a developer how to receive webhooks locally.
      assert.match(res.body.error.message, /PARLEY_WEBHOOK_ALLOW_PRIVATE=1/);
      assert.match(res.body.error.message, /parley webhooks listen --forward-to/);
    }
    const ok = await t.call('POST', '/v1/webhooks', {
      key: ws.test,
      body: { url: 'https://hooks.example.com/parley' },
    });
    assert.equal(ok.status, 201);
  });
});
