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

/**
 * While a conversation is handed off: sends the one holding message when a customer has waited
 * `handoff.holding_message_after_minutes` without an answer (enqueued by the customer's message).
 */
export const holdingJob = defineJob({
  name: 'ai.holding',
  payload: z.object({ workspaceId: z.string(), livemode: z.boolean(), conversationId: z.string() }),
  maxAttempts: 3,
  backoffMs: (attempt) => attempt * 5000,
  timeoutMs: 30_000,
  concurrency: 2,
});

/**
 * `auto_resolve_after_minutes`: resolves the conversation when the AI's reply `messageId` is still
 * its last message at `dueAt` (the customer stayed silent, nobody else wrote, no handoff).
 */
export const autoResolveJob = defineJob({
  name: 'ai.auto_resolve',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    conversationId: z.string(),
    messageId: z.string(),
    agentId: z.string(),
    dueAt: z.string(),
  }),
  maxAttempts: 3,
  backoffMs: (attempt) => attempt * 5000,
  timeoutMs: 30_000,
  concurrency: 2,
});
