/**
 * Issue 5's goals, on SQLite: signed webhook deliveries per second to a local receiver (goal
 * >= 2,000/s), and the time from an event's commit to the first delivery attempt when the queue
 * is idle (goal p50 < 50 ms). The receiver runs in this process; the numbers include its cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventsModule } from '../src/modules/events/events.module.ts';
import { createWebhooksModule } from '../src/modules/webhooks/webhooks.module.ts';
import { workspacesModule } from '../src/modules/workspaces/workspaces.module.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { loadConfig } from '../src/platform/config.ts';
import { newId } from '../src/platform/ids.ts';
import { startParley } from '../src/server.ts';

const N = Number(process.env.BENCH_DELIVERIES ?? 10_000);
const LATENCY_SAMPLES = 200;

let received = 0;
const arrivals = new Map<string, number>();
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string' && req.headers['webhook-signature']) arrivals.set(id, performance.now());
    res.end('ok');
  });
});
receiver.keepAliveTimeout = 60_000;
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function start(role: 'all' | 'api', dataDir: string) {
  const config = loadConfig({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
    PARLEY_ROLE: role,
  });
  const parley = await startParley(config, {
    listen: false,
    bootstrap: false,
    modules: [workspacesModule, createEventsModule(), createWebhooksModule()],
  });
  const ws = await createWorkspace(parley.ctx, { name: 'Bench', plan: 'enterprise', default_country: 'IN' });
  const now = new Date().toISOString();
  await parley.ctx.db
    .insertInto('webhook_endpoints')
    .values({
      id: newId('wh'),
      workspace_id: ws.workspace.id,
      livemode: 1,
      url: receiverUrl,
      description: null,
      events: '["*"]',
      agent_id: null,
      status: 'enabled',
      disabled_reason: null,
      disabled_at: null,
      secret: parley.ctx.secrets.seal(`whsec_${randomBytes(32).toString('base64')}`),
      previous_secret: null,
      previous_secret_expires_at: null,
      failing_since: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const emit = (tx: Parameters<Parameters<typeof parley.ctx.transaction>[0]>[0]) =>
    tx.emit({
      workspaceId: ws.workspace.id,
      livemode: true,
      type: 'message.received',
      actor: { type: 'customer', id: null },
      data: {
        object: 'message',
        id: newId('msg'),
        text: 'Hi, do you have a slot tomorrow at 5?',
        direction: 'inbound',
      },
    });
  return { parley, emit };
}

// Throughput, steady state: events keep being recorded (50 per transaction) while the worker
// delivers them, for a fixed time; a second figure drains a backlog queued with no worker running.
const dir1 = mkdtempSync(join(tmpdir(), 'parley-bench-wh-'));
{
  const { parley, emit } = await start('all', dir1);
  received = 0;
  let emitted = 0;
  const t0 = performance.now();
  const until = t0 + 5000;
  while (performance.now() < until) {
    // Keep at most a few hundred deliveries in flight, as a live system with a healthy receiver does.
    if (emitted - received > 400) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    await parley.ctx.transaction(async (tx) => {
      for (let j = 0; j < 50; j++) await emit(tx);
    });
    emitted += 50;
  }
  while (received < emitted) await new Promise((r) => setTimeout(r, 2));
  const seconds = (performance.now() - t0) / 1000;
  console.log('webhooks: signed deliveries to a local receiver (SQLite)');
  console.log(
    `  steady state: ${emitted} events recorded and delivered in ${seconds.toFixed(2)} s: ${Math.round(emitted / seconds)} deliveries/s (goal >= 2,000/s)`,
  );
  await parley.close();
}
rmSync(dir1, { recursive: true, force: true });
const dir3 = mkdtempSync(join(tmpdir(), 'parley-bench-wh-'));
{
  const { parley, emit } = await start('api', dir3);
  const backlog = Math.min(N, 2000);
  for (let i = 0; i < backlog; i += 500) {
    await parley.ctx.transaction(async (tx) => {
      for (let j = i; j < Math.min(backlog, i + 500); j++) await emit(tx);
    });
  }
  received = 0;
  const t0 = performance.now();
  await parley.ctx.queue.start();
  while (received < backlog) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `  backlog of ${backlog} queued with no worker, then drained: ${Math.round(backlog / seconds)} deliveries/s`,
  );
  await parley.close();
}
rmSync(dir3, { recursive: true, force: true });

// Latency: one event at a time on an idle queue, commit → first attempt at the receiver.
const dir2 = mkdtempSync(join(tmpdir(), 'parley-bench-wh-'));
{
  const { parley, emit } = await start('all', dir2);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const event = await parley.ctx.transaction((tx) => emit(tx));
    const committed = performance.now();
    while (!arrivals.has(event.id)) await new Promise((r) => setImmediate(r));
    if (i >= 20) samples.push(arrivals.get(event.id)! - committed);
    await new Promise((r) => setTimeout(r, 30));
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(2);
  console.log(
    `  commit → first attempt, idle queue: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms (goal p50 < 50 ms)`,
  );
  await parley.close();
}
rmSync(dir2, { recursive: true, force: true });
receiver.closeAllConnections();
receiver.close();
