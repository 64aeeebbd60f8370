/**
 * The scaled deployment shape: two `PARLEY_ROLE=api` processes and one `PARLEY_ROLE=worker`
 * process sharing one PostgreSQL database, one Redis and one secret key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { awayFromWindowEdge, createPgDatabase, eventually } from '../support/harness.ts';
import { httpCall, REDIS_URL, scaledSkip } from '../support/scaled.ts';
import { freePort, killAll, logLines, type ServerProcess, spawnParley } from '../support/server-process.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const skip = await scaledSkip();

const call = (base: string, method: string, path: string, key?: string, body?: unknown) =>
  httpCall(base, method, path, { key, body });

describe('scaled shape: 2 api processes + 1 worker on PostgreSQL and Redis', { skip }, () => {
  const adminToken = `scaled-admin-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-scaled-'));
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let redis: Redis;
  let shared: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  let worker: ServerProcess | undefined;
  const redisKeys: string[] = [];

  before(async () => {
    db = await createPgDatabase();
    receiver = await startReceiver();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    shared = {
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_ADMIN_TOKEN: adminToken,
      PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
      PARLEY_JOB_POLL_MS: '50',
    };
    // One after the other: the first creates the schema and the default workspace.
    a = spawnParley({ ...shared, PARLEY_ROLE: 'api', PORT: String(await freePort()) });
    await a.waitFor(/^API docs: /m);
    b = spawnParley({ ...shared, PARLEY_ROLE: 'api', PORT: String(await freePort()) });
    await b.waitFor(/^API docs: /m);
  });

  after(async () => {
    await killAll();
    if (redisKeys.length) await redis.del(...redisKeys).catch(() => {});
    redis?.disconnect();
    await receiver?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs both api processes on the one database; only the first start creates the default workspace', async () => {
    assert.match(a.stdout(), /role api, storage PostgreSQL/);
    assert.match(a.stdout(), /First start/);
    assert.doesNotMatch(b.stdout(), /First start|prl_(live|test)_/);
    const testKey = /^ {2}test key: {2}(\S+)$/m.exec(a.stdout())?.[1];
    assert.ok(testKey);
    const viaB = await call(b.url, 'GET', '/v1/me', testKey);
    assert.equal(viaB.status, 200, viaB.text);
  });

  /** A new growth-plan workspace, made through `base`; its test key. */
  async function newTestKey(base: string, name: string): Promise<string> {
    const created = await call(base, 'POST', '/v1/admin/workspaces', adminToken, { name, plan: 'growth' });
    assert.equal(created.status, 201, created.text);
    return (created.body.api_keys as Array<{ mode: string; key: string }>).find((k) => k.mode === 'test')!
      .key;
  }

  it('holds rate limits across processes (Redis store)', async () => {
    const created = await call(a.url, 'POST', '/v1/admin/workspaces', adminToken, {
      name: 'Scaled starter',
      plan: 'starter',
    });
    assert.equal(created.status, 201, created.text);
    const keys = created.body.api_keys as Array<{ id: string; mode: string; key: string }>;
    const key = keys.find((k) => k.mode === 'test')!;
    const other = keys.find((k) => k.mode === 'live')!;

    // The limit is a fixed one-minute window: start well inside one so all 61 requests share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));

    const resets = new Set<string | null>();
    await awayFromWindowEdge(60_000, 15_000);
    for (let i = 0; i < 60; i++) {
      const proc = i % 2 === 0 ? a : b;
      const res = await call(proc.url, 'GET', '/v1/me', key.key);
      assert.equal(res.status, 200, `request ${i + 1} on ${proc === a ? 'A' : 'B'}: ${res.text}`);
      // One counter for both processes: each answer sees every earlier request, wherever it went.
      assert.equal(res.headers.get('x-ratelimit-remaining'), String(59 - i), `request ${i + 1}`);
      resets.add(res.headers.get('x-ratelimit-reset'));
    }
    assert.equal(resets.size, 1, 'all 60 requests fell in one window');

    for (const proc of [a, b]) {
      const refused = await call(proc.url, 'GET', '/v1/me', key.key);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.body.error.code, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
        `Retry-After ${retryAfter}`,
      );
      assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    }
    // Limits are per key: the workspace's other key is untouched.
    assert.equal((await call(b.url, 'GET', '/v1/me', other.key)).status, 200);

    // The counter is in Redis under the key's own id (unique per key, so runs never collide),
    // and refused requests did not add to it.
    const found = await redis.keys(`parley:rl:requests_per_minute:${key.id}:*`);
    redisKeys.push(...found, ...(await redis.keys(`parley:rl:*:${other.id}:*`)));
    redisKeys.push(...(await redis.keys(`parley:rl:requests_per_day:${key.id}:*`)));
    assert.equal(found.length, 1, `expected one window key, got ${found.join(', ')}`);
    assert.equal(await redis.get(found[0]!), '60');
  });

  it('leaves jobs enqueued by an api process to the worker process', async () => {
    const key = await newTestKey(b.url, 'Scaled webhooks');
    const path = `/ok/scaled-${randomBytes(4).toString('hex')}`;
    const endpoint = await call(a.url, 'POST', '/v1/webhooks', key, { url: receiver.url + path });
    assert.equal(endpoint.status, 201, endpoint.text);
    const queued = await call(b.url, 'POST', `/v1/webhooks/${endpoint.body.id}/test`, key);
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.body.state, 'pending');

    // Api processes never work jobs: with no worker up, the delivery stays pending. 20 poll
    // intervals is ample for a process that did work jobs to have made the attempt.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(receiver.at(path).length, 0, 'an api process delivered the webhook');
    const waiting = await call(a.url, 'GET', `/v1/webhooks/${endpoint.body.id}/deliveries`, key);
    assert.equal(waiting.status, 200);
    assert.deepEqual(
      waiting.body.data.map((d: { id: string; state: string }) => [d.id, d.state]),
      [[queued.body.id, 'pending']],
    );

    const workerPort = await freePort();
    worker = spawnParley({ ...shared, PARLEY_ROLE: 'worker', PORT: String(workerPort) });
    await worker.waitFor(/^Parley worker started \(storage PostgreSQL\)/m);
    const delivered = await eventually(
      async () => {
        const list = await call(a.url, 'GET', `/v1/webhooks/${endpoint.body.id}/deliveries`, key);
        const d = list.body.data[0];
        return d.state === 'succeeded' ? d : undefined;
      },
      20_000,
      100,
    );
    assert.equal(delivered.id, queued.body.id);
    assert.equal(delivered.attempt_count, 1);
    assert.equal(delivered.status_code, 200);
    const got = receiver.at(path);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.headers['webhook-id'], queued.body.event_id);
    assert.equal(JSON.parse(got[0]!.body).event, 'webhook.test');

    // The worker serves no HTTP.
    await assert.rejects(
      fetch(`http://127.0.0.1:${workerPort}/healthz`, { signal: AbortSignal.timeout(2000) }),
    );
  });

  it('two api processes sending to the same new numbers at once make one contact and thread per number', async () => {
    const key = await newTestKey(a.url, 'Scaled sends');
    const numbers = Array.from({ length: 10 }, (_, i) => `+9198777000${String(i).padStart(2, '0')}`);
    // Each number gets three sends through each process, all at once: batches in both processes
    // race to make the same contacts and conversations, and the losers write their sends again.
    // Business-initiated sends to new numbers: a template (test mode enforces the 24-hour window).
    const tpl = await call(a.url, 'POST', '/v1/templates', key, {
      name: 'hello_n',
      language: 'en',
      category: 'utility',
      body: 'hello {{1}}',
    });
    assert.equal(tpl.status, 201, tpl.text);
    const sends = numbers.flatMap((to) =>
      [a, b, a, b, a, b].map((p, i) =>
        call(p.url, 'POST', '/v1/messages', key, {
          to,
          type: 'template',
          template: { name: 'hello_n', language: 'en', variables: [String(i)] },
        }),
      ),
    );
    const results = await Promise.all(sends);
    for (const r of results) assert.equal(r.status, 201, r.text);
    const byNumber = new Map<string, Set<string>>();
    for (const r of results) {
      const set = byNumber.get(r.body.to) ?? new Set<string>();
      set.add(r.body.conversation_id);
      byNumber.set(r.body.to, set);
    }
    assert.deepEqual(
      [...byNumber.values()].map((ids) => ids.size),
      numbers.map(() => 1),
    );
    const contacts = await call(a.url, 'GET', '/v1/contacts?per_page=100', key);
    assert.equal(contacts.body.data.length, numbers.length);
    const threads = await call(b.url, 'GET', '/v1/conversations?per_page=100', key);
    assert.equal(threads.body.data.length, numbers.length);
  });

  it('stops every process cleanly on SIGTERM with no key in any log', async () => {
    const procs = [a, b, ...(worker ? [worker] : [])];
    const exits = await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    for (const exit of exits) assert.deepEqual(exit, { code: 0, signal: null });
    for (const p of procs) {
      const logs = logLines(p.output()).join('\n');
      assert.doesNotMatch(logs, /prl_(live|test)_[A-Za-z0-9_-]{20,}/);
      assert.ok(!p.output().includes(adminToken), 'the admin token is never printed');
    }
  });
});
