import { PostgresAdapter, sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type {
  ChannelConfig,
  InboundBatch,
  InboundMessage,
  ProviderPricing,
  StatusUpdate,
} from '../channels/index.ts';
import { channelById, channelKinds } from '../channels/index.ts';
import {
  type ConversationRow,
  findOrCreateConversation,
  patchConversation,
  reopenInTx,
  scheduleWindowHandoff,
  sourceColumns,
  sourceOfReferral,
} from '../conversations/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { applyConsentNotice, MARKETING_STOPPED_CODE, marketingStoppedBySend } from './consents.ts';
import { previewOf } from './content.ts';
import { type InboundScope, identifySender, type Sender } from './inbound.sender.ts';
import { insertMessages } from './messages.insert.ts';
import { messageByProviderId } from './messages.views.ts';
import { keepMediaJob } from './messaging.jobs.ts';
import type { InboundAnswerEvent } from './messaging.ports.ts';
import {
  applyStatusInTx,
  type MessageObject,
  presentMessage,
  type StoredMedia,
} from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';
import { applyPaymentNotice } from './payments.service.ts';
import { storePricing } from './pricing.ts';
import { askCustomerProfile } from './profiles.ts';
import { setTemplateStatus } from './templates.service.ts';
import { applyTemplateChange } from './templates.sync.ts';

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
 * window, emits `message.received` (which the AI agent's reply and the CSAT answer hear: `customerMessageOf`).
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
  // Only messages and consent notices read phone numbers, in the workspace's country.
  const readsNumbers = batch.messages.length > 0 || batch.notices.some((n) => n.kind === 'consent');
  const defaultCountry = readsNumbers
    ? (await workspaceTerms(ctx.db, channel.workspaceId)).defaultCountry
    : '';
  if (batch.messages.length) {
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
  for (const n of batch.notices) await applyNotice(ctx, channel, n, defaultCountry);
  return result;
}

/** Whether a module above took a customer's text as an answer (the CSAT answer: the `claimAnswer` port). */
async function claimedAsAnswer(ctx: AppContext, tx: Tx, e: InboundAnswerEvent): Promise<boolean> {
  return (await ctx.ports.claimAnswer?.(tx, e)) ?? false;
}

/** A provider's notice: a template verdict or change, or a customer's consent change. */
async function applyNotice(
  ctx: AppContext,
  channel: ChannelConfig,
  n: InboundBatch['notices'][number],
  defaultCountry: string,
): Promise<void> {
  const scope = { workspaceId: channel.workspaceId, livemode: channel.livemode };
  if (n.kind === 'consent') await applyConsentNotice(ctx, channel, n, defaultCountry);
  else if (n.kind === 'payment') await applyPaymentNotice(ctx, channel, n);
  else if (n.kind === 'template_change')
    await applyTemplateChange(
      ctx,
      scope,
      { name: n.templateName, language: n.language },
      { category: n.category, quality: n.quality },
    );
  else
    await setTemplateStatus(ctx, scope, { name: n.templateName, language: n.language }, n.status, n.reason);
}

async function storeInbound(
  ctx: AppContext,
  channel: ChannelConfig,
  m: InboundMessage,
  defaultCountry: string,
): Promise<MessageObject | null> {
  const scope = { workspaceId: channel.workspaceId, livemode: channel.livemode, defaultCountry };
  return ctx.transaction(async (tx) => {
    const dup = await messageByProviderId(tx.db, channel.id, m.providerMessageId);
    if (dup) return null;
    // An edit or a deletion applies to the customer's original message; one whose original
    // Parley never stored is kept as a message of its own (nothing verified is dropped).
    if (m.edit || m.revoke) {
      const changed = await applyCustomerChange(tx, channel, m, ctx.clock.now());
      if (changed) return changed;
    }
    const channelRow = await channelById(tx.db, channel.id);
    if (!channelRow) throw new Error(`channel ${channel.id} is gone`);
    const now = ctx.clock.now();
    const sender = await identifySender(tx, scope, channel, m, now);
    const { contact, address, actor } = sender;
    await askCustomerProfile(ctx, tx, channel, contact, m.from, now);
    // A number change (WhatsApp `user_changed_number`) is a notice from WhatsApp, not the customer
    // writing: it neither wakes the thread nor opens the 24-hour window, and the agent does not answer it.
    const notice = m.type === 'system';
    let { conversation } = await findOrCreateConversation(tx, scope, {
      channel: channelRow,
      contact,
      address,
      actor,
      now,
    });
    // A bare answer to a question asked after the conversation closed (CSAT) neither reopens it
    // nor is answered: the claiming module records it.
    const answered =
      conversation.status !== 'active' &&
      !notice &&
      !m.edit &&
      !m.revoke &&
      !!m.text &&
      (await claimedAsAnswer(ctx, tx, {
        workspaceId: scope.workspaceId,
        livemode: scope.livemode,
        conversation,
        text: m.text,
        contact,
      }));
    if (conversation.status !== 'active' && !notice && !answered) {
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
    const row = await insertInbound(ctx, tx, { scope, channel, m, sender, conversation, now, sentAt });
    const message = presentMessage(row);
    if (notice) {
      await tx.emit({
        workspaceId: scope.workspaceId,
        livemode: scope.livemode,
        type: 'message.received',
        actor: { type: 'system', id: null },
        data: message,
      });
      return message;
    }
    const patch = conversationPatch(channel, conversation, m, sentAt, now, answered);
    await patchConversation(tx.db, conversation.id, patch);
    conversation = { ...conversation, ...patch };
    await scheduleHandoffBeforeClose(ctx, tx, channel, conversation, patch, m);
    // A claimed answer (a CSAT score) was emitted as what it is (`csat.received`): it is kept in the
    // thread, but it is no customer message to react to (automations, webhooks on message.received).
    if (answered) return message;
    // The AI's reply and the CSAT answer react to it (`customerMessageOf` says which messages are
    // answered: not an edit or a deletion of a message Parley never saw, nor a notice).
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'message.received',
      actor,
      data: message,
    });
    return message;
  });
}

/** Stores the message and its attachments; a customer's media is fetched and kept later. */
async function insertInbound(
  ctx: AppContext,
  tx: Tx,
  w: {
    scope: InboundScope;
    channel: ChannelConfig;
    m: InboundMessage;
    sender: Sender;
    conversation: ConversationRow;
    now: Date;
    sentAt: Date;
  },
): Promise<MessageRow> {
  const { scope, channel, m, sender } = w;
  const at = w.now.toISOString();
  const messageId = newId('msg');
  const attachments = attachmentRows(m, scope, messageId, at);
  const notice = m.type === 'system';
  const media = storedMediaOf(m, attachments);
  const payload = m.payload || m.numberChange ? { ...(m.payload ?? {}), ...sender.numberMove } : undefined;
  const row: MessageRow = {
    id: messageId,
    workspace_id: scope.workspaceId,
    livemode: scope.livemode ? 1 : 0,
    conversation_id: w.conversation.id,
    channel_id: channel.id,
    direction: 'inbound',
    sender_type: notice ? 'system' : 'customer',
    sender_id: notice ? null : sender.contact.id,
    type: m.type,
    text: m.text,
    template: null,
    media: media ? toJson(media) : null,
    interactive: payload ? toJson(payload) : null,
    to_address: m.to ?? channel.address,
    from_address: notice ? m.from : sender.address,
    status: 'received',
    error_code: null,
    error_message: null,
    provider_message_id: m.providerMessageId,
    reply_to_provider_id: m.replyToProviderId ?? null,
    created_at: at,
    updated_at: at,
    queued_at: null,
    sent_at: w.sentAt.toISOString(),
    delivered_at: at,
    read_at: null,
    failed_at: null,
    send_started_at: null,
  };
  await insertMessages(tx.db, [row]);
  for (const a of attachments) await tx.db.insertInto('message_attachments').values(a).execute();
  // A customer's media is fetched and kept while the provider still serves it (Meta: 30 days).
  if (m.media && (m.media.id || m.media.url) && !attachments.length && keepsMedia(channel))
    await ctx.queue.enqueue(tx.db, keepMediaJob, { messageId });
  return row;
}

function attachmentRows(m: InboundMessage, scope: InboundScope, messageId: string, at: string) {
  return (m.attachments ?? []).map((a, position) => ({
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
}

/** The message's media column: the provider's media reference and the kept attachments. */
function storedMediaOf(
  m: InboundMessage,
  attachments: ReturnType<typeof attachmentRows>,
): StoredMedia | undefined {
  if (!m.media && !attachments.length) return undefined;
  if (!attachments.length) return { ...(m.media ?? {}) };
  return {
    ...(m.media ?? {}),
    attachments: attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      mime_type: a.mime_type,
      size: a.size,
      content_id: a.content_id,
    })),
  };
}

/** The thread's last message and inbound time, its waiting time and 24-hour window after a customer message. */
function conversationPatch(
  channel: ChannelConfig,
  conversation: ConversationRow,
  m: InboundMessage,
  sentAt: Date,
  now: Date,
  answered: boolean,
) {
  const at = now.toISOString();
  const windowHours = channelKinds[channel.type].customerWindowHours;
  const windowEnd = windowHours ? new Date(sentAt.getTime() + windowHours * 3_600_000).toISOString() : '';
  // A click-to-WhatsApp ad's referral makes the ad the conversation's source (docs/channels.md).
  const source = sourceOfReferral(m.payload?.referral, sentAt);
  return {
    ...(source ? sourceColumns(source) : {}),
    last_message: previewOf({ type: m.type, text: m.text, caption: m.media?.caption }),
    last_message_at: at,
    last_message_sender: 'customer',
    last_inbound_at: sentAt.toISOString(),
    updated_at: at,
    // The customer's first message nobody has answered yet: queue waits count from it.
    ...(conversation.unanswered_since === null && !answered
      ? { unanswered_since: sentAt.toISOString() }
      : {}),
    // Handed off and no one waiting yet (a person replied last): the customer waits from now.
    ...(conversation.ai_paused === 1 && conversation.waiting_since === null && !answered
      ? { waiting_since: sentAt.toISOString() }
      : {}),
    ...(windowEnd && (conversation.window_expires_at ?? '') < windowEnd
      ? { window_expires_at: windowEnd }
      : {}),
  };
}

/** Messenger and Instagram: before the AI's 24 hours close on this message, it hands off to people. */
async function scheduleHandoffBeforeClose(
  ctx: AppContext,
  tx: Tx,
  channel: ChannelConfig,
  conversation: ConversationRow,
  patch: { window_expires_at?: string },
  m: InboundMessage,
) {
  const lead = handoffLeadMinutes(channel);
  if (!lead || !patch.window_expires_at || !conversation.agent_id || m.revoke || m.edit) return;
  await scheduleWindowHandoff(ctx, tx.db, conversation.id, patch.window_expires_at, lead);
}

/** How long before a Messenger or Instagram window closes the AI hands off (0: never; other kinds: never). */
function handoffLeadMinutes(channel: ChannelConfig): number {
  if (channelKinds[channel.type].humanAgentHours === null) return 0;
  const v = Number(channel.settings.handoff_before_close_minutes ?? 60);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 23 * 60) : 60;
}

