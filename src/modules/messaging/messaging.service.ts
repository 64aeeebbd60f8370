import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { livemodeValue, type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, notFound, validationFailed } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { consumeLimit, type PlanLimits } from '../../platform/limits.ts';
import type { ChannelRow } from '../channels/index.ts';
import {
  type ChannelType,
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
import { findOrCreateContact, getContactRow } from '../contacts/index.ts';
import {
  type ConversationRow,
  findOrCreateConversation,
  getConversationRow,
  reopenInTx,
  windowOpen,
} from '../conversations/index.ts';
import {
  type ContentDraft,
  type ContentInput,
  checkContent,
  type InteractiveInput,
  type MediaInput,
  type MessageType,
  messageTypes,
  parsePlaceholders,
  previewOf,
  renderPlaceholders,
  resolveContentType,
  type TemplateRef,
} from './content.ts';
import { sendJob } from './messaging.jobs.ts';
import type { MessageRow, MessageStatus, TemplateRow } from './messaging.tables.ts';
import { findTemplateForSend, isMediaHeader, type TemplateHeader } from './templates.service.ts';

export type { Scope };

/** Who sends: an API caller (its auth), a user, or the AI agent acting for a workspace. */
export interface Sender {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
  actor: Actor;
  limits: PlanLimits;
}

export interface SendMessageInput extends ContentDraft {
  to?: string;
  channel?: ChannelType;
  from?: string;
  agent_id?: string;
  /** Send in this conversation, on its channel, to its contact. */
  conversation_id?: string;
  /** Overrides the rule "business-initiated unless the customer wrote in the last 24 hours" (for dnd). */
  business_initiated?: boolean;
  ignore_dnd?: boolean;
  /** Email subject. */
  subject?: string;
  /** Batch create: stored on the conversation (merged into an existing one's). */
  dynamic_variables?: Record<string, string | number | boolean | null>;
  identifier?: string;
}

export interface StoredTemplate {
  name: string;
  language: string;
  variables: string[];
  named?: Record<string, string>;
  header_text?: string;
  /** Values of the header's placeholder, positional and (named templates) by name. */
  header_values?: string[];
  header_named?: Record<string, string>;
  /** The file of an image, video or document header. */
  header_media?: { type: 'image' | 'video' | 'document'; url: string; filename?: string };
  /** Values of url buttons' placeholders, by the button's position in the template. */
  buttons?: Array<{ index: number; sub_type: 'url'; value: string }>;
  rendered_body: string;
}

export interface StoredAttachment {
  id: string;
  filename: string | null;
  mime_type: string;
  size: number;
  content_id: string | null;
}

export interface StoredMedia {
  url?: string | null;
  caption?: string | null;
  filename?: string | null;
  mime_type?: string | null;
  /** The provider's media id (WhatsApp), to fetch it with the channel's token. */
  id?: string;
  /** Files kept with the message (email attachments, a customer's WhatsApp media once downloaded). */
  attachments?: StoredAttachment[];
  /** Why a customer's media could not be kept (too large, a type not taken, the provider refused). */
  download_error?: { code: string; message: string } | null;
}

/** Where Parley serves a message's media (the provider's file, fetched with the channel's credentials). */
export const mediaPathOf = (messageId: string, attachmentId?: string) =>
  `/v1/messages/${messageId}/media${attachmentId ? `?attachment=${attachmentId}` : ''}`;

export function presentMessage(row: MessageRow) {
  const tpl = fromJson<StoredTemplate | null>(row.template, null);
  const media = fromJson<StoredMedia | null>(row.media, null);
  return {
    id: row.id,
    object: 'message' as const,
    livemode: row.livemode === 1,
    conversation_id: row.conversation_id,
    channel_id: row.channel_id,
    direction: row.direction,
    sender: { type: row.sender_type, id: row.sender_id },
    type: row.type,
    text: row.text,
    template: tpl ? { name: tpl.name, language: tpl.language, variables: tpl.variables } : null,
    media:
      media && (media.url || media.id)
        ? {
            url: media.url ?? null,
            caption: media.caption ?? null,
            filename: media.filename ?? null,
            mime_type: media.mime_type ?? null,
            download_url: mediaPathOf(row.id),
            ...(media.download_error ? { download_error: media.download_error } : {}),
          }
        : null,
    attachments: (media?.attachments ?? []).map((a) => ({ ...a, download_url: mediaPathOf(row.id, a.id) })),
    interactive: fromJson<Record<string, unknown> | null>(row.interactive, null),
    to: row.to_address,
    from: row.from_address,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    provider_message_id: row.provider_message_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    queued_at: row.queued_at,
    sent_at: row.sent_at,
    delivered_at: row.delivered_at,
    read_at: row.read_at,
    failed_at: row.failed_at,
    edited_at: row.edited_at ?? null,
    deleted_at: row.deleted_at ?? null,
  };
}
export type MessageObject = ReturnType<typeof presentMessage>;

export function getMessageRow(db: Db | Trx, scope: Scope, id: string): Promise<MessageRow> {
  return tenant(db, scope).getById('messages', id, 'message');
}

/**
 * Oldest first by default, so a page reads like the thread (newest last). Ids sort by time, so
 * `before`/`after` are stable cursors however many messages arrive meanwhile.
 */
export async function listConversationMessages(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  page: PageRequest,
  opts: { order?: 'asc' | 'desc'; before?: string; after?: string } = {},
): Promise<Page<MessageObject>> {
  await getConversationRow(ctx.db, scope, conversationId);
  let q = tenant(ctx.db, scope)
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId);
  if (opts.before) q = q.where('id', '<', opts.before);
  if (opts.after) q = q.where('id', '>', opts.after);
  return paginate(q.orderBy('id', opts.order ?? 'asc'), page, presentMessage);
}

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
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
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
  const scope: Scope = { workspaceId: sender.workspaceId, livemode: sender.livemode };
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
  const { contact } = await findOrCreateContact(
    tx,
    { ...scope, defaultCountry: sender.defaultCountry },
    contactKeyFor(type, to),
    sender.actor,
  );
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

