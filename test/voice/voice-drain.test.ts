/**
 * A deploy's SIGTERM (issue 29): the process drains. `/readyz` answers 503 `draining`, no new call
 * starts there (another process places it), its live call goes on until PARLEY_DRAIN_SECONDS
 * run out and then ends `failed` / `server_shutdown`, and the process exits cleanly. Real
 * processes on PostgreSQL and Redis, as they are deployed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPgDatabase, eventually } from '../support/harness.ts';
import { httpCall, REDIS_URL, scaledSkip } from '../support/scaled.ts';
import { freePort, killAll, type ServerProcess, spawnParley } from '../support/server-process.ts';
import { reminderFlow } from '../support/voice-flows.ts';

const skip = await scaledSkip();
const ADMIN = `drain-admin-${randomBytes(12).toString('hex')}`;

/** The value of a gauge without labels in a Prometheus text body. */
const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('voice: a SIGTERM drains the process before it ends', { skip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-drain-'));
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    killAll();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('live calls finish or end as server_shutdown; new calls start elsewhere; /readyz says draining', async () => {
    const pg = await createPgDatabase();
    drop = pg.drop;
    const shared = {
      DATABASE_URL: pg.url,
      REDIS_URL,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ADMIN_TOKEN: ADMIN,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_LOG_LEVEL: 'warn',
    };
    const a: ServerProcess = spawnParley({
      ...shared,
      PARLEY_DRAIN_SECONDS: '6',
      PORT: String(await freePort()),
    });
    await a.waitFor(/^API docs: /m);
    const created = await httpCall(a.url, 'POST', '/v1/admin/workspaces', {
      key: ADMIN,
      body: { name: 'Drain', plan: 'enterprise' },
    });
    assert.equal(created.status, 201, created.text);
    const key = (created.body.api_keys as Array<{ mode: string; key: string }>).find(
      (k) => k.mode === 'test',
    )!.key;
    // The question is asked again and again (retries), so the unanswered call outlasts the drain
    // even on a loaded machine: only the drain ends it.
    const reminder = reminderFlow();
    const patient = {
      ...reminder,
      nodes: { ...reminder.nodes, confirm: { ...reminder.nodes.confirm, retries: 5 } },
    };
    const flow = await httpCall(a.url, 'POST', '/v1/voice-flows', { key, body: patient });
    assert.equal(flow.status, 201, flow.text);
    // A real-time sandbox call waiting for an answer that never comes: live in process A.
    const place = async (base: string, to: string) => {
      const res = await httpCall(base, 'POST', '/v1/calls', {
        key,
        body: {
          calls: [
            {
              voice_flow_id: flow.body.id,
              to,
              dynamic_variables: { slot: 'tomorrow' },
              sandbox: { lines: [] },
            },
          ],
        },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.results[0].call.id as string;
    };
    const status = async (id: string) =>
      (await httpCall(b?.url ?? a.url, 'GET', `/v1/calls/${id}`, { key })).body;
    // The call is placed while A is the only process, so it lives in A; B starts after.
    let b: ServerProcess | undefined;
    const first = await place(a.url, '+919800070015');
    await eventually(async () => (await status(first)).status === 'in_progress', 20_000, 100);

    b = spawnParley({ ...shared, PORT: String(await freePort()) });
    await b.waitFor(/^API docs: /m);
    assert.equal((await httpCall(a.url, 'GET', '/readyz')).status, 200);

    a.child.kill('SIGTERM');
    const draining = await eventually(async () => {
      const r = await httpCall(a.url, 'GET', '/readyz');
      return r.status === 503 && r.body.status === 'draining' ? r : undefined;
    }, 5000);
    assert.equal(draining.body.checks.database, 'ok');
    const metricsA = (await httpCall(a.url, 'GET', '/metrics')).text;
    assert.equal(gauge(metricsA, 'parley_draining'), 1);
    assert.equal(gauge(metricsA, 'parley_calls_in_process'), 1);
    // A call placed now (through the draining process's API, which still serves) starts in B.
    const second = await place(a.url, '+919800070016');
    assert.equal((await status(first)).status, 'in_progress', 'the live call goes on while the drain lasts');
    await eventually(async () => (await status(second)).status === 'in_progress', 20_000, 100);
    assert.equal(gauge((await httpCall(b.url, 'GET', '/metrics')).text, 'parley_calls_in_process'), 1);

    // The drain runs out: the first call ends as the server's doing, and A exits cleanly.
    const exit = await a.exited;
    assert.equal(exit.code, 0, a.output());
    const ended = await status(first);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.ended_reason, 'server_shutdown');
    assert.ok(ended.ended_at);
    assert.equal((await status(second)).status, 'in_progress', 'the call in B is untouched');
    assert.equal((await httpCall(b.url, 'POST', `/v1/calls/${second}/hangup`, { key })).status, 200);
    await b.stop('SIGINT');
  });
});
