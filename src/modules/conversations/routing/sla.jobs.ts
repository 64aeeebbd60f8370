import { z } from 'zod';
import { defineJob } from '../../../platform/queue/queue.ts';

/** An SLA target's timer: breaches it once if it is still unmet at its due time. */
export const slaTimerJob = defineJob({
  name: 'conversations.sla_timer',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    conversationId: z.string(),
    policyId: z.string(),
    kind: z.enum(['first_response', 'next_response', 'resolution']),
    dueAt: z.string(),
  }),
  maxAttempts: 5,
  concurrency: 4,
  timeoutMs: 30_000,
});
