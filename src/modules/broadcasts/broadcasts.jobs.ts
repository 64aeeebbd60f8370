import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/**
 * Expands a broadcast's recipients, then hands a slice of them to messaging; it re-enqueues
 * itself for the next slice (and after a messages-per-hour window resets), so no run is long.
 */
export const fanOutJob = defineJob({
  name: 'broadcasts.fan_out',
  payload: z.object({ broadcastId: z.string() }),
  maxAttempts: 10,
  concurrency: 2,
  timeoutMs: 5 * 60_000,
});

/** Polls a fully handed-over broadcast until its last message leaves `queued`, then completes it. */
export const completionJob = defineJob({
  name: 'broadcasts.check_completion',
  payload: z.object({ broadcastId: z.string(), round: z.number().int().min(0) }),
  maxAttempts: 5,
  concurrency: 4,
  timeoutMs: 30_000,
});
