import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { livemodeValue, type Scope } from '../../platform/db/scope.ts';
import { ApiError, validationFailed } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { consumeLimit } from '../../platform/limits.ts';
import type { ChannelRow } from '../channels/index.ts';
import {
  type ChannelType,
  channelById,
  channelKinds,
  contactKeyFor,
  ensureSandboxChannel,
  findChannelForSend,
  findChannelForSendCached,
  invalidAddressMessage,
  isMessagingChannel,
  type MessagingChannelType,
  normalizeAddress,
} from '../channels/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import { findOrCreateContact, findOrCreateMetaUserContact, getContactRow } from '../contacts/index.ts';
import {
  type ConversationRow,
  findOrCreateConversation,
  getConversationRow,
  lockConversation,
  notYourConversation,
  patchConversation,
  reopenInTx,
  seesConversation,
  windowOpen,
} from '../conversations/index.ts';
import { type ContentInput, checkContent, resolveContentType } from './content.ts';
import { type AnswerGuard, answeredAlready } from './messages.history.ts';
import { insertMessages } from './messages.insert.ts';
import {
  isPerson,
  lastMessageOf,
  type MessageObject,
  presentMessage,
  type Sender,
  type SendMessageInput,
} from './messages.present.ts';
import { sendJob } from './messaging.jobs.ts';
import type { MessageRow } from './messaging.tables.ts';
import { isOrderMessage, recordOrderMessage } from './payments.service.ts';
import { type PreparedContent, prepareContent } from './send-content.ts';
import { resolveUploadedMedia } from './uploaded-media.ts';

export {
  applyStatusesInTx,
  applyStatusInTx,
  type StatusChange,
  type StatusUpdate,
} from './message-status.ts';
export {
  getMessageRow,
  isPerson,
  lastMessageOf,
  listConversationMessages,
  type MessageObject,
  mediaPathOf,
  presentMessage,
  type Sender,
  type SendMessageInput,
  type StoredAttachment,
  type StoredMedia,
  type StoredTemplate,
} from './messages.present.ts';
export { contentOf, type PreparedContent, prepareContent } from './send-content.ts';

export type { Scope };

/** A conversation's context (variables, identifier) with a send's merged in (given values win). */
export function mergedContext(
  row: Pick<ConversationRow, 'dynamic_variables' | 'identifier'>,
  input: Pick<SendMessageInput, 'dynamic_variables' | 'identifier'>,
): Pick<ConversationRow, 'dynamic_variables' | 'identifier'> {
  return {
    dynamic_variables: toJson({
      ...fromJson<Record<string, unknown>>(row.dynamic_variables, {}),
      ...(input.dynamic_variables ?? {}),
    }),
    identifier: input.identifier ?? row.identifier,
  };
}

/** Whether a send brings context for its conversation (merged into an existing one). */
export const bringsContext = (input: Pick<SendMessageInput, 'dynamic_variables' | 'identifier'>) =>
  Boolean(input.dynamic_variables || input.identifier);

async function mergeContext(
  tx: Tx,
  row: ConversationRow,
  input: Pick<SendMessageInput, 'dynamic_variables' | 'identifier'>,
): Promise<ConversationRow> {
  const patch = mergedContext(row, input);
  await patchConversation(tx.db, row.id, patch);
  return { ...row, ...patch };
}

/**
 * Opens (or finds) the conversation with a contact on a channel without sending anything:
 * the batch create for channels where a first message is optional.
 */
export async function openConversation(
  ctx: AppContext,
  sender: Sender,
  input: SendMessageInput & { channel: MessagingChannelType; to: string },
): Promise<ConversationRow> {
  const scope: Scope = { workspaceId: sender.workspaceId, livemode: sender.livemode, view: sender.view };
  const to = normalizeAddress(input.channel, input.to, sender.defaultCountry);
  if (!to)
    throw validationFailed([
      {
        field: 'to',
        message: invalidAddressMessage(input.channel, input.to, sender.defaultCountry),
      },
    ]);
  const now = ctx.clock.now();
  return ctx.transaction(async (tx) => {
    const thread = { sender, scope, input, type: input.channel, to, now };
    return (await openThread(ctx, tx, thread, 'outbound_conversation')).conversation;
  });
}

