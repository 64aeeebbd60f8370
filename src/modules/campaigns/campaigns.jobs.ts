import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/**
 * Writes a campaign's recipients from its audience, a slice per run (it queues the next run, and
 * a pass after each slice) until every one exists; resumed after the last contact written.
 */
export const expandJob = defineJob({
  name: 'campaigns.expand',
  payload: z.object({ campaignId: z.string() }),
  maxAttempts: 20,
  concurrency: 1,
  timeoutMs: 60_000,
});

/**
 * One scheduling pass of a running campaign: claims the due recipients whose window is open (up to the free concurrency and the pace) and
 * queues one dial job each, in one transaction. It queues its own next pass.
 */
export const tickJob = defineJob({
  name: 'campaigns.tick',
  payload: z.object({ campaignId: z.string() }),
  maxAttempts: 20,
  concurrency: 2,
  timeoutMs: 60_000,
});

/** Dials (or sends to) one claimed recipient for one attempt; a second run of the same attempt does nothing. */
export const dialJob = defineJob({
  name: 'campaigns.dial',
  payload: z.object({ recipientId: z.string(), attempt: z.number().int().min(1) }),
  maxAttempts: 5,
  concurrency: 8,
  timeoutMs: 60_000,
});

/** A campaign call ended: its recipient completes or waits for a retry (enqueued with the call's end). */
export const callEndedJob = defineJob({
  name: 'campaigns.call_ended',
  payload: z.object({ callId: z.string() }),
  maxAttempts: 10,
  concurrency: 4,
  timeoutMs: 30_000,
});