export interface PreparedContent {
  type: MessageType;
  text: string | null;
  template: StoredTemplate | null;
  media: StoredMedia | null;
  interactive: InteractiveInput | null;
}

export async function prepareContent(
  tx: Tx,
  scope: Scope,
  input: ContentInput,
  contact: ContactRow,
  conversation: ConversationRow | undefined,
): Promise<PreparedContent> {
  const ref = input.type === 'template' ? (input.template as TemplateRef) : undefined;
  const tpl = ref ? await findTemplateForSend(tx.db, scope, ref.name, ref.language) : undefined;
  return contentOf(input, tpl, contact, conversation);
}

/**
 * A send's stored content: its template (found for it, when the send is one) checked for
 * approval and rendered with the caller's variables, or its text, media or interactive message.
 * Throws the send's own error (template_not_approved, validation_failed). A contact or
 * conversation not yet stored is passed as undefined (or as the conversation it will be made).
 */
export function contentOf(
  input: ContentInput,
  tpl: TemplateRow | undefined,
  contact: Pick<ContactRow, 'name'> | undefined,
  conversation: Pick<ConversationRow, 'dynamic_variables'> | undefined,
): PreparedContent {
  if (input.type === 'template') {
    const ref = input.template as TemplateRef;
    if (!tpl) throw new Error('a template send was prepared without its template');
    if (tpl.status !== 'approved') {
      throw new ApiError(
        'template_not_approved',
        `Template ${tpl.name} (${tpl.language}) is ${tpl.status}${tpl.status_reason ? ` (${tpl.status_reason})` : ''}; only approved templates can be sent.`,
        {
          details: { template: tpl.name, template_status: tpl.status },
        },
      );
    }
    // Named placeholders the caller leaves out are filled from the conversation's variables and the contact.
    let variables = ref.variables;
    const ph = parsePlaceholders(tpl.body);
    if (typeof ph !== 'string' && ph.kind === 'named' && !Array.isArray(variables)) {
      const context: Record<string, unknown> = {
        ...fromJson<Record<string, unknown>>(conversation?.dynamic_variables, {}),
      };
      if (contact?.name) context.name ??= contact.name;
      const borrowed: Record<string, string | number> = {};
      for (const n of ph.names) {
        const v = context[n];
        if (typeof v === 'string' || typeof v === 'number') borrowed[n] = v;
      }
      variables = { ...borrowed, ...(variables ?? {}) };
    }
    const errors: FieldError[] = [];
    const rendered = renderPlaceholders(tpl.body, variables, 'template.variables');
    if (Array.isArray(rendered)) errors.push(...rendered);
    const stored = fromJson<TemplateHeader | null>(tpl.header, null);
    const header = stored && 'text' in stored ? stored : null;
    // Every component with placeholders gets its values (Meta refuses a count mismatch).
    let headerValues: { values: string[]; named?: Record<string, string> } | undefined;
    let headerMedia: StoredTemplate['header_media'];
    const headerPh = header ? parsePlaceholders(header.text) : undefined;
    if (stored && isMediaHeader(stored)) {
      const media = ref.header?.media;
      if (!media?.url || !/^https?:\/\//i.test(media.url))
        errors.push({
          field: 'template.header.media.url',
          message: `is required: template ${tpl.name} has a ${stored.type} header (a public http(s) URL of the file)`,
        });
      else
        headerMedia = {
          type: stored.type as 'image' | 'video' | 'document',
          url: media.url,
          ...(media.filename ? { filename: media.filename } : {}),
        };
      if (ref.header?.variables)
        errors.push({
          field: 'template.header.variables',
          message: 'is not used: the template header is media',
        });
    } else if (ref.header?.media) {
      errors.push({
        field: 'template.header.media',
        message: 'is not used: the template header is not media',
      });
    } else if (header && headerPh && typeof headerPh !== 'string' && headerPh.names.length) {
      let given = ref.header?.variables;
      if (!given && headerPh.kind === 'named' && variables && !Array.isArray(variables))
        given = Object.fromEntries(
          headerPh.names.filter((n) => n in variables).map((n) => [n, variables[n]]),
        );
      const h = renderPlaceholders(header.text, given, 'template.header.variables');
      if (Array.isArray(h)) errors.push(...h);
      else headerValues = { values: h.values, ...(h.named ? { named: h.named } : {}) };
    } else if (ref.header) {
      errors.push({
        field: 'template.header',
        message: 'is not used: the template header has no placeholder',
      });
    }
    const tplButtons = fromJson<Array<{ type: string; url?: string }>>(tpl.buttons, []);
    const buttonValues: Array<{ index: number; sub_type: 'url'; value: string }> = [];
    tplButtons.forEach((b, index) => {
      const ph = b.type === 'url' && b.url ? parsePlaceholders(b.url) : undefined;
      if (!ph || typeof ph === 'string' || ph.names.length === 0) return;
      const entry = ref.buttons?.find((e) => e.index === index);
      const r = renderPlaceholders(b.url as string, entry?.variables, `template.buttons.${index}.variables`);
      if (Array.isArray(r)) errors.push(...r);
      else buttonValues.push({ index, sub_type: 'url', value: r.values[0] });
    });
    for (const [n, e] of (ref.buttons ?? []).entries()) {
      if (
        !buttonValues.some((b) => b.index === e.index) &&
        !errors.some((x) => x.field.startsWith(`template.buttons.${e.index}.`))
      )
        errors.push({
          field: `template.buttons.${n}.index`,
          message: `is not a url button with a placeholder in template ${tpl.name}`,
        });
    }
    if (errors.length || Array.isArray(rendered)) throw validationFailed(errors);
    return {
      type: 'template',
      text: rendered.text,
      template: {
        name: tpl.name,
        language: tpl.language,
        variables: rendered.values,
        ...(rendered.named ? { named: rendered.named } : {}),
        ...(header ? { header_text: header.text } : {}),
        ...(headerValues ? { header_values: headerValues.values } : {}),
        ...(headerValues?.named ? { header_named: headerValues.named } : {}),
        ...(headerMedia ? { header_media: headerMedia } : {}),
        ...(buttonValues.length ? { buttons: buttonValues } : {}),
        rendered_body: rendered.text,
      },
      media: null,
      interactive: null,
    };
  }
  if (input.type === 'text')
    return { type: 'text', text: input.text!, template: null, media: null, interactive: null };
  if (input.type === 'interactive')
    return {
      type: 'interactive',
      text: input.interactive!.body,
      template: null,
      media: null,
      interactive: input.interactive!,
    };
  const m = input[input.type] as MediaInput;
  return {
    type: input.type,
    text: m.caption ?? null,
    template: null,
    media: { url: m.url, caption: m.caption ?? null, filename: m.filename ?? null },
    interactive: null,
  };
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
}

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
): Promise<MessageObject> {
  const send = await prepareSend(ctx, sender, draft);
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
  return !send.existingConv && channelKinds[send.type].addressKind === 'phone';
}