/** Only WhatsApp media is fetched at once: Meta's URLs expire in minutes and its files in 30 days. */
const keepsMedia = (channel: ChannelConfig) => channel.provider === 'meta';

/**
 * Applies a customer's edit (new text or caption) or deletion (content gone) to their original
 * message, with `message.edited` / `message.deleted`; undefined when that message is unknown.
 * Replays change nothing twice (an edit to the same content, a deletion of a deleted message).
 */
async function applyCustomerChange(
  tx: Tx,
  channel: ChannelConfig,
  m: InboundMessage,
  now: Date,
): Promise<MessageObject | undefined> {
  const originalId = (m.edit ?? m.revoke)!.originalProviderId;
  const original = await tx.db
    .selectFrom('messages')
    .selectAll()
    .where('channel_id', '=', channel.id)
    .where('provider_message_id', '=', originalId)
    .where('direction', '=', 'inbound')
    .executeTakeFirst();
  if (!original) return undefined;
  const at = now.toISOString();
  const media = fromJson<StoredMedia | null>(original.media, null);
  let patch: Partial<MessageRow>;
  if (m.revoke) {
    if (original.deleted_at) return presentMessage(original);
    // What the customer deleted is not kept: its text, caption and files go.
    await tx.db.deleteFrom('message_attachments').where('message_id', '=', original.id).execute();
    patch = { text: '', media: null, interactive: null, deleted_at: at, updated_at: at };
  } else {
    if (original.edited_at && original.text === m.text) return presentMessage(original);
    const caption = m.media?.caption;
    patch = {
      text: m.text,
      ...(media && caption !== undefined ? { media: toJson({ ...media, caption }) } : {}),
      edited_at: at,
      updated_at: at,
    };
  }
  await tx.db.updateTable('messages').set(patch).where('id', '=', original.id).execute();
  const message = presentMessage({ ...original, ...patch });
  await tx.emit({
    workspaceId: channel.workspaceId,
    livemode: channel.livemode,
    type: m.revoke ? 'message.deleted' : 'message.edited',
    actor: { type: 'customer', id: original.sender_id },
    data: message,
  });
  return message;
}