/**
 * The thread a business-started send or conversation goes into, written once for every path:
 * its channel, the contact (found or made), the conversation (found or made; given context
 * merged into an existing one) and, when that conversation was closed, the conversation
 * started again. The batched writer (send-batch.ts) does the same set-wise.
 */
async function openThread(
  ctx: AppContext,
  tx: Tx,
  send: Pick<PreparedSend, 'sender' | 'scope' | 'type' | 'to' | 'now'> & {
    input: Pick<SendMessageInput, 'from' | 'agent_id' | 'dynamic_variables' | 'identifier'>;
  },
  reason: 'outbound_message' | 'outbound_conversation',
): Promise<{ channel: ChannelRow; contact: ContactRow; conversation: ConversationRow }> {
  const { sender, scope, input, type, to, now } = send;
  const channel = await resolveChannel(ctx, tx, scope, type, input.from, input.agent_id);
  const userIdField = channelKinds[type].userIdField;
  const contactScope = { ...scope, defaultCountry: sender.defaultCountry };
  const { contact } = userIdField
    ? await findOrCreateMetaUserContact(tx, contactScope, { field: userIdField, id: to }, sender.actor)
    : await findOrCreateContact(tx, contactScope, contactKeyFor(type, to), sender.actor);
  const found = await findOrCreateConversation(tx, scope, {
    channel,
    contact,
    address: to,
    agentId: input.agent_id,
    actor: sender.actor,
    dynamicVariables: input.dynamic_variables,
    identifier: input.identifier,
    now,
  });
  let conversation = found.conversation;
  if (!found.created && bringsContext(input)) conversation = await mergeContext(tx, conversation, input);
  conversation = await startAgainIfClosed(tx, conversation, sender.actor, now, reason);
  return { channel, contact, conversation };
}

/** A new outbound message or conversation to a closed thread starts it again. */
export async function startAgainIfClosed(
  tx: Tx,
  conversation: ConversationRow,
  actor: Actor,
  now: Date,
  reason: 'outbound_message' | 'outbound_conversation',
): Promise<ConversationRow> {
  return conversation.status === 'closed' ? reopenInTx(tx, conversation, actor, now, reason) : conversation;
}

export const channelNotConfigured = (message: string) => new ApiError('channel_not_configured', message);

/** Which channel a send goes out on; test mode falls back to the sandbox channel of that type. */
export async function resolveChannel(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  type: ChannelType,
  from: string | undefined,
  agentId: string | undefined,
): Promise<ChannelRow> {
  if (agentId) {
    const bound = await findChannelForSend(tx.db, scope, { type, agentId, from });
    if (bound) return bound;
    if (scope.livemode)
      throw channelNotConfigured(
        `Agent ${agentId} has no active ${type} channel; bind one with PATCH /v1/channels/{id} {agent_id}.`,
      );
  }
  const found = await findChannelForSendCached(ctx, tx.db, scope, { type, from });
  if (found) return found;
  if (from) throw channelNotConfigured(`No active ${type} channel has the address ${from}.`);
  if (scope.livemode)
    throw channelNotConfigured(
      `No ${type} channel is configured for live mode; connect one with POST /v1/channels.`,
    );
  return ensureSandboxChannel(tx.db, ctx, scope, type);
}

/** A send that passed validation and the plan's limit, ready to be written. */
export interface PreparedSend {
  sender: Sender;
  scope: Scope;
  input: SendMessageInput & ContentInput;
  /** The channel type it goes out on. */
  type: ChannelType;
  /** The normalised address it goes to. */
  to: string;
  /** The conversation it was sent in (replies), when given. */
  existingConv: ConversationRow | undefined;
  now: Date;
  /** A reply that answers one customer message: not written when that message has an answer. */
  answering?: AnswerGuard;
  /** Runs in the transaction that writes the message. */
  written?: WrittenHook;
}

/** Called in the transaction that writes a message, with its id. */
export type WrittenHook = (db: Trx, messageId: string) => Promise<void>;

