import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { z } from 'zod';
import { defineJob } from './queue.ts';
import { type JobStore, WorkerPool } from './worker-pool.ts';

/** A store with no jobs that records when each kind was looked at. */
function recordingStore(claims: Array<{ kind: string; at: number }>): JobStore {
  return {
    async claim(def) {
      claims.push({ kind: def.name, at: Date.now() });
      return [];
    },
    async complete() {},
    async completeMany() {},
    async completeIn() {},
    async retry() {},
    async fail() {},
  };
}

it('idle polls of the kinds of job are spread over the interval, each kind still every pollMs at most', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const claims: Array<{ kind: string; at: number }> = [];
  const pool = new WorkerPool({ store: recordingStore(claims), pollMs: 2000 });
  const kinds = 20;
  for (let i = 0; i < kinds; i++)
    pool.register(defineJob({ name: `kind${i}`, payload: z.object({}) }), async () => {});
  try {
    pool.start();
    // Ten seconds of idle polling, 5 ms at a time, letting each poll's promises settle.
    for (let t = 0; t < 10_000; t += 5) {
      mock.timers.tick(5);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await pool.stop();
    mock.timers.reset();
  }
  // Every kind polled at start, then at least every 2 s.
  for (let i = 0; i < kinds; i++) {
    const at = claims.filter((c) => c.kind === `kind${i}`).map((c) => c.at);
    assert.ok(at.length >= 5, `kind${i} polled ${at.length} times in 10 s`);
    for (let j = 1; j < at.length; j++)
      assert.ok(at[j]! - at[j - 1]! <= 2000 + 5, `kind${i} waited ${at[j]! - at[j - 1]!} ms between polls`);
  }
  // After the start, the polls do not come in bursts: in step, all twenty would fall in one 5 ms
  // step every 2 s; spread, no 50 ms holds more than two.
  const steady = claims.filter((c) => c.at > 1_000_000 + 2000).map((c) => c.at);
  assert.ok(steady.length >= kinds * 3);
  let most = 0;
  for (const a of steady) most = Math.max(most, steady.filter((b) => b >= a && b < a + 50).length);
  assert.ok(most <= 2, `${most} polls within 50 ms`);
});
