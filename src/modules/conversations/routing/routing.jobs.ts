import { z } from 'zod';
import { defineJob } from '../../../platform/queue/queue.ts';

/**
 * Gives out a team's queue. Enqueued (in the routing transaction) for a conversation that joined the
 * queue because another transaction held the routing lock: once both commit, this routes it.
 * A batch handler: the jobs of a burst are worked together, one transaction per team.
 */
export const routeQueueJob = defineJob({
  name: 'conversations.route_queue',
  payload: z.object({ workspaceId: z.string(), livemode: z.boolean(), teamId: z.string() }),
  maxAttempts: 10,
  backoffMs: () => 200,
  concurrency: 1,
  batchSize: 200,
  gatherMs: 20,
  timeoutMs: 30_000,
});
