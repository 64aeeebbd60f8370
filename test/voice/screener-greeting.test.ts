import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RealScheduler } from '../../src/modules/voice/engine/scheduler.ts';
import { screeningDriver } from '../../src/modules/voice/engine/screener.ts';
import { CallSession, defaultSessionSettings } from '../../src/modules/voice/engine/session.ts';
import type { CallDriver, CallTransport, OutSegment } from '../../src/modules/voice/engine/types.ts';

/**
 * Answer detection never delays the greeting to a person: the time from a call connecting to its
 * greeting's first audio, on real time, with and without the call-screener detector around the
 * driver (the figure in BENCHMARKS.md).
 */
const greeting = (): CallDriver => ({
  async *start() {
    yield { type: 'say', text: 'Hello, this is Glow Salon calling about your appointment.' };
  },
  async *reply() {},
  async *reprompt() {},
});

async function greetingDelayMs(withDetector: boolean): Promise<number> {
  let played: (() => void) | null = null;
  const first = new Promise<void>((r) => {
    played = r;
  });
  const transport: CallTransport = {
    kind: 'test',
    attach() {},
    play(_s: OutSegment) {
      played?.();
    },
    clear() {},
    async hangup() {},
  };
  const scheduler = new RealScheduler();
  const driver = withDetector
    ? screeningDriver(greeting(), {
        action: 'state_purpose',
        message: 'Hi',
        now: () => scheduler.now(),
        detected: async () => {},
        note() {},
      })
    : greeting();
  const session = new CallSession({
    callId: 'call_bench',
    transport,
    driver,
    stt: { name: 'none', open: () => ({ push() {}, finalize() {}, close() {} }) },
    tts: { name: 'none', async *synthesize() {} },
    scheduler,
    settings: defaultSessionSettings,
    recorder: { async turn() {}, latency() {}, async ended() {} },
  });
  const t0 = performance.now();
  session.start();
  await first;
  const ms = performance.now() - t0;
  await session.stop();
  return ms;
}

it('the greeting starts as soon with the call-screener detector as without it', async () => {
  const runs = 200;
  const without: number[] = [];
  const withIt: number[] = [];
  for (let i = 0; i < runs; i++) {
    without.push(await greetingDelayMs(false));
    withIt.push(await greetingDelayMs(true));
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
  console.log(
    `# greeting start after connect: without detector p50 ${p50(without).toFixed(3)} ms p95 ${p95(without).toFixed(3)} ms; with detector p50 ${p50(withIt).toFixed(3)} ms p95 ${p95(withIt).toFixed(3)} ms`,
  );
  // The detector adds no wait: the medians differ by well under a millisecond.
  assert.ok(p50(withIt) - p50(without) < 1, `${p50(withIt)} vs ${p50(without)}`);
});
