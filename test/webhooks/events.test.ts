import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEventsModule } from '../../src/modules/events/events.module.ts';
import { purgeEvents } from '../../src/modules/events/events.service.ts';
import { createWebhooksModule } from '../../src/modules/webhooks/webhooks.module.ts';
import { workspacesModule } from '../../src/modules/workspaces/workspaces.module.ts';
import { loadConfig } from '../../src/platform/config.ts';
import type { AppContext } from '../../src/platform/context.ts';
import type { EmitInput } from '../../src/platform/events.ts';
import { newId } from '../../src/platform/ids.ts';
import { type Parley, startParley } from '../../src/server.ts';
import {
  ADMIN_TOKEN,
  createPgDatabase,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

interface SseMessage {
  id: string;
  event: string;
  data: any;
}

/** A Server-Sent Events client over node:http that records what it receives. */
function openStream(base: string, key: string, headers: Record<string, string> = {}, query = '') {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let status = 0;
  let buffer = '';
  const req = http.get(
    `${base}/v1/events/stream${query}`,
    { headers: { authorization: `Bearer ${key}`, ...headers } },
    (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const i = line.indexOf(':');
              if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
            }
          }
          if (fields.id) messages.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('error', () => {});
    },
  );
  req.on('error', () => {});
  return {
    messages,
    comments,
    status: () => status,
    ready: () => eventually(async () => comments.includes('connected')),
    close: () => req.destroy(),
  };
}

const emitOn = (
  ctx: AppContext,
  ws: Workspace,
  livemode: boolean,
  type: EmitInput['type'],
  data: EmitInput['data'],
) =>
  ctx.transaction((tx) =>
    tx.emit({ workspaceId: ws.id, livemode, type, actor: { type: 'system', id: null }, data }),
  );

