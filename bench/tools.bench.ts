/**
 * Issue 47's goal, on each storage: Parley's overhead around a tool call, p50 < 5 ms, with the
 * business's system (a local server in this process) answering at once. Measured as the p50 of a
 * whole tool call (arguments checked, secrets opened, the request rendered and signed, the
 * SSRF-guarded request, the answer mapped, the call recorded with its event, the histogram
 * observed) minus the p50 of the same request made bare with node:http, one after another,
 * alternating; the bare request's p50 and the ratio of the two are printed too.
 *
 * Run: node --disable-warning=ExperimentalWarning bench/tools.bench.ts [sqlite|postgres]
 *      (BENCH_TOOL_CALLS=n, default 1000; both storages without an argument)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventsModule } from '../src/modules/events/events.module.ts';
import { putSecret } from '../src/modules/tools/secrets.service.ts';
import { toolsModule } from '../src/modules/tools/tools.module.ts';
import { callTool } from '../src/modules/tools/tools.run.ts';
import { createTool, getToolRow, toolOf } from '../src/modules/tools/tools.service.ts';
import { workspacesModule } from '../src/modules/workspaces/workspaces.module.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { loadConfig } from '../src/platform/config.ts';
import { startParley } from '../src/server.ts';
import { makeBenchDatabase } from './support.ts';

const N = Number(process.env.BENCH_TOOL_CALLS ?? 1000);

const shop = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"order":{"id":"5531","status":"shipped","eta":"Friday"}}');
  });
});
await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;

async function run(storage: 'sqlite' | 'postgres') {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-tools-'));
  const database = await makeBenchDatabase(storage);
  const config = loadConfig({
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    PARLEY_DATA_DIR: dataDir,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
  });
  const parley = await startParley(config, {
    listen: false,
    bootstrap: false,
    modules: [workspacesModule, createEventsModule(), toolsModule],
  });
  const ctx = parley.ctx;
  const { workspace } = await createWorkspace(ctx, {
    name: 'Bench',
    plan: 'enterprise',
    default_country: 'US',
  });
  const scope = { workspaceId: workspace.id, livemode: true };
  await putSecret(ctx, scope, { name: 'shop_token', value: 'sk_bench_0123456789abcdef' });
  const created = await createTool(ctx, scope, {
    name: 'order_status',
    description: 'Looks up an order.',
    effect: 'read',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}' } },
      required: ['order_id'],
    },
    request: {
      method: 'GET',
      url: `${shopUrl}/orders/{order_id}`,
      headers: { authorization: 'Bearer {{secret.shop_token}}' },
      query: { phone: '{{contact.phone}}' },
    },
    result: { pointer: '/order', redact: ['eta'] },
  });
  const tool = toolOf(await getToolRow(ctx.db, scope, created.id));
  const rc = {
    scope,
    agent: { id: 'agt_bench', name: 'Bench' },
    contact: { id: 'ct_bench', name: 'Asha Rao', phone: '+14155550142', email: null, attributes: {} },
    conversation: { id: 'conv_bench', channel: 'sms', variables: {} },
    channel: 'chat' as const,
    source: 'chat' as const,
    useMocks: false,
    liveWrites: true,
    actor: { type: 'ai' as const, id: 'agt_bench' },
  };

  const bare = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${shopUrl}/orders/5531?phone=%2B14155550142`,
        { agent: false, headers: { authorization: 'Bearer sk_bench_0123456789abcdef' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end();
    });

  // Warm-up: the JIT, the tool key made on first use, the statements prepared.
  for (let i = 0; i < 100; i++) {
    await bare();
    await callTool(ctx, tool, { order_id: '5531' }, rc);
  }
  const bareMs: number[] = [];
  const toolMs: number[] = [];
  for (let i = 0; i < N; i++) {
    let t0 = performance.now();
    await bare();
    bareMs.push(performance.now() - t0);
    t0 = performance.now();
    const out = await callTool(ctx, tool, { order_id: '5531' }, rc);
    toolMs.push(performance.now() - t0);
    if (!out.ok) throw new Error(`tool call failed: ${out.code} ${out.message}`);
  }
  const pct = (xs: number[], p: number) => xs.toSorted((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  const f = (x: number) => x.toFixed(2);
  console.log(`tool calls: ${N} (${storage}; the business's system answers at once, in this process)`);
  console.log(`  bare request      p50 ${f(pct(bareMs, 0.5))} ms  p95 ${f(pct(bareMs, 0.95))} ms`);
  console.log(`  whole tool call   p50 ${f(pct(toolMs, 0.5))} ms  p95 ${f(pct(toolMs, 0.95))} ms`);
  const overhead = pct(toolMs, 0.5) - pct(bareMs, 0.5);
  console.log(`  whole / bare      p50 ${(pct(toolMs, 0.5) / pct(bareMs, 0.5)).toFixed(2)}x`);
  console.log(`  Parley's overhead p50 ${f(overhead)} ms (goal < 5 ms): ${overhead < 5 ? 'met' : 'NOT met'}`);
  await parley.close();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

const which = process.argv[2];
for (const storage of ['sqlite', 'postgres'] as const) if (!which || which === storage) await run(storage);
shop.close();
