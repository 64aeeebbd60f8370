/**
 * `PARLEY_PROCESSES=2` (issue 29): `npm start` runs two server processes sharing the port. Web
 * calls' media sockets land on both, each process owns the calls it holds (calls.owner), and a
 * SIGTERM to the primary drains them all: `/readyz` says `draining`, the live calls go on until
 * PARLEY_DRAIN_SECONDS run out and then end `server_shutdown`, and the primary exits 0. Real
 * processes on PostgreSQL and Redis.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { openDatabase } from '../../src/platform/db/database.ts';
import { createPgDatabase, eventually } from '../support/harness.ts';
import { httpCall, REDIS_URL, scaledSkip } from '../support/scaled.ts';
import { freePort, killAll, spawnParley } from '../support/server-process.ts';

const skip = await scaledSkip();
const ADMIN = `procs-admin-${randomBytes(12).toString('hex')}`;

describe('PARLEY_PROCESSES: several server processes share the port and drain together', { skip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-procs-'));
  let drop: (() => Promise<void>) | undefined;
  const sockets: WebSocket[] = [];
  after(async () => {
    for (const s of sockets) s.terminate();
    killAll();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start several processes on SQLite', async () => {
    const p = spawnParley({
      PARLEY_PROCESSES: '2',
      PARLEY_DATA_DIR: dataDir,
      PORT: String(await freePort()),
    });
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    assert.match(p.output(), /PARLEY_PROCESSES=2 needs PostgreSQL \(DATABASE_URL\) and Redis/);
  });

  it('two processes each hold calls; SIGTERM drains both, ends the calls server_shutdown, exits 0', async () => {
    const pg = await createPgDatabase();
    drop = pg.drop;
    const port = await freePort();
    const p = spawnParley({
      DATABASE_URL: pg.url,
      REDIS_URL,
      PARLEY_PROCESSES: '2',
      // Long enough that the drain is still on when the test has seen /readyz say so, on a busy machine.
      PARLEY_DRAIN_SECONDS: '10',
      // The clients send no audio: they are not closed as idle however slow the machine is.
      PARLEY_MEDIA_IDLE_SECONDS: '0',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ADMIN_TOKEN: ADMIN,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_LOG_LEVEL: 'warn',
      PORT: String(port),
    });
    await p.waitFor(/process 1 of 2[\s\S]*process 2 of 2|process 2 of 2[\s\S]*process 1 of 2/, 60_000);
    await p.waitFor(/Parley runs 2 processes/);
    const created = await httpCall(p.url, 'POST', '/v1/admin/workspaces', {
      key: ADMIN,
      body: { name: 'Processes', plan: 'enterprise' },
    });
    assert.equal(created.status, 201, created.text);
    const key = (created.body.api_keys as Array<{ mode: string; key: string }>).find(
      (k) => k.mode === 'test',
    )!.key;
    const agent = await httpCall(p.url, 'POST', '/v1/agents', {
      key,
      body: { name: 'Glow Salon', voice: { silence_timeout_seconds: 300 } },
    });
    assert.equal(agent.status, 201, agent.text);

    // Web calls joined one socket each: connections are spread over the processes.
    const ids: string[] = [];
    const ended = new Map<string, string>();
    for (let i = 0; i < 6; i++) {
      const res = await httpCall(p.url, 'POST', '/v1/calls', {
        key,
        body: { calls: [{ agent_id: agent.body.id, transport: 'web' }] },
      });
      assert.equal(res.status, 201, res.text);
      const id = res.body.results[0].call.id as string;
      const u = new URL(res.body.results[0].media_session.url);
      const ws = new WebSocket(`ws://127.0.0.1:${port}${u.pathname}${u.search}`);
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const m = JSON.parse(data.toString());
        if (m.type === 'ended') ended.set(id, m.ended_reason);
      });
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('unexpected-response', (_q, r2) => j(new Error(`upgrade refused ${r2.statusCode}`)));
      });
      sockets.push(ws);
      ids.push(id);
    }
    const status = async (id: string) => (await httpCall(p.url, 'GET', `/v1/calls/${id}`, { key })).body;
    for (const id of ids)
      await eventually(async () => (await status(id)).status === 'in_progress', 20_000, 100);

    // Each call is owned by the process holding its socket: both processes hold some.
    const handle = await openDatabase({ databaseUrl: pg.url, sqlitePath: join(dataDir, 'unused.db') });
    try {
      const owners = await eventually(async () => {
        const rows = await handle.db
          .selectFrom('calls')
          .select(['id', 'owner'])
          .where('id', 'in', ids)
          .execute();
        return rows.every((r) => r.owner) ? new Set(rows.map((r) => r.owner)) : undefined;
      });
      assert.equal(owners.size, 2, `owners: ${[...owners].join(', ')}`);
    } finally {
      await handle.close();
    }

    p.child.kill('SIGTERM');
    // Both processes drain: every answer of /readyz (whichever process takes it) is `draining`.
    await eventually(async () => {
      for (let i = 0; i < 4; i++) {
        const r = await httpCall(p.url, 'GET', '/readyz');
        if (r.status !== 503 || r.body.status !== 'draining') return false;
      }
      return true;
    }, 5_000);
    assert.equal((await status(ids[0]!)).status, 'in_progress', 'live calls go on while the drain lasts');

    const exit = await Promise.race([
      p.exited,
      p.waitFor(/^never$/, 60_000).then(() => ({ code: -1, signal: null })),
    ]).catch((err: Error) => ({ code: -2, signal: err.message.slice(-4000) }));
    assert.equal(exit.code, 0, `${JSON.stringify(exit)}\n${p.output().slice(-4000)}`);
    assert.equal(ended.size, ids.length, 'every client was told its call ended');
    assert.deepEqual(new Set(ended.values()), new Set(['server_shutdown']));
    const handle2 = await openDatabase({ databaseUrl: pg.url, sqlitePath: join(dataDir, 'unused.db') });
    try {
      const rows = await handle2.db
        .selectFrom('calls')
        .select(['status', 'ended_reason'])
        .where('id', 'in', ids)
        .execute();
      assert.deepEqual(
        rows.map((r) => `${r.status}/${r.ended_reason}`),
        ids.map(() => 'failed/server_shutdown'),
      );
    } finally {
      await handle2.close();
    }
  });
});