forEachStorage('events', (storage) => {
  let t: TestApp;
  let base: string;
  let subscriptions = 0;

  before(async () => {
    t = await startTestApp(storage, {
      modules: [workspacesModule, createEventsModule({ heartbeatMs: 100 }), createWebhooksModule()],
    });
    // Counts live subscriptions, to check a closed stream lets go of its own.
    const subscribe = t.ctx.bus.subscribe.bind(t.ctx.bus);
    t.ctx.bus.subscribe = (channel, handler) => {
      subscriptions++;
      const off = subscribe(channel, handler);
      return () => {
        subscriptions--;
        off();
      };
    };
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => t.close());

  const emit = (ws: Workspace, livemode: boolean, type: EmitInput['type'], data: EmitInput['data']) =>
    emitOn(t.ctx, ws, livemode, type, data);

  it('lists events newest first, filtered by type, object and time', async () => {
    const ws = await t.workspace();
    const convId = newId('conv');
    const e1 = await emit(ws, false, 'conversation.created', {
      object: 'conversation',
      id: convId,
      status: 'open',
    });
    const e2 = await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const e3 = await emit(ws, false, 'conversation.resolved', {
      object: 'conversation',
      id: convId,
      status: 'resolved',
    });
    await emit(ws, true, 'contact.created', { object: 'contact', id: newId('ct') });
    const all = await t.call('GET', '/v1/events', { key: ws.test });
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.data.map((e: any) => e.id),
      [e3.id, e2.id, e1.id],
    );
    assert.equal(all.body.data[0].object, 'event');
    assert.equal(all.body.data[0].api_version, 'v1');
    assert.equal(all.body.data[0].data.status, 'resolved');
    const byObject = await t.call('GET', `/v1/events?object_id=${convId}`, { key: ws.test });
    assert.deepEqual(
      byObject.body.data.map((e: any) => e.id),
      [e3.id, e1.id],
    );
    const byType = await t.call('GET', '/v1/events?type=contact.created,conversation.created', {
      key: ws.test,
    });
    assert.deepEqual(
      byType.body.data.map((e: any) => e.id),
      [e2.id, e1.id],
    );
    const after = await t.call('GET', `/v1/events?created_after=${encodeURIComponent(e1.timestamp)}`, {
      key: ws.test,
    });
    assert.ok(!after.body.data.some((e: any) => e.id === e1.id));
    const future = await t.call('GET', '/v1/events?created_after=2999-01-01T00:00:00Z', { key: ws.test });
    assert.equal(future.body.data.length, 0);
    const before = await t.call('GET', '/v1/events?created_before=2000-01-01T00:00:00Z', { key: ws.test });
    assert.equal(before.body.data.length, 0);
    const one = await t.call('GET', `/v1/events/${e2.id}`, { key: ws.test });
    assert.equal(one.body.id, e2.id);
    assert.equal((await t.call('GET', `/v1/events/${e2.id}`, { key: ws.live })).status, 404);
    const other = await t.workspace();
    assert.equal((await t.call('GET', `/v1/events/${e2.id}`, { key: other.test })).status, 404);
    assert.equal((await t.call('GET', '/v1/events', { key: other.test })).body.data.length, 0);
  });

  it('rejects unknown types and malformed times', async () => {
    const ws = await t.workspace();
    const bad = await t.call('GET', '/v1/events?type=message.teleported', { key: ws.test });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.error.errors), /message\.received/);
    assert.equal((await t.call('GET', '/v1/events?created_after=yesterday', { key: ws.test })).status, 400);
  });

  it('purges events older than 30 days', async () => {
    const ws = await t.workspace();
    const kept = await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const old = await emit(ws, false, 'contact.created', { object: 'contact', id: newId('ct') });
    const longAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await t.ctx.db.updateTable('events').set({ created_at: longAgo }).where('id', '=', old.id).execute();
    assert.ok((await purgeEvents(t.ctx)) >= 1);
    const ids = (await t.call('GET', '/v1/events', { key: ws.test })).body.data.map((e: any) => e.id);
    assert.deepEqual(ids, [kept.id]);
  });

  it('streams live events of its workspace and mode only, with heartbeats', async () => {
    const ws = await t.workspace();
    const other = await t.workspace();
    const stream = openStream(base, ws.test);
    await stream.ready();
    assert.equal(stream.status(), 200);
    await emit(other, false, 'contact.created', { object: 'contact', id: newId('ct') });
    await emit(ws, true, 'contact.created', { object: 'contact', id: newId('ct') });
    const mine = await emit(ws, false, 'lead.captured', { object: 'lead', id: newId('lead'), name: 'Ravi' });
    await eventually(async () => stream.messages.length >= 1);
    await eventually(async () => stream.comments.includes('heartbeat'));
    assert.equal(stream.messages.length, 1);
    assert.equal(stream.messages[0].id, mine.id);
    assert.equal(stream.messages[0].event, 'lead.captured');
    assert.equal(stream.messages[0].data.data.name, 'Ravi');
    assert.equal(stream.messages[0].data.object, 'event');
    const before = subscriptions;
    stream.close();
    await eventually(async () => subscriptions === before - 1);
  });

  it('resumes after Last-Event-ID with neither gaps nor duplicates', async () => {
    const ws = await t.workspace();
    const first = openStream(base, ws.test);
    await first.ready();
    const e1 = await emit(ws, false, 'message.received', { object: 'message', id: newId('msg') });
    await eventually(async () => first.messages.length === 1);
    first.close();
    const missed = [];
    for (let i = 0; i < 3; i++)
      missed.push(await emit(ws, false, 'message.received', { object: 'message', id: newId('msg') }));
    const second = openStream(base, ws.test, { 'last-event-id': e1.id });
    await second.ready();
    const live = await emit(ws, false, 'message.sent', { object: 'message', id: newId('msg') });
    await eventually(async () => second.messages.length >= 4);
    // Give any duplicate a moment to show up.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      second.messages.map((m) => m.id),
      [...missed.map((e) => e.id), live.id],
    );
    second.close();
    const typed = openStream(base, ws.test, {}, `?last_event_id=${e1.id}&type=message.sent`);
    await eventually(async () => typed.messages.length >= 1);
    assert.deepEqual(
      typed.messages.map((m) => m.id),
      [live.id],
    );
    typed.close();
  });

  it('refuses a malformed Last-Event-ID and a missing key', async () => {
    const ws = await t.workspace();
    const bad = await t.call('GET', '/v1/events/stream', {
      key: ws.test,
      headers: { 'last-event-id': 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.equal((await t.call('GET', '/v1/events/stream')).status, 401);
  });
});

describe('event stream across processes (PostgreSQL + Redis)', () => {
  let a: Parley;
  let b: Parley;
  let drop: () => Promise<void>;
  let dataDir: string;
  const skip = process.env.PARLEY_TEST_SKIP_PG === '1' || process.env.PARLEY_TEST_PG === '0';

  before(async () => {
    if (skip) return;
    const pgDb = await createPgDatabase();
    drop = pgDb.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'parley-events-'));
    const env = {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_LOG_LEVEL: 'silent',
      PARLEY_JOB_POLL_MS: '20',
      DATABASE_URL: pgDb.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: '0',
      HOST: '127.0.0.1',
    };
    const modules = [workspacesModule, createEventsModule({ heartbeatMs: 1000 })];
    a = await startParley(loadConfig(env), { modules, bootstrap: false, listen: false });
    b = await startParley(loadConfig(env), { modules, bootstrap: false });
  });
  after(async () => {
    if (skip) return;
    await a?.close();
    await b?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers an event recorded by one process to a stream held by another', { skip }, async () => {
    const created = await a.app.inject({
      method: 'POST',
      url: '/v1/admin/workspaces',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'Scaled' },
    });
    const body = created.json();
    const ws: Workspace = {
      id: body.workspace.id,
      live: body.api_keys.find((k: any) => k.mode === 'live').key,
      test: body.api_keys.find((k: any) => k.mode === 'test').key,
    };
    const stream = openStream(b.url!, ws.live);
    await stream.ready();
    // Redis SUBSCRIBE is asynchronous: keep emitting until the first one arrives, then check order.
    const sent = await eventually(async () => {
      const e = await emitOn(a.ctx, ws, true, 'booking.created', { object: 'booking', id: newId('bk') });
      await new Promise((r) => setTimeout(r, 100));
      return stream.messages.some((m) => m.id === e.id) ? e : null;
    });
    const last = await emitOn(a.ctx, ws, true, 'booking.cancelled', {
      object: 'booking',
      id: sent.data.id as string,
    });
    await eventually(async () => stream.messages.some((m) => m.id === last.id));
    assert.equal(stream.messages.at(-1)!.event, 'booking.cancelled');
    stream.close();
    // RedisBus unsubscribes with an unawaited promise; let it finish before the buses close.
    await new Promise((r) => setTimeout(r, 200));
  });
});
