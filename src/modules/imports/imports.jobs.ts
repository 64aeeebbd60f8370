import { z } from 'zod';
import { defineJob } from '../../platform/queue/queue.ts';

/** Reads a stored upload and writes its contacts in batches; resumes from `rows_done` after a crash. */
export const processImportJob = defineJob({
  name: 'imports.process',
  payload: z.object({ import_id: z.string(), workspace_id: z.string(), livemode: z.boolean() }),
  maxAttempts: 3,
  timeoutMs: 30 * 60_000,
  concurrency: 2,
});
