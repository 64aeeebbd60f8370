import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { toJson } from '../../platform/json.ts';
import type {
  ChannelConfig,
  InboundBatch,
  InboundMessage,
  StatusUpdate,
} from '../channels/channel-adapter.ts';
import { channelKinds, contactKeyFor } from '../channels/kinds.ts';
import { findOrCreateContact } from '../contacts/contacts.service.ts';
import { findOrCreateConversation, reopenInTx } from '../conversations/conversations.service.ts';
import { previewOf } from './content.ts';
import {
  applyStatusInTx,
  type MessageObject,
  presentMessage,
  type StoredMedia,
} from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';
import { setTemplateStatus } from './templates.service.ts';

export interface IngestResult {
  stored: number;
  duplicates: number;
  /** Customer messages refused (an unreadable sender address). */
  rejected: number;
  statuses_applied: number;
  /** Statuses for messages we do not know, or that would move a status backwards. */
  statuses_ignored: number;
  /** The stored messages, in order. */
  messages: MessageObject[];
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}

/**
 * Takes what a provider sent (customer messages, delivery statuses, template notices) into
 * Parley. Each customer message is stored once per (channel, provider id) and, in the same
 * transaction: creates the contact and conversation as needed, reopens a closed or wakes a
 * snoozed conversation (a customer writing is always worth a look), opens the WhatsApp 24-hour
 * window, emits `message.received` and runs the inbound hooks (the AI agent's reply).
 */
export async function ingestInbound(
  ctx: AppContext,
  channel: ChannelConfig,
  batch: InboundBatch,
): Promise<IngestResult> {
  const result: IngestResult = {
    stored: 0,
    duplicates: 0,
    rejected: 0,
    statuses_applied: 0,
    statuses_ignored: 0,
    messages: [],
  };
  if (batch.messages.length) {
    const ws = await ctx.db
      .selectFrom('workspaces')
      .select('default_country')
      .where('id', '=', channel.workspaceId)
      .executeTakeFirst();
    const defaultCountry = ws?.default_country ?? 'US';
    for (const m of batch.messages) {
      try {
        const stored = await storeInbound(ctx, channel, m, defaultCountry);
        if (stored) {
          result.stored++;
          result.messages.push(stored);
        } else result.duplicates++;
      } catch (err) {
        if (isUniqueViolation(err)) result.duplicates++;
        else if (err instanceof ApiError && err.status < 500) {
          result.rejected++;
          ctx.logger.warn({ channel: channel.id, err: err.message }, 'inbound message refused');
        } else throw err;
      }
    }
  }
  for (const s of batch.statuses) {
    if (await applyProviderStatus(ctx, channel, s)) result.statuses_applied++;
    else result.statuses_ignored++;
  }
  for (const n of batch.notices) {
    if (n.kind === 'template_status') {
      await setTemplateStatus(
        ctx,
        { workspaceId: channel.workspaceId, livemode: channel.livemode },
        { name: n.templateName, language: n.language },
        n.status,
        n.reason,
      );
    }
  }
  return result;
}

async function storeInbound(
  ctx: AppContext,
  channel: ChannelConfig,
  m: InboundMessage,
  defaultCountry: string,
): Promise<MessageObject | null> {
  const scope = { workspaceId: channel.workspaceId, livemode: channel.livemode, defaultCountry };
  return ctx.transaction(async (tx) => {
    const dup = await tx.db
      .selectFrom('messages')
      .select('id')
      .where('channel_id', '=', channel.id)
      .where('provider_message_id', '=', m.providerMessageId)
      .executeTakeFirst();
    if (dup) return null;
    const channelRow = await tx.db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', channel.id)
      .executeTakeFirstOrThrow();
    const now = ctx.clock.now();
    const name = m.profileName?.trim() || undefined;
    const { contact } = await findOrCreateContact(
      tx,
      scope,
      // Verified webhooks only reach here: the provider vouches for the sender's number.
      { ...contactKeyFor(channel.type, m.from), name, providerVouched: true },
      {
        type: 'customer',
        id: null,
      },
    );
    const actor: Actor = { type: 'customer', id: contact.id };
    const address =
      channelKinds[channel.type].addressKind === 'email'
        ? (contact.email ?? m.from.toLowerCase())
        : (contact.phone ?? m.from);
    let { conversation } = await findOrCreateConversation(tx, scope, {
      channel: channelRow,
      contact,
      address,
      actor,
      now,
    });
    if (conversation.status !== 'active') {
      conversation = await reopenInTx(
        tx,
        conversation,
        actor,
        now,
        conversation.status === 'snoozed' ? 'customer_message_woke' : 'customer_message',
      );
    }
    // The provider's time opens the window, but never a time in the future.
    const sentAt = new Date(Math.min(m.timestamp.getTime() || now.getTime(), now.getTime()));
    const at = now.toISOString();
    const messageId = newId('msg');
    const attachments = (m.attachments ?? []).map((a, position) => ({
      id: newId('att'),
      workspace_id: scope.workspaceId,
      livemode: scope.livemode ? 1 : 0,
      message_id: messageId,
      position,
      filename: a.filename,
      mime_type: a.mimeType,
      size: a.content.length,
      content_id: a.contentId ?? null,
      content_base64: a.content.toString('base64'),
      created_at: at,
    }));
    const media: StoredMedia | undefined =
      m.media || attachments.length
        ? {
            ...(m.media ?? {}),
            ...(attachments.length
              ? {
                  attachments: attachments.map((a) => ({
                    id: a.id,
                    filename: a.filename,
                    mime_type: a.mime_type,
                    size: a.size,
                    content_id: a.content_id,
                  })),
                }
              : {}),
          }
        : undefined;
    const row: MessageRow = {
      id: messageId,
      workspace_id: scope.workspaceId,
      livemode: scope.livemode ? 1 : 0,
      conversation_id: conversation.id,
      channel_id: channel.id,
      direction: 'inbound',
      sender_type: 'customer',
      sender_id: contact.id,
      type: m.type,
      text: m.text,
      template: null,
      media: media ? toJson(media) : null,
      interactive: m.payload ? toJson(m.payload) : null,
      to_address: m.to ?? channel.address,
      from_address: address,
      status: 'received',
      error_code: null,
      error_message: null,
      provider_message_id: m.providerMessageId,
      reply_to_provider_id: m.replyToProviderId ?? null,
      created_at: at,
      updated_at: at,
      queued_at: null,
      sent_at: sentAt.toISOString(),
      delivered_at: at,
      read_at: null,
      failed_at: null,
      send_started_at: null,
    };
    await tx.db.insertInto('messages').values(row).execute();
    for (const a of attachments) await tx.db.insertInto('message_attachments').values(a).execute();
    const windowHours = channelKinds[channel.type].customerWindowHours;
    const windowEnd = windowHours ? new Date(sentAt.getTime() + windowHours * 3_600_000).toISOString() : '';
    const patch = {
      last_message: previewOf({ type: row.type, text: row.text, caption: m.media?.caption }),
      last_message_at: at,
      last_message_sender: 'customer',
      last_inbound_at: sentAt.toISOString(),
      updated_at: at,
      ...(windowEnd && (conversation.window_expires_at ?? '') < windowEnd
        ? { window_expires_at: windowEnd }
        : {}),
    };
    await tx.db.updateTable('conversations').set(patch).where('id', '=', conversation.id).execute();
    conversation = { ...conversation, ...patch };
    const message = presentMessage(row);
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'message.received',
      actor,
      data: message,
    });
    await ctx.modules.messaging.hooks.inboundMessage.run(tx, {
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      conversation,
      message: row,
      contact,
    });
    return message;
  });
}

