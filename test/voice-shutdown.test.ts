import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/platform/config.ts';
import { startParley } from '../src/server.ts';
import { createPgDatabase, eventually, forEachStorage } from './support/harness.ts';
import { reminderFlow } from './support/voice-flows.ts';

const ADMIN = 'shutdown-admin-token-0123456789abcdef';

forEachStorage('voice engine shutdown', (storage) => {
  it('an app closing while calls run ends them, writes their end, and only then closes the database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
    const pgDb = storage === 'postgres' ? await createPgDatabase() : undefined;
    const env = {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ADMIN_TOKEN: ADMIN,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_JOB_POLL_MS: '20',
      PORT: '0',
      ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    };
    const logged: Array<{ level: number; msg: string; err?: unknown }> = [];
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
    try {
      // Both roles in one process: the calls run where the API placed them.
      const parley = await startParley(loadConfig(env), { listen: false, bootstrap: false, logger });
      const api = async (method: string, url: string, key: string, body?: unknown) => {
        const res = await parley.app.inject({
          method: method as never,
          url,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
        return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
      };
      const ws = await api('POST', '/v1/admin/workspaces', ADMIN, { name: 'Shutdown', plan: 'enterprise' });
      const key = ws.body.api_keys.find((k: { mode: string }) => k.mode === 'test').key as string;
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

      await parley.close();

      const problems = logged.filter(
        (l) => l.level >= 40 && /destroyed|closed|call write failed/i.test(JSON.stringify(l)),
      );
      assert.deepEqual(problems, [], 'nothing used the database after it closed');
      assert.deepEqual(rejections, []);

      // The calls' ends were written before the database closed.
      const again = await startParley(loadConfig(env), { listen: false, bootstrap: false, logger });
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
      process.off('unhandledRejection', onRejection);
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
