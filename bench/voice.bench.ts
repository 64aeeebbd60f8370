/**
 * Turn latency of sandbox calls: Parley's own share of a turn (final transcript → first audio
 * frame out, built-in agent, sandbox speech) as each call reports it (`latency.parley_p50_ms`)
 * and as the `parley_call_turn_latency_seconds{part="turn"}` histogram sums it. Target: p50 < 30 ms.
 * Calls are placed in waves of the workspace's concurrency limit, each callee saying three lines.
 * Run: npm run bench -- voice   (BENCH_CALLS, default 40; BENCH_STORAGE sqlite|postgres, default sqlite)
 */
import { startTestApp } from '../test/support/harness.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 40);
const storage = (process.env.BENCH_STORAGE ?? 'sqlite') as 'sqlite' | 'postgres';
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

const t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
try {
  const ws = await t.workspace({ default_country: 'US' });
  const agent = await t.call('POST', '/v1/agents', {
    key: ws.test,
    body: { name: 'Glow Salon', greeting: 'Hello, this is Glow Salon. How can I help?' },
  });
  const perCall: number[] = [];
  const started = performance.now();
  let placed = 0;
  while (placed < CALLS) {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: {
        calls: Array.from({ length: Math.min(5, CALLS - placed) }, (_, i) => ({
          agent_id: agent.body.id,
          to: `+1415555${String(1000 + placed + i).slice(-4)}`.replace(/[1-4]$/, '5'),
          sandbox: {
            lines: ['What are your opening hours?', 'How much is a haircut?', 'Thanks, bye'],
            hangup_after_lines: true,
          },
        })),
      },
    });
    if (res.status !== 201) throw new Error(`POST /v1/calls: ${res.status} ${res.text}`);
    const ids: string[] = res.body.results.map((r: { call: { id: string } }) => r.call.id);
    placed += ids.length;
    for (const id of ids) {
      for (;;) {
        const c = (await t.call('GET', `/v1/calls/${id}`, { key: ws.test })).body;
        if (terminal.includes(c.status)) {
          if (c.latency?.parley_p50_ms != null) perCall.push(c.latency.parley_p50_ms);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  const wall = performance.now() - started;
  perCall.sort((a, b) => a - b);
  const pct = (p: number) => perCall[Math.min(perCall.length - 1, Math.ceil((p / 100) * perCall.length) - 1)];
  const metrics = (await t.call('GET', '/metrics')).text.split('\n');
  const value = (name: string) =>
    Number(
      metrics
        .find((l) => l.startsWith(`${name}{part="turn"}`))
        ?.split(' ')
        .pop() ?? Number.NaN,
    );
  const sum = value('parley_call_turn_latency_seconds_sum');
  const count = value('parley_call_turn_latency_seconds_count');
  console.log(`voice turn latency (${storage}, ${CALLS} sandbox calls, ${(wall / 1000).toFixed(1)} s wall)`);
  console.log(
    `  per-call parley_p50_ms: p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${perCall.at(-1)} ms (target p50 < 30)`,
  );
  console.log(`  histogram part=turn: ${count} turns, mean ${((sum / count) * 1000).toFixed(1)} ms`);
} finally {
  await t.close();
}
