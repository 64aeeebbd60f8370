import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createPgDatabase, eventually, type Storage } from './harness.ts';
import { freePort, type ServerProcess, spawnParley } from './server-process.ts';

/**
 * A server process holding live calls killed with SIGKILL, and another one started on the same
 * storage: web calls in progress (joined over the media socket), a test-mode phone call ringing
 * (a sandbox number that never answers) and a one-attempt campaign whose two calls ring. Returns
 * what the second process made of them. Shared by test/voice/call-crash.test.ts and the drill.
 */
export async function crashDuringCalls(storage: Storage) {
  const admin = `crash-admin-${randomBytes(8).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-call-crash-'));
  const pgDb = storage === 'postgres' ? await createPgDatabase() : undefined;
  const port = await freePort();
  const env: Record<string, string> = {
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_TOKEN: admin,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_JOB_POLL_MS: '50',
    PARLEY_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
  };
  const base = `http://127.0.0.1:${port}`;
  const ready = () =>
    eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 45_000, 100);
  let server: ServerProcess = spawnParley(env);
  const sockets: WebSocket[] = [];
  try {
    await ready();
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text, headers: res.headers };
    };
    const ws = await call('POST', '/v1/admin/workspaces', admin, { name: 'Crash', plan: 'enterprise' });
    assert.equal(ws.status, 201, ws.text);
    const key = ws.body.api_keys.find((k: { mode: string }) => k.mode === 'test').key as string;
    const agent = await call('POST', '/v1/agents', key, { name: 'Glow Salon', greeting: 'Hello there.' });
    assert.equal(agent.status, 201, agent.text);
    const agentId = agent.body.id as string;

    // Two web calls in progress.
    const webIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await call('POST', '/v1/calls', key, { calls: [{ agent_id: agentId, transport: 'web' }] });
      assert.equal(r.status, 201, r.text);
      const u = new URL(r.body.results[0].media_session.url);
      const socket = new WebSocket(`ws://127.0.0.1:${port}${u.pathname}${u.search}`);
      socket.on('error', () => {});
      sockets.push(socket);
      webIds.push(r.body.results[0].call.id);
    }
    // A phone call ringing (numbers ending in 2 never answer in the sandbox, for 25 s).
    const ringing = await call('POST', '/v1/calls', key, {
      calls: [{ agent_id: agentId, to: '+442079460012' }],
    });
    assert.equal(ringing.status, 201, ringing.text);
    // A one-attempt campaign whose two calls ring.
    const contactIds: string[] = [];
    for (const phone of ['+442079460022', '+442079460032']) {
      const c = await call('POST', '/v1/contacts', key, { phone, name: `Caller ${phone.slice(-2)}` });
      assert.equal(c.status, 201, c.text);
      contactIds.push(c.body.id);
    }
    const aud = await call('POST', '/v1/audiences', key, { name: 'Crash audience' });
    await call('POST', `/v1/audiences/${aud.body.id}/contacts`, key, { contact_ids: contactIds });
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    const campaign = await call('POST', '/v1/campaigns', key, {
      name: 'Crash calls',
      type: 'voice',
      agent_id: agentId,
      audience_id: aud.body.id,
      max_attempts: 1,
      calls_per_second: 5,
      max_concurrency: 5,
      schedule: { windows: [{ days, start: '00:00', end: '23:59' }] },
    });
    assert.equal(campaign.status, 201, campaign.text);
    assert.equal((await call('POST', `/v1/campaigns/${campaign.body.id}/start`, key)).status, 200);

    const live = await eventually(async () => {
      const list = (await call('GET', '/v1/calls?per_page=100', key)).body.data as Array<{
        id: string;
        status: string;
      }>;
      const inProgress = list.filter((c) => c.status === 'in_progress').length;
      const rings = list.filter((c) => c.status === 'ringing').length;
      return inProgress === 2 && rings === 3 ? list : null;
    }, 20_000);

    server.child.kill('SIGKILL');
    await server.exited;
    const killedAt = Date.now();
    server = spawnParley(env);
    await ready();
    const restartMs = Date.now() - killedAt;

    const ended = await eventually(
      async () => {
        const list = (await call('GET', '/v1/calls?per_page=100', key)).body.data as Array<
          Record<string, any>
        >;
        return list.every((c) => c.ended_reason) ? list : null;
      },
      40_000,
      200,
    );
    const endedMs = Date.now() - killedAt;
    const done = await eventually(
      async () => {
        const c = await call('GET', `/v1/campaigns/${campaign.body.id}`, key);
        return c.body.status === 'completed' ? c.body : null;
      },
      30_000,
      200,
    );
    const events = (await call('GET', '/v1/events?per_page=100&type=call.completed,call.failed', key)).body
      .data as Array<{ type?: string; event?: string; data: { id: string } }>;
    const slots = await call('GET', '/v1/calls?per_page=1', key);
    return {
      live,
      webIds,
      ended,
      campaign: done,
      events,
      restartMs,
      endedMs,
      concurrency: {
        limit: Number(slots.headers.get('x-concurrency-limit')),
        remaining: Number(slots.headers.get('x-concurrency-remaining')),
      },
      output: () => server.output(),
    };
  } finally {
    for (const s of sockets) s.terminate();
    await server.stop('SIGKILL');
    await pgDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