/** A provider status for one of our outbound messages; false when unknown or not a step forward. */
async function applyProviderStatus(
  ctx: AppContext,
  channel: ChannelConfig,
  s: StatusUpdate,
): Promise<boolean> {
  return ctx.transaction(async (tx) => {
    await lockProviderIds(tx, [s.providerMessageId]);
    const msg = await messageByProviderId(tx.db, channel.id, s.providerMessageId);
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
          pricing: s.pricing ? toJson(s.pricing) : null,
        })
        .execute();
      return false;
    }
    const { applied, row } = await applyStatusInTx(tx, msg.id, {
      status: s.status,
      at: s.timestamp,
      error: s.error ? { code: s.error.code, message: s.error.message } : undefined,
    });
    // Meta repeats the pricing on each status; a late status (not a step forward) still carries it.
    if (s.pricing) await storePricing(tx.db, msg, s.pricing);
    // Meta 131050: the customer stopped marketing messages (marketing only, in the consent ledger).
    if (applied && row && s.error?.providerCode === MARKETING_STOPPED_CODE)
      await marketingStoppedBySend(tx, row, channel.type, s.timestamp);
    return applied;
  });
}

const statusOrder = { sent: 0, delivered: 1, read: 2, failed: 3 } as const;

/**
 * The status side and the send side of one provider id take turns, until their transactions end.
 * On PostgreSQL a status could otherwise miss a message whose send has not committed yet (so it
 * is kept as early) while that send, not seeing the uncommitted early status, applies nothing:
 * the status would wait forever. With a transaction-scoped advisory lock per provider id, taken
 * by the status before it looks for the message and by the send after it stored the id, one of
 * them always sees the other's work. SQLite runs one write transaction at a time already.
 */
