import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Answers a conversation's unanswered customer messages once (enqueued per burst, per conversation). */
export const replyJob = defineJob({
  name: 'ai.reply',
  payload: z.object({ workspaceId: z.string(), livemode: z.boolean(), conversationId: z.string() }),
  maxAttempts: 3,
  backoffMs: (attempt) => attempt * 2000,
  timeoutMs: 90_000,
  concurrency: 4,
});
