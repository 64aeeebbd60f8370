import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { ConversationView } from '../../platform/db/scope.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import type { PlanLimits } from '../../platform/limits.ts';
import type { ChannelType } from '../channels/index.ts';
import { getConversationRow } from '../conversations/index.ts';
import { type ContentDraft, previewOf } from './content.ts';
import type { MessageRow } from './messaging.tables.ts';
import { presentPricing } from './pricing.ts';

/** What a message is: its stored shape presented, who sends it, a thread's page of them. */
/** Who sends: an API caller (its auth), a user, or the AI agent acting for a workspace. */
export interface Sender {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
  actor: Actor;
  limits: PlanLimits;
  /** A person's role's view (an inbox session): their sends stay in the conversations they see. */
  view?: ConversationView;
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
  header_media?: { type: 'image' | 'video' | 'document'; url: string; filename?: string; media_id?: string };
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
  /** The file uploaded with `POST /v1/media` the business sent. */
  media_id?: string;
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

/** An Instagram story the message is about: the customer mentioned the business in theirs, or replied to the business's. */
function storyOf(interactive: string | null): { type: 'mention' | 'reply'; url: string | null } | null {
  if (!interactive?.includes('"story_')) return null;
  const i = fromJson<{ story_mention?: { url?: unknown }; story_reply?: { url?: unknown } }>(interactive, {});
  const story = i.story_mention ?? i.story_reply;
  if (!story || typeof story !== 'object') return null;
  return {
    type: i.story_mention ? 'mention' : 'reply',
    url: typeof story.url === 'string' ? story.url : null,
  };
}

export function presentMessage(row: MessageRow) {
  const tpl = fromJson<StoredTemplate | null>(row.template, null);
  const media = fromJson<StoredMedia | null>(row.media, null);
  return {
    ...objectHead(row, 'message'),
    conversation_id: row.conversation_id,
    channel_id: row.channel_id,
    direction: row.direction,
    sender: { type: row.sender_type, id: row.sender_id },
    type: row.type,
    text: row.text,
    template: tpl ? { name: tpl.name, language: tpl.language, variables: tpl.variables } : null,
    media:
      media && (media.url || media.id || media.media_id)
        ? {
            url: media.url ?? null,
            ...(media.media_id ? { media_id: media.media_id } : {}),
            caption: media.caption ?? null,
            filename: media.filename ?? null,
            mime_type: media.mime_type ?? null,
            download_url: mediaPathOf(row.id),
            ...(media.download_error ? { download_error: media.download_error } : {}),
          }
        : null,
    attachments: (media?.attachments ?? []).map((a) => ({ ...a, download_url: mediaPathOf(row.id, a.id) })),
    interactive: fromJson<Record<string, unknown> | null>(row.interactive, null),
    story: storyOf(row.interactive),
    to: row.to_address,
    from: row.from_address,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    provider_message_id: row.provider_message_id,
    pricing: presentPricing(row),
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

/** What a conversation shows of its latest message; every send path writes it with the message. */
export function lastMessageOf(row: Pick<MessageRow, 'type' | 'text' | 'created_at' | 'sender_type'>) {
  return {
    last_message: previewOf({ type: row.type, text: row.text }),
    last_message_at: row.created_at,
    last_message_sender: row.sender_type,
    updated_at: row.created_at,
  };
}

/** A message written by a person (in the inbox, or through the API), not by the AI or the system. */
export const isPerson = (senderType: string) => senderType === 'user' || senderType === 'api_key';
