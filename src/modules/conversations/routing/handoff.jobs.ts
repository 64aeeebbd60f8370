import { z } from 'zod';
import { defineJob } from '../../../platform/queue/queue.ts';

const where = { workspaceId: z.string(), livemode: z.boolean(), conversationId: z.string() };

/**
 * A handoff's reply timer: fires once when `reply_within_minutes` (of business hours) ran out. A
 * timer whose handoff ended, was answered, or was already acted on (another `round`) does nothing.
 */
export const handoffTimerJob = defineJob({
  name: 'conversations.handoff_timer',
  payload: z.object({ ...where, handoffAt: z.string(), round: z.number().int(), dueAt: z.string() }),
  maxAttempts: 5,
  concurrency: 4,
  timeoutMs: 30_000,
});

/**
 * Tells the customer at once what happens next when a handoff was made by anyone but the AI (whose
 * own reply says it): a person will reply here shortly, or, out of hours (`outOfHours`), when a
 * person will answer. Enqueued here, run by the module that can send (the AI module).
 */
export const handoffNoticeJob = defineJob({
  name: 'conversations.handoff_notice',
  payload: z.object({
    ...where,
    handoffAt: z.string(),
    outOfHours: z
      .object({ nextOpening: z.string().nullable(), timezone: z.string(), text: z.string().nullable() })
      .nullable(),
  }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 60_000,
});

/**
 * Jobs enqueued before `conversations.handoff_notice` existed (run as such). Tells a customer whose handoff came out of hours when a person will answer. Enqueued here, run by
 * the module that can send (the AI module): `nextOpening` is the ISO time, `text` the policy's own
 * message (null: a built-in one in the customer's language).
 */
export const outOfHoursJob = defineJob({
  name: 'conversations.out_of_hours',
  payload: z.object({
    ...where,
    handoffAt: z.string(),
    nextOpening: z.string().nullable(),
    timezone: z.string(),
    text: z.string().nullable(),
  }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 60_000,
});
