import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope } from '../../platform/db/scope.ts';
import { notFound, validationFailed } from '../../platform/errors.ts';
import { agentExists } from '../agents/index.ts';
import { channelById } from '../channels/index.ts';
import { getConversationRow } from '../conversations/index.ts';
import { type ContentDraft, type MessageType, messageTypes } from './content.ts';
import type { AnswerGuard } from './messages.history.ts';
import { insertMessages } from './messages.insert.ts';
import {
  type MessageObject,
  presentMessage,
  type Sender,
  type SendMessageInput,
} from './messages.present.ts';
import { sendMessage, unsentColumns, type WrittenHook } from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';

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
    /** Answers this customer message only if nothing answered it yet (see AnswerGuard). */
    answering?: AnswerGuard;
    /** Runs in the transaction that writes the message (a record about it that must not lag it). */
    written?: WrittenHook;
  },
): Promise<MessageObject> {
  const { type, answering, written, ...rest } = input;
  if (type === 'note') return addNote(ctx, sender, conversationId, input);
  return sendMessage(ctx, sender, { ...rest, type, conversation_id: conversationId }, { answering, written });
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
    const channel = await channelById(tx.db, conversation.channel_id);
    const at = ctx.clock.now().toISOString();
    const row: MessageRow = {
      ...newRow('msg', scope),
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
      ...unsentColumns(at),
      queued_at: null,
    };
    await insertMessages(tx.db, [row]);
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
  if (!(await agentExists(ctx.db, sender, agentId))) throw notFound('agent', agentId);
  return sendMessage(ctx, sender, { ...input, agent_id: agentId });
}