async function prepareSend(ctx: AppContext, sender: Sender, draft: SendMessageInput): Promise<PreparedSend> {
  const scope: Scope = { workspaceId: sender.workspaceId, livemode: sender.livemode };
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
  conversation: Pick<ConversationRow, 'window_expires_at'> | undefined,
  channel: ChannelRow,
): ApiError | null {
  const { input, now } = send;
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
    error_code: null,
    error_message: null,
    provider_message_id: null,
    reply_to_provider_id: null,
    created_at: at,
    updated_at: at,
    queued_at: at,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    send_started_at: null,
  };
}

/** What a conversation shows of its latest message; every send path writes it with the message. */
export function lastMessageOf(row: Pick<MessageRow, 'type' | 'text' | 'created_at' | 'sender_type'>) {
  return {
    last_message: previewOf({ type: row.type, text: row.text }),
    last_message_at: row.created_at,
    last_message_sender: row.sender_type,
    updated_at: row.created_at,
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
      const row = await tx.db
        .selectFrom('channels')
        .selectAll()
        .where('id', '=', existingConv.channel_id)
        .executeTakeFirst();
      if (row?.status !== 'active')
        throw channelNotConfigured(`The channel of conversation ${existingConv.id} is no longer active.`);
      channel = row;
      contact = await getContactRow(tx.db, scope, existingConv.contact_id);
      conversation = existingConv;
    } else {
      ({ channel, contact, conversation } = await openThread(ctx, tx, send, 'outbound_message'));
    }
    const refusal = sendRefusal(send, contact, conversation, channel);
    if (refusal) throw refusal;
    const content = await prepareContent(tx, scope, input, contact, conversation);
    const row = newMessageRow(send, conversation, channel, content);
    // An email reply cites the customer's last message, so mail clients keep the thread.
    if (channel.type === 'email') row.reply_to_provider_id = await lastCustomerMessageId(tx, conversation.id);
    await tx.db.insertInto('messages').values(row).execute();
    await tx.db
      .updateTable('conversations')
      .set({
        ...lastMessageOf(row),
        ...(sender.actor.type === 'ai' ? { ai_handled: 1 } : {}),
        // A person's reply answers a customer waiting on a handoff.
        ...(isPerson(row.sender_type) ? { waiting_since: null } : {}),
      })
      .where('id', '=', conversation.id)
      .execute();
    await ctx.queue.enqueue(tx.db, sendJob, { messageIds: [row.id], attempt: 1 });
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

/**
 * Sends on the conversation's own channel to its contact (the reply route and the AI agent).
 * `type: note` is a private note instead: stored in the thread, never sent.
 */
export function replyToConversation(
  ctx: AppContext,
  sender: Sender,
  conversationId: string,
  input: Omit<ContentDraft, 'type'> & {
    type?: MessageType | 'note';
    business_initiated?: boolean;
    ignore_dnd?: boolean;
  },
): Promise<MessageObject> {
  const { type, ...rest } = input;
  if (type === 'note') return addNote(ctx, sender, conversationId, input);
  return sendMessage(ctx, sender, { ...rest, type, conversation_id: conversationId });
}

export const NOTE_MAX_CHARS = 10_000;

/**
 * A private note between the people working a conversation: a message of type `note` in the
 * thread that no channel ever sends and the AI never reads. It works on closed conversations
 * too and does not change the conversation's preview. Other inbox sessions see it through
 * `message.note_added`.
 */
export async function addNote(
  ctx: AppContext,
  sender: Sender,
  conversationId: string,
  input: ContentDraft | (Omit<ContentDraft, 'type'> & { type: 'note' }),
): Promise<MessageObject> {
  const others = messageTypes.filter(
    (t) => t !== 'text' && (input as Record<string, unknown>)[t] !== undefined,
  );
  if (others.length)
    throw validationFailed(others.map((field) => ({ field, message: 'a note has text only' })));
  const text = input.text?.trim() ?? '';
  if (!text) throw validationFailed([{ field: 'text', message: 'is required for a note' }]);
  if (text.length > NOTE_MAX_CHARS)
    throw validationFailed([{ field: 'text', message: `must be at most ${NOTE_MAX_CHARS} characters` }]);
  const scope: Scope = { workspaceId: sender.workspaceId, livemode: sender.livemode };
  return ctx.transaction(async (tx) => {
    const conversation = await getConversationRow(tx.db, scope, conversationId);
    const channel = await tx.db
      .selectFrom('channels')
      .select('address')
      .where('id', '=', conversation.channel_id)
      .executeTakeFirst();
    const at = ctx.clock.now().toISOString();
    const row: MessageRow = {
      id: newId('msg'),
      ...scopeColumns(scope),
      conversation_id: conversation.id,
      channel_id: conversation.channel_id,
      direction: 'outbound',
      sender_type: sender.actor.type,
      sender_id: sender.actor.id,
      type: 'note',
      text,
      template: null,
      media: null,
      interactive: null,
      to_address: conversation.contact_address,
      from_address: channel?.address ?? '',
      // Stored, never sent: a note's status never moves.
      status: 'received',
      error_code: null,
      error_message: null,
      provider_message_id: null,
      reply_to_provider_id: null,
      created_at: at,
      updated_at: at,
      queued_at: null,
      sent_at: null,
      delivered_at: null,
      read_at: null,
      failed_at: null,
      send_started_at: null,
    };
    await tx.db.insertInto('messages').values(row).execute();
    const message = presentMessage(row);
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'message.note_added',
      actor: sender.actor,
      data: message,
    });
    return message;
  });
}

