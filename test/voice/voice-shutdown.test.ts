import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { type Parley, startParley } from '../../src/server.ts';
import { createPgDatabase, eventually, forEachStorage, type Storage } from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

const ADMIN = 'shutdown-admin-token-0123456789abcdef';

/**
 * An app of its own (both roles in one process: calls run where the API placed them) with a
 * test-mode key, the warnings it logs and the unhandled rejections of the process while it runs.
 * `closed()` asserts that nothing touched the database after the app closed it.
 */
async function shutdownWorld(storage: Storage, extraEnv: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
  const pgDb = storage === 'postgres' ? await createPgDatabase() : undefined;
  const env = {
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_TOKEN: ADMIN,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_JOB_POLL_MS: '20',
    PORT: '0',
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    ...extraEnv,
  };
  const logged: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, done) {
        logged.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const rejections: unknown[] = [];
  const onRejection = (err: unknown) => rejections.push(err);
  process.on('unhandledRejection', onRejection);
  const start = () => startParley(loadConfig(env), { listen: false, bootstrap: false, logger });
  let parley: Parley | undefined;
  try {
    parley = await start();
  } catch (err) {
    process.off('unhandledRejection', onRejection);
    throw err;
  }
  const app = parley;
  const api = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await app.app.inject({
      method: method as never,
      url,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const ws = await api('POST', '/v1/admin/workspaces', ADMIN, { name: 'Shutdown', plan: 'enterprise' });
  const key = ws.body.api_keys.find((k: { mode: string }) => k.mode === 'test').key as string;
  return {
    parley: app,
    api,
    key,
    /** The same app's data, opened again. */
    reopen: start,
    closed() {
      const problems = logged.filter(
        (l) =>
          l.level >= 40 && /destroyed|closed|not open|write failed|progress failed/i.test(JSON.stringify(l)),
      );
      assert.deepEqual(problems, [], 'nothing used the database after it closed');
      assert.deepEqual(rejections, [], 'no write failed unseen');
    },
    async dispose() {
      process.off('unhandledRejection', onRejection);
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

forEachStorage('voice engine shutdown', (storage) => {
  it('an app closing while calls run ends them, writes their end, and only then closes the database', async () => {
    const w = await shutdownWorld(storage);
    try {
      const { api, key } = w;
      const flow = await api('POST', '/v1/voice-flows', key, reminderFlow());
      assert.equal(flow.status, 201);
      // Real-time sandbox calls that wait for an answer that never comes: they are live when the app closes.
      const placed = await api('POST', '/v1/calls', key, {
        calls: [0, 1, 2].map((i) => ({
          voice_flow_id: flow.body.id,
          to: `+91980007000${i + 5}`,
          dynamic_variables: { slot: 'tomorrow' },
          sandbox: { lines: [] },
        })),
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const ids = placed.body.results.map((r: { call: { id: string } }) => r.call.id) as string[];
      await eventually(
        async () => {
          for (const id of ids) {
            const st = (await api('GET', `/v1/calls/${id}`, key)).body.status;
            if (st !== 'in_progress') return false;
          }
          return true;
        },
        20_000,
        500,
      );

      await w.parley.close();
      w.closed();

      // The calls' ends were written before the database closed.
      const again = await w.reopen();
      try {
        for (const id of ids) {
          const row = await again.ctx.db
            .selectFrom('calls')
            .selectAll()
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          assert.notEqual(row.status, 'in_progress', `${id} still shows in progress`);
          assert.ok(row.ended_at, `${id} has no end`);
        }
      } finally {
        await again.close();
      }
    } finally {
      await w.dispose();
    }
  });

  it('an app closing while calls are still dialing waits for the progress they are writing', async () => {
    // Virtual time: each simulated call rings and ends as fast as its writes go, so writes of
    // call progress are under way at any moment while the calls dial.
    const w = await shutdownWorld(storage, { PARLEY_VOICE_SANDBOX_PACE: 'virtual' });
    try {
      const { api, key } = w;
      const agent = await api('POST', '/v1/agents', key, { name: 'Dialer' });
      assert.equal(agent.status, 201);
      const placed = await api('POST', '/v1/calls', key, {
        calls: Array.from({ length: 20 }, (_, i) => ({
          agent_id: agent.body.id,
          to: `+1415555${String(2000 + i)}`,
          sandbox: { outcome: 'busy' },
        })),
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const ids = placed.body.results.map((r: { call: { id: string } }) => r.call.id) as string[];
      // Close as soon as the first call has rung: the others are dialing, ringing or ending then.
      await eventually(async () => {
        for (const id of ids) {
          const st = (await api('GET', `/v1/calls/${id}`, key)).body.status;
          if (st === 'ringing' || st === 'busy') return true;
        }
        return false;
      }, 20_000);

      await w.parley.close();
      w.closed();
    } finally {
      await w.dispose();
    }
  });
});
