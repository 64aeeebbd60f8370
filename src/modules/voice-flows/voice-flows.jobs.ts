import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { defineJob, exponentialBackoff } from '../../platform/queue/queue.ts';
import { checkWebhookUrl, sendWebhook, signatureHeaders } from '../webhooks/index.ts';

/** A flow's `webhook` action: one signed POST, retried with backoff until a 2xx (or the attempts run out). */
export const webhookJob = defineJob({
  name: 'voice_flows.webhook',
  payload: z.object({
    flowId: z.string(),
    url: z.string(),
    payload: z.record(z.string(), z.unknown()),
    id: z.string().optional(),
  }),
  maxAttempts: 6,
  backoffMs: exponentialBackoff(5_000, 30 * 60_000),
  concurrency: 4,
  timeoutMs: 30_000,
});

export async function deliverFlowWebhook(
  ctx: AppContext,
  p: z.infer<typeof webhookJob.payload>,
  jobId: string,
) {
  const flow = await ctx.db
    .selectFrom('voice_flows')
    .select('webhook_secret')
    .where('id', '=', p.flowId)
    .executeTakeFirst();
  if (!flow) return;
  let url: string;
  try {
    url = checkWebhookUrl(p.url, ctx.config.webhookAllowPrivate);
  } catch {
    ctx.logger.warn({ flowId: p.flowId }, 'voice flow webhook: the URL is not allowed; not sent');
    return;
  }
  const at = ctx.clock.now();
  // The job id stays the same across retries, as `webhook-id` must.
  const msgId = `msg_${jobId}`;
  const body = JSON.stringify({ id: p.id ?? newId('evt'), ...p.payload, timestamp: at.toISOString() });
  const result = await sendWebhook({
    url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Parley-Webhooks/1.0',
      'x-parley-event': 'voice_flow.webhook',
      ...signatureHeaders([ctx.secrets.open(flow.webhook_secret)], msgId, at, body),
    },
    allowPrivate: ctx.config.webhookAllowPrivate,
    timeoutMs: 10_000,
    excerptBytes: 512,
  });
  if (!result.ok)
    throw new Error(`voice flow webhook to ${url} failed: ${result.error ?? `HTTP ${result.statusCode}`}`);
}