/** The messages the agent answers from: `POST /v1/agents/{id}/messages` checks the agent first. */
export async function sendAsAgent(
  ctx: AppContext,
  sender: Sender,
  agentId: string,
  input: SendMessageInput,
): Promise<MessageObject> {
  const agent = await tenant(ctx.db, sender)
    .selectFrom('agents')
    .select('id')
    .where('id', '=', agentId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!agent) throw notFound('agent', agentId);
  return sendMessage(ctx, sender, { ...input, agent_id: agentId });
}

const rank: Record<MessageStatus, number> = {
  received: -1,
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 9,
};

export interface StatusChange {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: Date;
  providerMessageId?: string;
  error?: { code: string; message: string };
}

/** The statuses a message may be in for a change to `status` to apply (forward only). */
const fromStatuses = (status: StatusChange['status']): MessageStatus[] =>
  status === 'failed'
    ? ['queued', 'sent']
    : (Object.keys(rank) as MessageStatus[]).filter((s) => rank[s] >= 0 && rank[s] < rank[status]);

export interface StatusUpdate {
  messageId: string;
  providerMessageId?: string;
  error?: { code: string; message: string };
}

/**
 * Moves outbound messages to `status`, forward only (queued → sent → delivered → read; failed
 * only from queued or sent), with one UPDATE for all of them, and emits one event each. A late
 * or repeated status is a no-op for that message. Returns the rows that changed. A status that
 * skips a step (read before delivered) fills the earlier times; a provider id is kept once set.
 */
