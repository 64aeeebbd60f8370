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
import { findOrCreateContact } from '../contacts/contacts.service.ts';
import { findOrCreateConversation, reopenInTx, WINDOW_MS } from '../conversations/conversations.service.ts';
import { previewOf } from './content.ts';
import { runInboundHooks } from './hooks.ts';
import { applyStatusInTx, type MessageObject, presentMessage } from './messaging.service.ts';
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
      channel.type === 'email' ? { email: m.from, name } : { phone: m.from, name },
      {
        type: 'customer',
        id: null,
      },
    );
    const actor: Actor = { type: 'customer', id: contact.id };
    const address =
      channel.type === 'email' ? (contact.email ?? m.from.toLowerCase()) : (contact.phone ?? m.from);
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
    const row: MessageRow = {
      id: newId('msg'),
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
      media: m.media ? toJson(m.media) : null,
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
    };
    await tx.db.insertInto('messages').values(row).execute();
    const windowEnd = new Date(sentAt.getTime() + WINDOW_MS).toISOString();
    const patch = {
      last_message: previewOf({ type: row.type, text: row.text, caption: m.media?.caption }),
      last_message_at: at,
      last_inbound_at: sentAt.toISOString(),
      updated_at: at,
      ...(channel.type === 'whatsapp' && (conversation.window_expires_at ?? '') < windowEnd
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
    await runInboundHooks(tx, {
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
    if (!msg) return false;
    const { applied } = await applyStatusInTx(tx, msg.id, {
      status: s.status,
      at: s.timestamp,
      error: s.error ? { code: s.error.code, message: s.error.message } : undefined,
    });
    return applied;
  });
}
