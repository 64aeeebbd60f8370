import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Asks the CSAT question of one resolved conversation (once per `conversation.resolved`). */
export const csatAskJob = defineJob({
  name: 'teamtools.csat_ask',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    conversationId: z.string(),
    eventId: z.string(),
  }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 30_000,
});
export type CsatJob = z.infer<typeof csatAskJob.payload>;