/** The refusal of a guarded reply whose customer message was answered first (see AnswerGuard). */
export function alreadyAnswered(messageId: string): ApiError {
  return new ApiError('conflict', `Message ${messageId} was answered already; nothing was sent.`, {
    details: { reason: 'already_answered', message_id: messageId },
  });
}

export const isAlreadyAnswered = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.details?.reason === 'already_answered';

/**
 * Writes prepared sends that have no conversation yet, many at a time (see send-batch.ts):
 * registered per process by the messaging module.
 */
export type SendWriter = (send: PreparedSend) => Promise<MessageObject>;

/**
 * Accepts a message for sending: validates it, finds or creates the contact and the
 * conversation, applies opt-out, do-not-disturb, the WhatsApp 24-hour window, template approval
 * and the messages-per-hour limit, stores it `queued` and enqueues its delivery, in one
 * transaction. Delivery happens in the `messages.send` job. Sends to a phone number go through
 * the process's batch writer, which commits concurrent sends together.
 */
export async function sendMessage(
  ctx: AppContext,
  sender: Sender,
  draft: SendMessageInput,
  opts: { answering?: AnswerGuard; written?: WrittenHook } = {},
): Promise<MessageObject> {
  const send = {
    ...(await prepareSend(ctx, sender, draft)),
    answering: opts.answering,
    written: opts.written,
  };
  const batched = ctx.modules.messaging.sendWriter;
  if (batched && batchable(send)) return batched(send);
  return writeSend(ctx, send);
}

/**
 * What the batch writer takes: a send to a phone number by address (any content, template or
 * not, with or without an agent or conversation context). A reply in a given conversation is
 * written on its own (it was read before the write and is used as read), and so is email (a
 * reply cites the customer's last message).
 */
function batchable(send: PreparedSend): boolean {
  return (
    !send.existingConv &&
    !send.written &&
    !isOrderMessage(send.input.interactive) &&
    channelKinds[send.type].addressKind === 'phone'
  );
}

async function prepareSend(ctx: AppContext, sender: Sender, draft: SendMessageInput): Promise<PreparedSend> {
  const scope: Scope = { workspaceId: sender.workspaceId, livemode: sender.livemode, view: sender.view };
  const now = ctx.clock.now();
  const existingConv = draft.conversation_id
    ? await getConversationRow(ctx.db, scope, draft.conversation_id)
    : undefined;
  const type = (existingConv?.channel ?? draft.channel ?? 'whatsapp') as ChannelType;
  if (!isMessagingChannel(type)) {
    throw channelNotConfigured(
      'Voice is not available as a messaging channel in this version: send on whatsapp, sms or email.',
    );
  }
  const resolved = resolveContentType(draft);
  if (Array.isArray(resolved)) throw validationFailed(resolved);
  const input: SendMessageInput & ContentInput = { ...draft, type: resolved };
  const errors = checkContent(input, type);
  let to: string | undefined;
  if (existingConv) to = existingConv.contact_address;
  else if (!input.to) errors.push({ field: 'to', message: 'is required' });
  else {
    to = normalizeAddress(type, input.to, sender.defaultCountry);
    if (!to)
      errors.push({
        field: 'to',
        message: invalidAddressMessage(type, input.to, sender.defaultCountry),
      });
  }
  if (!errors.length) errors.push(...(await resolveUploadedMedia(ctx.db, scope, input, type)));
  if (errors.length) throw validationFailed(errors);
  if (existingConv?.status === 'closed' && !draft.after_close) {
    throw new ApiError(
      'conflict',
      'This conversation is closed; reopen it (POST /v1/conversations/{id}/reopen) before replying.',
    );
  }
  await consumeLimit(
    ctx.rateLimits,
    `${sender.workspaceId}:${sender.livemode ? 'live' : 'test'}`,
    'messages_per_hour',
    sender.limits,
    1,
    now.getTime(),
  );
  return { sender, scope, input, type, to: to!, existingConv, now };
}

/**
 * Why a send to this contact in this conversation on this channel is refused (opt-out,
 * do-not-disturb, the WhatsApp 24-hour window), or null. A contact or conversation not yet
 * stored is passed as undefined.
 */