export async function applyStatusesInTx(
  tx: Tx,
  status: StatusChange['status'],
  at: Date,
  updates: StatusUpdate[],
  actor: Actor = { type: 'system', id: null },
  /** Narrower than forward-only: the statuses the change applies from (e.g. only `queued`). */
  from: MessageStatus[] = fromStatuses(status),
): Promise<MessageRow[]> {
  if (updates.length === 0) return [];
  // `read` with no `delivered` before it (providers drop or reorder statuses): it was delivered
  // too, and listeners of message.delivered hear it first.
  if (status === 'read') await applyStatusesInTx(tx, 'delivered', at, updates, actor);
  const iso = at.toISOString();
  const ids = updates.map((u) => u.messageId);
  const caseOf = (pick: (u: StatusUpdate) => string | undefined) => {
    const whens = updates.flatMap((u) => {
      const v = pick(u);
      return v === undefined ? [] : [sql`when ${u.messageId} then ${v}`];
    });
    return whens.length ? sql<string | null>`case id ${sql.join(whens, sql` `)} else null end` : null;
  };
  const providerIds = caseOf((u) => u.providerMessageId);
  const set: Record<string, unknown> = { status, updated_at: iso };
  if (providerIds) set.provider_message_id = sql`coalesce(provider_message_id, ${providerIds})`;
  if (status === 'failed') {
    set.failed_at = iso;
    set.error_code = sql`coalesce(${caseOf((u) => u.error?.code) ?? null}, 'provider_error')`;
    set.error_message = sql`coalesce(${caseOf((u) => u.error?.message) ?? null}, 'The provider reported a failure.')`;
  } else {
    set.sent_at = sql`coalesce(sent_at, ${iso})`;
    if (status !== 'sent') set.delivered_at = sql`coalesce(delivered_at, ${iso})`;
    if (status === 'read') set.read_at = iso;
  }
  const rows: MessageRow[] = [];
  for (const part of chunked(ids)) {
    rows.push(
      ...(await tx.db
        .updateTable('messages')
        .set(set as Partial<MessageRow>)
        .where('id', 'in', part)
        .where('direction', '=', 'outbound')
        .where('status', 'in', from)
        .returningAll()
        .execute()),
    );
  }
  await tx.emitMany(
    rows.map((row) => ({
      workspaceId: row.workspace_id,
      livemode: row.livemode === 1,
      type: `message.${status}` as const,
      actor,
      data: presentMessage(row),
    })),
  );
  return rows;
}

/** One message's status change (see applyStatusesInTx); returns the row and whether it changed. */
export async function applyStatusInTx(
  tx: Tx,
  messageId: string,
  change: StatusChange,
  actor: Actor = { type: 'system', id: null },
): Promise<{ row: MessageRow | undefined; applied: boolean }> {
  const [updated] = await applyStatusesInTx(
    tx,
    change.status,
    change.at,
    [{ messageId, providerMessageId: change.providerMessageId, error: change.error }],
    actor,
  );
  if (updated) return { row: updated, applied: true };
  const row = await tx.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  return { row, applied: false };
}

/** A message written by a person (in the inbox, or through the API), not by the AI or the system. */
export const isPerson = (senderType: string) => senderType === 'user' || senderType === 'api_key';
