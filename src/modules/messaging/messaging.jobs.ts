import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/**
 * The messages a job is about: a list (one job per batch of accepted messages), or the single
 * `messageId` that jobs carried before sends were batched (still read, for jobs queued then).
 */
const messageRefs = {
  messageIds: z.array(z.string()).min(1).max(1000).optional(),
  messageId: z.string().optional(),
};
const hasMessages = (p: { messageIds?: string[]; messageId?: string }) =>
  p.messageIds !== undefined || p.messageId !== undefined;
export const messageIdsOf = (p: { messageIds?: string[]; messageId?: string }): string[] =>
  p.messageIds ?? (p.messageId ? [p.messageId] : []);

/** Jobs carry at most this many messages. */
export const MESSAGES_PER_JOB = 500;

/**
 * Delivers queued messages through their channel's adapter, worked in batches (see
 * runSendBatch). Provider retries (retryable errors, pacing) are re-enqueued by the handler with
 * `attempt` + 1, so `maxAttempts` here only covers crashes of the handler itself.
 */
export const sendJob = defineJob({
  name: 'messages.send',
  payload: z
    .object({ ...messageRefs, attempt: z.number().int().min(1) })
    .refine(hasMessages, 'messageIds is required'),
  maxAttempts: 5,
  batchSize: 8,
  // Eight handler calls at once: on PostgreSQL a backlog drains faster and with less CPU per
  // message than with four (the handlers' round trips overlap; BENCHMARKS.md, issue 31); SQLite's
  // one writer is neither faster nor slower.
  concurrency: 8,
  // Under load a job is committed every few milliseconds: gathering them lets one handler call
  // (one status transaction) carry several. 25 ms rather than 10: at 1,000 sends a second on
  // PostgreSQL the accepting requests' p50 fell from 25-35 ms to 20-24 ms (fewer, larger send
  // transactions beside them); a lone send waits those 25 ms before it goes out.
  gatherMs: 25,
  timeoutMs: 60_000,
});

/** The sandbox moves a sent message to delivered, then read, as a provider's status webhooks would. */
export const sandboxAdvanceJob = defineJob({
  name: 'messages.sandbox_advance',
  payload: z
    .object({ ...messageRefs, status: z.enum(['delivered', 'read']) })
    .refine(hasMessages, 'messageIds is required'),
  maxAttempts: 3,
  batchSize: 16,
  concurrency: 2,
  // The steps fall due on a 50 ms grid, so one transaction advances all that fell due together.
  gatherMs: 50,
  timeoutMs: 30_000,
});

/**
 * Fetches a customer's media from the provider (WhatsApp: `GET /{media-id}`, then its URL with
 * the channel's token) and keeps it with the message. Temporary failures are retried; a final
 * failure or a refusal (too large, a type not taken) is recorded on the message's media.
 */
export const keepMediaJob = defineJob({
  name: 'messages.keep_media',
  payload: z.object({ messageId: z.string() }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 120_000,
});

/** A Messenger or Instagram customer's name and picture, read from Meta's Graph API (messaging/profiles.ts). */
export const customerProfileJob = defineJob({
  name: 'messages.customer_profile',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    channelId: z.string(),
    contactId: z.string(),
    userId: z.string(),
  }),
  maxAttempts: 3,
  concurrency: 2,
  timeoutMs: 30_000,
});
