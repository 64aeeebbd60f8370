import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/**
 * Delivers queued messages through their channel's adapter, worked in batches (see
 * runSendBatch). Provider retries (retryable errors, pacing) are re-enqueued by the handler with
 * `attempt` + 1, so `maxAttempts` here only covers crashes of the handler itself.
 */
export const sendJob = defineJob({
  name: 'messages.send',
  payload: z.object({ messageId: z.string(), attempt: z.number().int().min(1) }),
  maxAttempts: 5,
  batchSize: 32,
  concurrency: 4,
  timeoutMs: 60_000,
});

/** The sandbox moves a sent message to delivered, then read, as a provider's status webhooks would. */
export const sandboxAdvanceJob = defineJob({
  name: 'messages.sandbox_advance',
  payload: z.object({ messageId: z.string(), status: z.enum(['delivered', 'read']) }),
  maxAttempts: 3,
  batchSize: 100,
  concurrency: 2,
  timeoutMs: 30_000,
});
