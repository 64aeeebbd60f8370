import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import type { Tx } from '../../../platform/events.ts';
import { fromJson } from '../../../platform/json.ts';
import { defineJob } from '../../../platform/queue/queue.ts';
import { getMediaFile } from '../../media/index.ts';
import { adapterFor, inboundReceiver } from '../adapters.ts';
import { type ChannelConfig, ChannelSendError } from '../channel-adapter.ts';
import { channelConfigOf, findChannelForSend } from '../channels.service.ts';
import type { TemplateDefinition } from './meta-templates.ts';
import type { WhatsAppAdapter } from './whatsapp.adapter.ts';

/**
 * Template sync with Meta: a live-mode template created or edited in Parley is submitted for
 * review (`POST /{business_account_id}/message_templates`) from a job, once the workspace has a
 * Meta WhatsApp channel. Meta's verdict arrives later as a `message_template_status_update`
 * webhook, which the inbound path turns into `template.status_updated`.
 */
export const submitTemplateJob = defineJob({
  name: 'providers.submit_template',
  payload: z.object({ templateId: z.string(), workspaceId: z.string(), livemode: z.boolean() }),
  maxAttempts: 6,
  concurrency: 2,
  timeoutMs: 60_000,
});

export async function submitTemplate(
  ctx: AppContext,
  p: { templateId: string; workspaceId: string; livemode: boolean },
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  const row = await inboundReceiver(ctx).template(scope, p.templateId);
  if (!row || row.status === 'approved') return;
  const channelRow = await findChannelForSend(ctx.db, scope, { type: 'whatsapp' });
  if (channelRow?.provider !== 'meta') return;
  const adapter = adapterFor(ctx, 'meta') as WhatsAppAdapter | undefined;
  if (!adapter?.submitTemplate) return;
  const header = fromJson<{ type?: string; text?: string } | null>(row.header, null);
  const media = header?.type === 'image' || header?.type === 'video' || header?.type === 'document';
  const channel = channelConfigOf(ctx, channelRow);
  try {
    const examples = await withHeaderHandle(ctx, adapter, channel, scope, fromJson(row.examples, null));
    const result = await adapter.submitTemplate(channel, {
      name: row.name,
      language: row.language,
      category: row.category,
      body: row.body,
      header: header?.text ?? null,
      ...(media ? { headerFormat: header.type!.toUpperCase() as 'IMAGE' | 'VIDEO' | 'DOCUMENT' } : {}),
      footer: row.footer,
      buttons: fromJson(row.buttons, null),
      examples,
    });
    // Meta approves some utility templates at once; otherwise the webhook brings the verdict.
    if (result.status === 'approved' || result.status === 'rejected')
      await inboundReceiver(ctx).templateStatus(
        scope,
        { name: row.name, language: row.language },
        result.status,
      );
  } catch (err) {
    if (err instanceof ChannelSendError && !err.retryable) {
      await inboundReceiver(ctx).templateStatus(
        scope,
        { name: row.name, language: row.language },
        'rejected',
        err.message.slice(0, 500),
      );
      return;
    }
    throw err;
  }
}

/**
 * A media header sample given as an uploaded file (`examples.header_media_id`) goes to Meta's
 * Resumable Upload API first; its handle is the `header_handle` Meta's review needs.
 */
async function withHeaderHandle(
  ctx: AppContext,
  adapter: WhatsAppAdapter,
  channel: ChannelConfig,
  scope: { workspaceId: string; livemode: boolean },
  examples: (TemplateDefinition['examples'] & { header_media_id?: string }) | null,
) {
  if (!examples?.header_media_id || examples.header_handle) return examples;
  let file: Awaited<ReturnType<typeof getMediaFile>>;
  try {
    file = await getMediaFile(ctx.db, scope, examples.header_media_id);
  } catch {
    throw new ChannelSendError(
      'validation_failed',
      `The header sample ${examples.header_media_id} is not an uploaded file of this workspace.`,
    );
  }
  const { header_media_id: _, ...rest } = examples;
  const handle = await adapter.uploadHeaderSample(channel, {
    content: Buffer.from(file.content_base64, 'base64'),
    mimeType: file.mime_type,
    ...(file.filename ? { filename: file.filename } : {}),
  });
  return { ...rest, header_handle: handle };
}

export function registerTemplateSync(ctx: AppContext) {
  ctx.queue.register(submitTemplateJob, (p) => submitTemplate(ctx, p));
}

/**
 * Called by the messaging module inside the transaction that creates a template or changes its
 * content: a live-mode template is submitted for review from a job that commits with it.
 */
export async function queueTemplateReview(
  ctx: AppContext,
  tx: Tx,
  scope: { workspaceId: string; livemode: boolean },
  templateId: string,
): Promise<void> {
  if (!scope.livemode) return;
  await ctx.queue.enqueue(tx.db, submitTemplateJob, {
    templateId,
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
  });
}
