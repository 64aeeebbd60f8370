import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';
import { KINDS } from './notifications.kinds.ts';

/** One push to every browser a person subscribed (never retried: a late notification is worse than none). */
export const pushJob = defineJob({
  name: 'notifications.push',
  payload: z.object({
    userId: z.string(),
    message: z.object({
      kind: z.enum(KINDS),
      title: z.string(),
      body: z.string(),
      url: z.string(),
      tag: z.string(),
    }),
  }),
  maxAttempts: 1,
  concurrency: 4,
  timeoutMs: 30_000,
});

/** Gathers due notifications into email digests and sends them (a poll: one at a time). */
export const digestJob = defineJob({
  name: 'notifications.digest',
  payload: z.object({}),
  maxAttempts: 3,
  concurrency: 1,
  timeoutMs: 120_000,
});
