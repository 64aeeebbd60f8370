import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Analyses one resolved conversation or one ended call (enqueued with its event). */
export const analyzeJob = defineJob({
  name: 'analysis.run',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    kind: z.enum(['conversation', 'call']),
    id: z.string(),
  }),
  maxAttempts: 3,
  backoffMs: (attempt) => attempt * 5000,
  timeoutMs: 120_000,
  concurrency: 2,
});

/** One page of a range re-analysis (`POST /v1/agents/{id}/analyze`); enqueues the next page. */
export const analyzeRangeJob = defineJob({
  name: 'analysis.range',
  payload: z.object({ runId: z.string() }),
  maxAttempts: 5,
  backoffMs: (attempt) => attempt * 5000,
  timeoutMs: 600_000,
  concurrency: 1,
});
