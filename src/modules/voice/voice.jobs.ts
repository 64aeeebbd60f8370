import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

const callPayload = z.object({ workspaceId: z.string(), livemode: z.boolean(), callId: z.string() });

/**
 * Places an outbound phone call through its carrier. The job returns once the carrier has the
 * call (the sandbox callee, a provider's REST answer); the live call then runs in a session of
 * this process. It is tried once: a second dial could ring the person twice.
 */
export const startCallJob = defineJob({
  name: 'calls.start',
  payload: callPayload,
  maxAttempts: 1,
  concurrency: 16,
  timeoutMs: 60_000,
});

/** A web call nobody joined in time fails and frees its slot (a no-op once it was joined or ended). */
export const webJoinTimeoutJob = defineJob({
  name: 'calls.join_timeout',
  payload: callPayload,
  maxAttempts: 3,
  concurrency: 4,
  timeoutMs: 30_000,
});