export function sendRefusal(
  send: PreparedSend,
  contact: Pick<ContactRow, 'id' | 'opted_out' | 'dnd'> | undefined,
  conversation:
    | (Pick<ConversationRow, 'window_expires_at' | 'assignee_type' | 'assignee_id'> &
        Partial<Pick<ConversationRow, 'last_inbound_at'>>)
    | undefined,
  channel: ChannelRow,
): ApiError | null {
  const { input, now } = send;
  if (conversation && !seesConversation(send.scope, conversation)) return notYourConversation();
  const humanAgent = humanAgentRefusal(send, conversation, channel);
  if (humanAgent !== undefined) return humanAgent;
  if (contact?.opted_out === 1) {
    return new ApiError(
      'contact_opted_out',
      `Contact ${contact.id} opted out of messages; nothing was sent.`,
      {
        details: { contact_id: contact.id },
      },
    );
  }
  const open = conversation ? windowOpen(conversation, now) : false;
  const businessInitiated = input.business_initiated ?? !open;
  if (contact?.dnd === 1 && businessInitiated && !input.ignore_dnd) {
    return new ApiError(
      'contact_opted_out',
      `Contact ${contact.id} is on do-not-disturb; business-initiated messages need ignore_dnd: true.`,
      { details: { contact_id: contact.id, reason: 'dnd' } },
    );
  }
  const settings = fromJson<Record<string, unknown>>(channel.settings, {});
  if (
    channelKinds[channel.type].customerWindowHours !== null &&
    input.type !== 'template' &&
    !open &&
    settings.enforce_24h_window !== false
  ) {
    const inTestMode = channel.provider === 'sandbox';
    return new ApiError(
      'whatsapp_outside_24h_window',
      `The customer has not written in the last 24 hours, so WhatsApp accepts only an approved template: send type "template" (POST /v1/messages with {"type": "template", "template": {"name": ...}}) instead.${
        inTestMode
          ? ` Test mode enforces the window as live does; to open it, simulate the customer writing first: POST /v1/sandbox/inbound {"from": "${send.to}", "text": "Hi"}.`
          : ''
      }`,
      { details: { window_expires_at: conversation?.window_expires_at ?? null } },
    );
  }
  return null;
}

/**
 * Messenger and Instagram (kinds with `humanAgentHours`): inside the 24 hours anyone may reply;
 * after them, until 7 days after the customer's last message, only a person (an inbox user) may,
 * with Meta's HUMAN_AGENT tag; never the AI, an API key or an automation (`human_agent_only`);
 * after 7 days no one (`meta_outside_messaging_window`). Undefined for other channel kinds.
 */
function humanAgentRefusal(
  send: PreparedSend,
  conversation:
    | (Pick<ConversationRow, 'window_expires_at'> & Partial<Pick<ConversationRow, 'last_inbound_at'>>)
    | undefined,
  channel: ChannelRow,
): ApiError | null | undefined {
  const hours = channelKinds[channel.type].humanAgentHours;
  if (hours === null) return undefined;
  const now = send.now;
  if (conversation && windowOpen(conversation, now)) return null;
  const lastInbound = conversation?.last_inbound_at ? Date.parse(conversation.last_inbound_at) : Number.NaN;
  const humanUntil = Number.isFinite(lastInbound) ? new Date(lastInbound + hours * 3_600_000) : undefined;
  const details = {
    window_expires_at: conversation?.window_expires_at ?? null,
    human_agent_window_expires_at: humanUntil?.toISOString() ?? null,
  };
  if (!humanUntil || humanUntil <= now)
    return new ApiError(
      'meta_outside_messaging_window',
      `The customer has not written on ${channel.type} in the last 7 days (or never): Meta accepts no message until they write again.`,
      { details },
    );
  if (send.sender.actor.type === 'user') return null;
  return new ApiError(
    'human_agent_only',
    `More than 24 hours since the customer last wrote on ${channel.type}: until ${humanUntil.toISOString()} only a person's reply from the inbox may go out (Meta's HUMAN_AGENT tag); AI, API-key and automation sends are refused.`,
    { details },
  );
}

