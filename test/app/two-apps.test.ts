import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adapterFor, registerAdapter } from '../../src/modules/channels/adapters.ts';
import type { ChannelAdapter, OutboundMessage } from '../../src/modules/channels/channel-adapter.ts';
import { type CustomerMessage, customerMessageOf } from '../../src/modules/messaging/index.ts';
import {
  eventually,
  postgresAvailable,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Two apps in one process, each on its own storage (SQLite and, when reachable, PostgreSQL): an
 * app's adapters, reactions, caches, session keys and events belong to it alone.
 */
describe('two apps in one process', () => {
  let a: TestApp;
  let b: TestApp;
  let wa: Workspace;
  let wb: Workspace;
  const sentByFake: OutboundMessage[] = [];
  const fakeTwilio: ChannelAdapter = {
    provider: 'twilio',
    async send(_channel, message) {
      sentByFake.push(message);
      return { providerMessageId: `SM${message.id}` };
    },
    verifyInbound: () => true,
    parseInbound: () => ({ messages: [], statuses: [], notices: [] }),
  };
  const hookCalls: Record<'a' | 'b', CustomerMessage[]> = { a: [], b: [] };
  const eventsSeen: Record<'a' | 'b', string[]> = { a: [], b: [] };

  before(async () => {
    a = await startTestApp('sqlite');
    b = await startTestApp((await postgresAvailable()) ? 'postgres' : 'sqlite');
    registerAdapter(a.ctx, fakeTwilio);
    for (const [app, calls] of [
      [a, hookCalls.a],
      [b, hookCalls.b],
    ] as const)
      app.ctx.reactions.add({
        name: 'test.customer_message',
        hears: ['message.received'],
        step: 'follow',
        run: async (_tx, events) => {
          for (const e of events) {
            const m = customerMessageOf(e);
            if (m) calls.push(m);
          }
        },
      });
    a.ctx.reactions.add({
      name: 'test.seen',
      hears: ['*'],
      step: 'record',
      run: async (_tx, events) => {
        for (const e of events) eventsSeen.a.push(e.workspace_id);
      },
    });
    b.ctx.reactions.add({
      name: 'test.seen',
      hears: ['*'],
      step: 'record',
      run: async (_tx, events) => {
        for (const e of events) eventsSeen.b.push(e.workspace_id);
      },
    });
    wa = await a.workspace();
    wb = await b.workspace();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('runs on the storages it was given', () => {
    assert.equal(a.ctx.dialect, 'sqlite');
    assert.equal(b.ctx.dialect, b.storage);
  });

  it("keeps each app's adapters: a fake in one is never used by the other", async () => {
    assert.equal(adapterFor(a.ctx, 'twilio'), fakeTwilio);
    const real = adapterFor(b.ctx, 'twilio');
    assert.ok(real, 'the other app keeps its real Twilio adapter');
    assert.notEqual(real, fakeTwilio);
    assert.equal(adapterFor(a.ctx, 'sandbox'), adapterFor(b.ctx, 'sandbox'), 'stateless sandbox is shared');

    const channel = await a.call('POST', '/v1/channels', {
      key: wa.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155550102',
        credentials: { account_sid: 'AC1', auth_token: 'tok' },
      },
    });
    assert.equal(channel.status, 201, channel.text);
    const sent = await a.call('POST', '/v1/messages', {
      key: wa.live,
      body: { channel: 'sms', to: '+14155550177', text: 'Your table is ready' },
    });
    assert.equal(sent.status, 201, sent.text);
    const row = await eventually(() =>
      a.ctx.db
        .selectFrom('messages')
        .select(['status', 'provider_message_id'])
        .where('id', '=', sent.body.id)
        .where('status', '=', 'sent')
        .executeTakeFirst(),
    );
    assert.equal(row.provider_message_id, `SM${sent.body.id}`);
    assert.deepEqual(
      sentByFake.map((m) => m.to),
      ['+14155550177'],
    );
  });

  it("keeps each app's hooks: an inbound message runs its own app's listeners only", async () => {
    const inB = await b.call('POST', '/v1/sandbox/inbound', {
      key: wb.test,
      body: { from: '+14155550188', text: 'Hello B' },
    });
    assert.equal(inB.status, 200, inB.text);
    assert.equal(hookCalls.b.length, 1);
    assert.equal(hookCalls.b[0].workspaceId, wb.id);
    assert.equal(hookCalls.a.length, 0);

    const inA = await a.call('POST', '/v1/sandbox/inbound', {
      key: wa.test,
      body: { from: '+14155550188', text: 'Hello A' },
    });
    assert.equal(inA.status, 200, inA.text);
    assert.deepEqual(
      hookCalls.a.map((e) => e.workspaceId),
      [wa.id],
    );
    assert.equal(hookCalls.b.length, 1);
  });

  it("keeps each app's caches", () => {
    const keysOf = (t: TestApp) => [...t.ctx.modules.channels.sendChannels.keys()];
    assert.ok(
      keysOf(a).some((k) => k.startsWith(`${wa.id}:`)),
      'the sending app remembered its channel',
    );
    assert.ok(!keysOf(b).some((k) => k.startsWith(`${wa.id}:`)));
    assert.notEqual(a.ctx.modules.channels.openedCredentials, b.ctx.modules.channels.openedCredentials);
    assert.notEqual(a.ctx.modules.webhooks.endpoints, b.ctx.modules.webhooks.endpoints);
  });

  it("keeps each app's events", () => {
    assert.ok(eventsSeen.a.includes(wa.id));
    assert.ok(eventsSeen.b.includes(wb.id));
    assert.ok(!eventsSeen.a.includes(wb.id), "app A's sinks never see B's events");
    assert.ok(!eventsSeen.b.includes(wa.id), "app B's sinks never see A's events");
  });

  it("keeps each app's session keys: a login token of one app is refused by the other", async () => {
    const user = await a.call('POST', '/v1/users', {
      key: wa.live,
      body: { name: 'Priya', email: 'priya@glow.in', role: 'admin', password: 'correct horse' },
    });
    assert.equal(user.status, 201, user.text);
    const login = await a.call('POST', '/v1/auth/login', {
      body: { email: 'priya@glow.in', password: 'correct horse' },
    });
    assert.equal(login.status, 200, login.text);
    assert.equal((await a.call('GET', '/v1/me', { key: login.body.token })).status, 200);
    assert.equal((await b.call('GET', '/v1/me', { key: login.body.token })).status, 401);
  });
});