async function lockProviderIds(tx: Tx, providerIds: string[]): Promise<void> {
  if (!providerIds.length || !(tx.db.getExecutor().adapter instanceof PostgresAdapter)) return;
  // In one order (of the lock keys), so two sends locking several ids never wait on each other in a cycle.
  await sql`select pg_advisory_xact_lock(k) from (select distinct hashtextextended('status:' || id, 0) as k from unnest(${providerIds}::text[]) as id order by k) as keys`.execute(
    tx.db,
  );
}

/**
 * Applies the statuses that arrived before these messages learned their provider ids (in
 * order: sent, delivered, read, failed; forward only), in the caller's transaction.
 */
export async function applyEarlyStatuses(
  tx: Tx,
  /** With `to_address`, a pricing the early status carried is kept too (its market is the recipient's). */
  rows: Array<Pick<MessageRow, 'id' | 'channel_id' | 'provider_message_id'> & { to_address?: string }>,
): Promise<void> {
  const withIds = rows.filter((r) => r.provider_message_id);
  if (!withIds.length) return;
  await lockProviderIds(
    tx,
    withIds.map((r) => r.provider_message_id as string),
  );
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
    const pricing = fromJson<ProviderPricing | null>(e.pricing ?? null, null);
    const row = withIds.find((r) => r.id === messageId);
    if (pricing && row?.to_address)
      await storePricing(tx.db, { id: row.id, to_address: row.to_address }, pricing);
    await tx.db.deleteFrom('early_provider_statuses').where('id', '=', e.id).execute();
  }
}

/** Early statuses no send ever claimed (another system's messages on the same number). */
export async function purgeEarlyStatuses(ctx: AppContext, days = 7): Promise<void> {
  const cutoff = new Date(ctx.clock.now().getTime() - days * 86_400_000).toISOString();
  await ctx.db.deleteFrom('early_provider_statuses').where('received_at', '<', cutoff).execute();
}