/** The stored form of an accepted outbound message, `queued`. */
export function newMessageRow(
  send: PreparedSend,
  conversation: Pick<ConversationRow, 'id' | 'contact_address'>,
  channel: Pick<ChannelRow, 'id' | 'address'>,
  content: PreparedContent,
): MessageRow {
  const at = send.now.toISOString();
  return {
    id: newId('msg'),
    workspace_id: send.scope.workspaceId,
    livemode: livemodeValue(send.scope),
    conversation_id: conversation.id,
    channel_id: channel.id,
    direction: 'outbound',
    sender_type: send.sender.actor.type,
    sender_id: send.sender.actor.id,
    type: content.type,
    text: content.text,
    template: content.template ? toJson(content.template) : null,
    media: content.media ? toJson(content.media) : null,
    interactive: content.interactive ? toJson(content.interactive) : null,
    to_address: conversation.contact_address,
    from_address: channel.address,
    status: 'queued',
    ...unsentColumns(at),
    queued_at: at,
  };
}

/** The provider's and the delivery's columns of a message written now that has not gone out yet. */
export function unsentColumns(at: string) {
  return {
    error_code: null,
    error_message: null,
    provider_message_id: null,
    reply_to_provider_id: null,
    created_at: at,
    updated_at: at,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    send_started_at: null,
  };
}

/** Writes one prepared send in its own transaction. */
export async function writeSend(ctx: AppContext, send: PreparedSend): Promise<MessageObject> {
  const { sender, scope, input, existingConv } = send;
  const message = await ctx.transaction(async (tx) => {
    let channel: ChannelRow;
    let contact: ContactRow;
    let conversation: ConversationRow;
    if (existingConv) {
      const row = await channelById(tx.db, existingConv.channel_id);
      if (row?.status !== 'active')
        throw channelNotConfigured(`The channel of conversation ${existingConv.id} is no longer active.`);
      channel = row;
      contact = await getContactRow(tx.db, scope, existingConv.contact_id);
      conversation = existingConv;
      // The AI's reply and an automation's both answer a customer message: whichever writes
      // second, holding the conversation's row, finds the other's answer and sends nothing.
      if (send.answering) {
        await lockConversation(tx.db, conversation.id);
        if (await answeredAlready(tx.db, conversation.id, send.answering))
          throw alreadyAnswered(send.answering.messageId);
      }
    } else {
      ({ channel, contact, conversation } = await openThread(ctx, tx, send, 'outbound_message'));
    }
    const refusal = sendRefusal(send, contact, conversation, channel);
    if (refusal) throw refusal;
    const content = await prepareContent(tx, scope, input, contact, conversation);
    const row = newMessageRow(send, conversation, channel, content);
    // An email reply cites the customer's last message, so mail clients keep the thread.
    if (channel.type === 'email') row.reply_to_provider_id = await lastCustomerMessageId(tx, conversation.id);
    await insertMessages(tx.db, [row]);
    if (isOrderMessage(content.interactive))
      await recordOrderMessage(tx, scope, row, contact.id, content.interactive!);
    await patchConversation(tx.db, conversation.id, {
      ...lastMessageOf(row),
      ...(sender.actor.type === 'ai' ? { ai_handled: 1 } : {}),
      // A person's reply answers a customer waiting on a handoff.
      ...(isPerson(row.sender_type) ? { waiting_since: null } : {}),
    });
    await ctx.queue.enqueue(tx.db, sendJob, { messageIds: [row.id], attempt: 1 });
    await send.written?.(tx.db, row.id);
    return presentMessage(row);
  });
  ctx.metrics.sendWrites.inc({ path: 'single' });
  return message;
}

/** The provider id (an email's Message-ID) of the customer's latest message in a conversation. */
async function lastCustomerMessageId(tx: Tx, conversationId: string): Promise<string | null> {
  const last = await tx.db
    .selectFrom('messages')
    .select('provider_message_id')
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .where('provider_message_id', 'is not', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.provider_message_id ?? null;
}