/** A provider status for one of our outbound messages; false when unknown or not a step forward. */
async function applyProviderStatus(
  ctx: AppContext,
  channel: ChannelConfig,
  s: StatusUpdate,
): Promise<boolean> {
  return ctx.transaction(async (tx) => {
    const msg = await tx.db
      .selectFrom('messages')
      .select('id')
      .where('channel_id', '=', channel.id)
      .where('provider_message_id', '=', s.providerMessageId)
      .executeTakeFirst();
    if (!msg) {
      // Not (yet) ours: the send may still be waiting for the provider's answer with this id.
      // Kept for a while and applied when the send stores the id; purged after 7 days.
      await tx.db
        .insertInto('early_provider_statuses')
        .values({
          id: newId('inb'),
          channel_id: channel.id,
          provider_message_id: s.providerMessageId,
          status: s.status,
          at: s.timestamp.toISOString(),
          error_code: s.error?.code ?? null,
          error_message: s.error?.message ?? null,
          received_at: ctx.clock.now().toISOString(),
        })
        .execute();
      return false;
    }
    const { applied } = await applyStatusInTx(tx, msg.id, {
      status: s.status,
      at: s.timestamp,
      error: s.error ? { code: s.error.code, message: s.error.message } : undefined,
    });
    return applied;
  });
}

const statusOrder = { sent: 0, delivered: 1, read: 2, failed: 3 } as const;

/**
 * Applies the statuses that arrived before these messages learned their provider ids (in
 * order: sent, delivered, read, failed; forward only), in the caller's transaction.
 */
export async function applyEarlyStatuses(
  tx: Parameters<typeof applyStatusInTx>[0],
  rows: Array<Pick<MessageRow, 'id' | 'channel_id' | 'provider_message_id'>>,
): Promise<void> {
  const withIds = rows.filter((r) => r.provider_message_id);
  if (!withIds.length) return;
  const early = await tx.db
    .selectFrom('early_provider_statuses')
    .selectAll()
    .where(
      'provider_message_id',
      'in',
      withIds.map((r) => r.provider_message_id as string),
    )
    .execute();
  if (!early.length) return;
  const byKey = new Map(withIds.map((r) => [`${r.channel_id} ${r.provider_message_id}`, r.id]));
  early.sort((a, b) => statusOrder[a.status] - statusOrder[b.status]);
  for (const e of early) {
    const messageId = byKey.get(`${e.channel_id} ${e.provider_message_id}`);
    if (!messageId) continue;
    await applyStatusInTx(tx, messageId, {
      status: e.status,
      at: new Date(e.at),
      ...(e.error_code ? { error: { code: e.error_code, message: e.error_message ?? '' } } : {}),
    });
    await tx.db.deleteFrom('early_provider_statuses').where('id', '=', e.id).execute();
  }
}

/** Early statuses no send ever claimed (another system's messages on the same number). */
export async function purgeEarlyStatuses(ctx: AppContext, days = 7): Promise<void> {
  const cutoff = new Date(ctx.clock.now().getTime() - days * 86_400_000).toISOString();
  await ctx.db.deleteFrom('early_provider_statuses').where('received_at', '<', cutoff).execute();
}
