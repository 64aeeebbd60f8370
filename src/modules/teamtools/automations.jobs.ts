import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Runs the automations of one event, in order of creation (one run per automation and event). */
export const automationJob = defineJob({
  name: 'teamtools.automations',
  payload: z.object({
    eventId: z.string(),
    type: z.string(),
    workspaceId: z.string(),
    livemode: z.boolean(),
    conversationId: z.string(),
    at: z.string(),
    text: z.string().nullable(),
    /** message.received: the customer message (a reply action sends only while it is unanswered). */
    messageId: z.string().optional(),
  }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 60_000,
});
export type AutomationJob = z.infer<typeof automationJob.payload>;
