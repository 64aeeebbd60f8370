import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import { fromJson } from '../../../platform/json.ts';
import { defineJob } from '../../../platform/queue/queue.ts';
import { adapterFor, inboundReceiver } from '../adapters.ts';
import { ChannelSendError } from '../channel-adapter.ts';
import { channelConfigOf, findChannelForSend } from '../channels.service.ts';
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
  try {
    const result = await adapter.submitTemplate(channelConfigOf(ctx, channelRow), {
      name: row.name,
      language: row.language,
      category: row.category,
      body: row.body,
      header: header?.text ?? null,
      ...(media ? { headerFormat: header.type!.toUpperCase() as 'IMAGE' | 'VIDEO' | 'DOCUMENT' } : {}),
      footer: row.footer,
      buttons: fromJson(row.buttons, null),
      examples: fromJson(row.examples, null),
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

export function registerTemplateSync(ctx: AppContext) {
  ctx.queue.register(submitTemplateJob, (p) => submitTemplate(ctx, p));
  ctx.modules.messaging.hooks.templateSaved.add(async (tx, e) => {
    if (!e.livemode) return;
    await ctx.queue.enqueue(tx.db, submitTemplateJob, {
      templateId: e.template.id,
      workspaceId: e.workspaceId,
      livemode: e.livemode,
    });
  });
}
