/**
 * The fault drill, part one: real server processes under a steady send load, killed with
 * SIGKILL, cut off from their database or from Redis, and what must stay true each time. The
 * figures each scenario prints (`# drill: ...`) are the ones RELIABILITY.md reports.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { createPgDatabase, postgresAvailable } from '../test/support/harness.ts';
import { freePort, killAll, type ServerProcess, spawnParley } from '../test/support/server-process.ts';
import {
  ADMIN_TOKEN,
  allSettled,
  assertEventsDelivered,
  assertSentOnce,
  liveWorkspace,
  onStorage,
  providerWorld,
  steadyLoad,
  stopLoads,
  TcpProxy,
} from './support.ts';

const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
const redisOk = await fetchRedis();
after(killAll);
// A scenario that fails half-way must not leave its load running into the next one (or keep the
// file's process alive after its last test).
afterEach(stopLoads);

async function fetchRedis(): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const r = new Redis('redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
  });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

const secretKey = randomBytes(32).toString('base64');
const report = (line: string) => process.stdout.write(`# drill: ${line}\n`);
const until = async (check: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
};
/** Real processes, real restarts: a busy CI machine needs minutes, not the runner's default 2. */
const SLOW = 600_000;
const ready = (base: string) => until(async () => (await fetch(`${base}/readyz`)).status === 200, 45_000);

function baseEnv(meta: string, extra: Record<string, string>) {
  return {
    PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
    PARLEY_SECRET_KEY: secretKey,
    PARLEY_META_GRAPH_URL: meta,
    PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_JOB_POLL_MS: '50',
    HOST: '127.0.0.1',
    ...extra,
  };
}

/** kill -9 of the whole server under load, then a restart on the same storage. */
async function killUnderLoad(storage: { name: string; env: Record<string, string> }) {
  const world = await providerWorld();
  const port = await freePort();
  const env = baseEnv(world.meta.url, { PORT: String(port), ...storage.env });
  let server: ServerProcess = spawnParley(env);
  const base = `http://127.0.0.1:${port}`;
  try {
    assert.ok(await ready(base), server.output());
    const { live } = await liveWorkspace(base, world.number, world.receiver.url);
    const load = steadyLoad(() => base, live, 40, `${storage.name}-kill`);
    // Let acknowledged sends pile up, some sent and some not, then kill without warning.
    await until(async () => load.outcomes.filter((o) => o.id).length >= 40, 60_000);
    server.child.kill('SIGKILL');
    await server.exited;
    const killedAt = Date.now();
    server = spawnParley(env);
    assert.ok(await ready(base), server.output());
    const downMs = Date.now() - killedAt;
    await until(async () => load.outcomes.length >= 160, 60_000);
    const outcomes = await load.stop();
    const acked = outcomes.filter((o) => o.id).map((o) => o.id!);
    assert.deepEqual(
      await allSettled(world.receiver.received, acked),
      [],
      'acknowledged messages without an outcome',
    );
    const { acknowledged, sent, unknown, unknownReceived } = assertSentOnce(
      world.meta,
      world.receiver.received,
      outcomes,
    );
    const events = assertEventsDelivered(world.receiver.received, acked);
    const errors5xx = outcomes.filter((o) => typeof o.status === 'number' && o.status >= 500).length;
    report(
      `${storage.name} kill -9 under 40 sends/s: ${outcomes.length} requests, ${acknowledged} acknowledged, none lost, none sent twice; ${sent} sent, ${unknown} failed send_outcome_unknown (${unknownReceived} of them had reached the provider); ${events} outcome events delivered (one event id each); ${outcomes.length - acknowledged} refused while down (${errors5xx} 5xx); restart to ready ${downMs} ms`,
    );
  } finally {
    await server.stop('SIGKILL');
    await world.meta.stop();
    await world.receiver.close();
  }
}

describe('drill: kill -9 under a steady send load', () => {
  it(
    'SQLite: no acknowledged message is lost, every event is delivered with one id',
    {
      timeout: SLOW,
    },
    () => onStorage('sqlite', killUnderLoad),
  );

  it('PostgreSQL: the same', { skip: pgOk ? false : 'PostgreSQL not reachable', timeout: SLOW }, () =>
    onStorage('postgres', killUnderLoad),
  );
});

