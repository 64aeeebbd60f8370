import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Wakes a snoozed conversation when its `snoozed_until` comes (a no-op if it was woken or re-snoozed since). */
export const wakeJob = defineJob({
  name: 'conversations.wake',
  payload: z.object({ conversationId: z.string(), until: z.string() }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 30_000,
});
