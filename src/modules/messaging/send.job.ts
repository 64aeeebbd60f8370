import type { AppContext } from '../../platform/context.ts';
import { fromJson } from '../../platform/json.ts';
import { exponentialBackoff, type JobContext } from '../../platform/queue/queue.ts';
import { adapterFor } from '../channels/adapters.ts';
import {
  type ChannelAdapter,
  ChannelSendError,
  type OutboundMessage,
  type OutboundType,
} from '../channels/channel-adapter.ts';
import { channelConfigOf } from '../channels/channels.service.ts';
import { sandboxAdapter } from '../channels/sandbox.adapter.ts';
import type { InteractiveInput } from './content.ts';
import { sandboxAdvanceJob, sendJob } from './messaging.jobs.ts';
import { applyStatusInTx } from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';

/** Provider attempts before a retryable failure becomes final. */
export const SEND_ATTEMPTS = 5;
const retryDelay = exponentialBackoff(500, 5 * 60_000);
/** How soon the sandbox reports delivered, then read. */
export const SANDBOX_DELIVER_MS = 150;
export const SANDBOX_READ_MS = 400;

function outboundOf(row: MessageRow): OutboundMessage {
  const out: OutboundMessage = { id: row.id, to: row.to_address, type: row.type as OutboundType };
  if (row.text !== null && row.type === 'text') out.text = row.text;
  if (row.template) {
    const t = fromJson<{
      name: string;
      language: string;
      variables: string[];
      named?: Record<string, string>;
      rendered_body: string;
    }>(row.template, {
      name: '',
      language: '',
      variables: [],
      rendered_body: '',
    });
    out.template = {
      name: t.name,
      language: t.language,
      renderedBody: t.rendered_body,
      bodyParameters: t.variables,
      ...(t.named ? { namedParameters: t.named } : {}),
    };
  }
  if (row.media) {
    const m = fromJson<{ url: string; caption?: string | null; filename?: string | null }>(row.media, {
      url: '',
    });
    out.media = {
      url: m.url,
      ...(m.caption ? { caption: m.caption } : {}),
      ...(m.filename ? { filename: m.filename } : {}),
    };
  }
  if (row.interactive) {
    const i = fromJson<InteractiveInput>(row.interactive, { type: 'button', body: '' });
    out.interactive = {
      kind: i.type,
      body: i.body,
      header: i.header,
      footer: i.footer,
      buttons: i.buttons,
      list: i.list,
    };
  }
  if (row.reply_to_provider_id) out.replyToProviderId = row.reply_to_provider_id;
  return out;
}

async function fail(ctx: AppContext, row: MessageRow, code: string, message: string) {
  await ctx.transaction((tx) =>
    applyStatusInTx(tx, row.id, { status: 'failed', at: ctx.clock.now(), error: { code, message } }),
  );
}

/**
 * The `messages.send` job: one delivery attempt through the channel's adapter (always the
 * sandbox in test mode). Pacing re-schedules without counting an attempt; retryable provider
 * errors retry with backoff up to SEND_ATTEMPTS; anything else fails the message at once.
 */
export async function runSendJob(
  ctx: AppContext,
  payload: { messageId: string; attempt: number },
  _job: JobContext,
): Promise<void> {
  const row = await ctx.db
    .selectFrom('messages')
    .selectAll()
    .where('id', '=', payload.messageId)
    .executeTakeFirst();
  if (row?.status !== 'queued') return;
  const channelRow = await ctx.db
    .selectFrom('channels')
    .selectAll()
    .where('id', '=', row.channel_id)
    .executeTakeFirst();
  if (channelRow?.status !== 'active') {
    return fail(
      ctx,
      row,
      'channel_not_configured',
      'The channel of this message was deleted or disabled before it was sent.',
    );
  }
  const channel = channelConfigOf(ctx, channelRow);
  const adapter: ChannelAdapter | undefined =
    row.livemode === 1 ? adapterFor(channel.provider) : sandboxAdapter;
  if (!adapter)
    return fail(
      ctx,
      row,
      'channel_not_configured',
      `No adapter for provider ${channel.provider} is installed.`,
    );

  const wait = adapter.reserveSendSlot?.(channel, row.to_address, Date.now()) ?? 0;
  if (wait > 0) {
    await ctx.queue.enqueue(ctx.db, sendJob, payload, { delayMs: wait });
    return;
  }
  let providerMessageId: string;
  try {
    ({ providerMessageId } = await adapter.send(channel, outboundOf(row)));
  } catch (err) {
    const retryable = err instanceof ChannelSendError ? err.retryable : true;
    if (retryable && payload.attempt < SEND_ATTEMPTS) {
      const delay = Math.max(
        err instanceof ChannelSendError ? (err.retryAfterMs ?? 0) : 0,
        retryDelay(payload.attempt),
      );
      await ctx.queue.enqueue(
        ctx.db,
        sendJob,
        { messageId: row.id, attempt: payload.attempt + 1 },
        { delayMs: delay },
      );
      return;
    }
    if (err instanceof ChannelSendError) return fail(ctx, row, err.code, err.message);
    ctx.logger.error({ err, messageId: row.id }, 'message send failed');
    return fail(
      ctx,
      row,
      'provider_error',
      `Sending failed after ${payload.attempt} attempts: ${(err as Error).message ?? String(err)}`,
    );
  }
  const sandboxed = adapter.provider === 'sandbox';
  await ctx.transaction(async (tx) => {
    const { applied } = await applyStatusInTx(tx, row.id, {
      status: 'sent',
      at: ctx.clock.now(),
      providerMessageId,
    });
    if (applied && sandboxed)
      await ctx.queue.enqueue(
        tx.db,
        sandboxAdvanceJob,
        { messageId: row.id, status: 'delivered' },
        { delayMs: SANDBOX_DELIVER_MS },
      );
  });
}

export async function runSandboxAdvance(
  ctx: AppContext,
  payload: { messageId: string; status: 'delivered' | 'read' },
): Promise<void> {
  await ctx.transaction(async (tx) => {
    const { applied } = await applyStatusInTx(tx, payload.messageId, {
      status: payload.status,
      at: ctx.clock.now(),
    });
    if (applied && payload.status === 'delivered') {
      await ctx.queue.enqueue(
        tx.db,
        sandboxAdvanceJob,
        { messageId: payload.messageId, status: 'read' },
        { delayMs: SANDBOX_READ_MS },
      );
    }
  });
}