describe('drill: the scaled shape', {
  skip: pgOk && redisOk ? false : 'PostgreSQL or Redis not reachable',
}, () => {
  it('a worker killed mid-load: another worker takes its jobs within seconds, none lost', {
    timeout: SLOW,
  }, async () => {
    const db = await createPgDatabase();
    const world = await providerWorld();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
    const apiPort = await freePort();
    const common = baseEnv(world.meta.url, {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      PARLEY_DATA_DIR: dataDir,
    });
    const api = spawnParley({ ...common, PORT: String(apiPort), PARLEY_ROLE: 'api' });
    const workerEnv = { ...common, PORT: String(await freePort()), PARLEY_ROLE: 'worker' };
    const doomed = spawnParley(workerEnv);
    let second: ServerProcess | undefined;
    const base = `http://127.0.0.1:${apiPort}`;
    try {
      assert.ok(await ready(base), api.output());
      await doomed.waitFor(/listening|worker/i, 45_000).catch(() => undefined);
      const { live } = await liveWorkspace(base, world.number, world.receiver.url);
      second = spawnParley({ ...workerEnv, PORT: String(await freePort()) });
      await second.waitFor(/listening|worker/i, 45_000).catch(() => undefined);
      const load = steadyLoad(() => base, live, 40, 'scaled-kill');
      await until(async () => world.meta.sends().length >= 30, 60_000);
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const killedAt = Date.now();
      await until(async () => load.outcomes.length >= 160, 60_000);
      const outcomes = await load.stop();
      const acked = outcomes.filter((o) => o.id).map((o) => o.id!);
      assert.deepEqual(await allSettled(world.receiver.received, acked), []);
      const settledMs = Date.now() - killedAt;
      const { acknowledged, sent, unknown, unknownReceived } = assertSentOnce(
        world.meta,
        world.receiver.received,
        outcomes,
      );
      assertEventsDelivered(world.receiver.received, acked);
      assert.equal(acknowledged, outcomes.length, 'the api process acknowledged every request');
      report(
        `scaled (api + 2 workers, PostgreSQL + Redis), one worker SIGKILLed at 40 sends/s: ${acknowledged} acknowledged, none lost, none sent twice; ${sent} sent, ${unknown} failed send_outcome_unknown (${unknownReceived} of them had reached the provider); all settled ${settledMs} ms after the kill`,
      );
    } finally {
      await Promise.all([api.stop('SIGKILL'), doomed.stop('SIGKILL'), second?.stop('SIGKILL')]);
      await world.meta.stop();
      await world.receiver.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('drill: dependencies cut and restored', {
  skip: pgOk && redisOk ? false : 'PostgreSQL or Redis not reachable',
}, () => {
  it('the database: 503 while it is gone, nothing accepted lost, service resumes by itself', {
    timeout: SLOW,
  }, async () => {
    const db = await createPgDatabase();
    const pgUrl = new URL(db.url);
    const proxy = new TcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const world = await providerWorld();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
    const port = await freePort();
    const server = spawnParley(
      baseEnv(world.meta.url, {
        PORT: String(port),
        DATABASE_URL: viaProxy.toString(),
        PARLEY_DATA_DIR: dataDir,
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      assert.ok(await ready(base), server.output());
      const { live } = await liveWorkspace(base, world.number, world.receiver.url);
      const load = steadyLoad(() => base, live, 30, 'db-cut');
      await until(async () => load.outcomes.filter((o) => o.id).length >= 20, 60_000);
      proxy.cut();
      const cutAt = Date.now();
      await until(async () => load.outcomes.some((o) => o.status === 503), 60_000);
      const readyWhileCut = await fetch(`${base}/readyz`).then(
        (r) => r.status,
        (err: Error) => assert.fail(`/readyz while the database is cut: ${err.message}\n${server.output()}`),
      );
      await new Promise((r) => setTimeout(r, 2000));
      proxy.restore();
      const restoredAt = Date.now();
      assert.ok(
        await until(async () => load.outcomes.slice(-3).every((o) => o.status === 201), 90_000),
        'service resumed',
      );
      const resumedMs = Date.now() - restoredAt;
      const outcomes = await load.stop();
      const acked = outcomes.filter((o) => o.id).map((o) => o.id!);
      assert.deepEqual(await allSettled(world.receiver.received, acked), []);
      const { sent, unknown } = assertSentOnce(world.meta, world.receiver.received, outcomes);
      const byStatus = new Map<string, number>();
      for (const o of outcomes) byStatus.set(String(o.status), (byStatus.get(String(o.status)) ?? 0) + 1);
      assert.equal(byStatus.get('500') ?? 0, 0, 'no 500 while the database was gone');
      assert.equal(readyWhileCut, 503, '/readyz reports the database');
      report(
        `database cut for ${restoredAt - cutAt} ms under 30 sends/s: ${JSON.stringify(Object.fromEntries(byStatus))}; resumed ${resumedMs} ms after restore; ${acked.length} acknowledged, none lost, none sent twice; ${sent} sent, ${unknown} failed send_outcome_unknown`,
      );
    } finally {
      await server.stop('SIGKILL');
      await proxy.stop();
      await world.meta.stop();
      await world.receiver.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('Redis: rate limits count per process and live streams resume with nothing missing', {
    timeout: SLOW,
  }, async () => {
    const db = await createPgDatabase();
    const proxy = new TcpProxy({ host: '127.0.0.1', port: 6379 });
    await proxy.start();
    const world = await providerWorld();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
    const port = await freePort();
    const server = spawnParley(
      baseEnv(world.meta.url, {
        PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        PARLEY_DATA_DIR: dataDir,
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    const seen: string[] = [];
    let lastId = '';
    let streams = 0;
    let stopStream = false;
    // A client of the live stream that resumes with Last-Event-ID, as the SDK and the inbox do.
    const follow = async (key: string) => {
      while (!stopStream) {
        streams++;
        try {
          const res = await fetch(`${base}/v1/events/stream?type=message.sent`, {
            headers: { authorization: `Bearer ${key}`, ...(lastId ? { 'last-event-id': lastId } : {}) },
          });
          const reader = res.body!.getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stopStream) break;
            buf += Buffer.from(value).toString('utf8');
            let cut = buf.indexOf('\n\n');
            while (cut >= 0) {
              const frame = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              const id = /^id: (\S+)$/m.exec(frame)?.[1];
              if (id) {
                seen.push(id);
                lastId = id;
              }
              cut = buf.indexOf('\n\n');
            }
          }
        } catch {
          // Reconnect below.
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      assert.ok(await ready(base), server.output());
      const { live } = await liveWorkspace(base, world.number, world.receiver.url);
      const following = follow(live);
      const load = steadyLoad(() => base, live, 20, 'redis-cut');
      await until(async () => load.outcomes.filter((o) => o.id).length >= 20, 60_000);
      proxy.cut();
      const before = load.outcomes.length;
      await until(async () => load.outcomes.length >= before + 40, 60_000);
      const duringCut = load.outcomes.slice(before);
      proxy.restore();
      await until(async () => load.outcomes.length >= before + 80, 60_000);
      const outcomes = await load.stop();
      const acked = outcomes.filter((o) => o.id).map((o) => o.id!);
      assert.deepEqual(
        duringCut.filter((o) => o.status !== 201).map((o) => o.status),
        [],
        'requests failed while Redis was gone',
      );
      assert.deepEqual(await allSettled(world.receiver.received, acked), []);
      assertSentOnce(world.meta, world.receiver.received, outcomes);
      // Every message.sent event reaches the stream client once, Redis outage or not.
      const dbEvents = await (
        await fetch(`${base}/v1/events?type=message.sent&per_page=100`, {
          headers: { authorization: `Bearer ${live}` },
        })
      ).json();
      const total = (dbEvents as { meta: { total: number } }).meta.total;
      assert.ok(
        await until(async () => new Set(seen).size >= total, 90_000),
        `stream saw ${new Set(seen).size} of ${total}`,
      );
      assert.equal(seen.length, new Set(seen).size, 'no event twice on the stream');
      report(
        `Redis cut under 20 sends/s: ${duringCut.length} requests during the cut, all 201 (limits counted per process); the stream client reconnected ${streams - 1} times and saw ${seen.length} of ${total} message.sent events, none twice`,
      );
      stopStream = true;
      await Promise.race([following, new Promise((r) => setTimeout(r, 2000))]);
    } finally {
      stopStream = true;
      await server.stop('SIGKILL');
      await proxy.stop();
      await world.meta.stop();
      await world.receiver.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
