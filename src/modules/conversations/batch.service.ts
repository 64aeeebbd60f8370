import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { getContactRow } from '../contacts/contacts.service.ts';
import type { TemplateRef } from '../messaging/content.ts';
import {
  type MessageObject,
  openConversation,
  type Sender,
  sendMessage,
} from '../messaging/messaging.service.ts';
import { type ConversationObject, getConversation } from './conversations.service.ts';

export interface BatchItem {
  agent_id?: string;
  channel: 'whatsapp' | 'sms' | 'email' | 'voice';
  to?: string;
  contact_id?: string;
  from?: string;
  dynamic_variables?: Record<string, string | number | boolean | null>;
  ignore_dnd?: boolean;
  identifier?: string;
  template?: TemplateRef;
  text?: string;
}

/**
 * Opens conversations one by one (each in its own transaction): a WhatsApp conversation opened
 * by the business starts with an approved template; SMS and email may start with a template or
 * text, or with nothing. Voice is refused per item (not a messaging channel yet). Per-item errors never
 * stop the others.
 */
export async function createConversations(ctx: AppContext, sender: Sender, items: BatchItem[]) {
  const results: Array<{ index: number; conversation: ConversationObject; message: MessageObject | null }> =
    [];
  const errors: Array<{
    index: number;
    code: string;
    message: string;
    errors?: Array<{ field: string; message: string }>;
  }> = [];
  const scope = {
    workspaceId: sender.workspaceId,
    livemode: sender.livemode,
    defaultCountry: sender.defaultCountry,
  };
  for (const [index, item] of items.entries()) {
    try {
      if (item.channel === 'voice') {
        throw new ApiError(
          'channel_not_configured',
          'Voice is not available as a messaging channel in this version: open the conversation on whatsapp, sms or email.',
        );
      }
      let to = item.to;
      if (item.contact_id) {
        const contact = await getContactRow(ctx.db, scope, item.contact_id);
        to = (item.channel === 'email' ? contact.email : contact.phone) ?? undefined;
        if (!to)
          throw new ApiError(
            'validation_failed',
            `Contact ${contact.id} has no ${item.channel === 'email' ? 'email' : 'phone'}.`,
            { errors: [{ field: 'contact_id', message: 'has no address on this channel' }] },
          );
      }
      if (!to)
        throw new ApiError('validation_failed', 'to or contact_id is required.', {
          errors: [{ field: 'to', message: 'to or contact_id is required' }],
        });
      if (item.channel === 'whatsapp' && !item.template) {
        throw new ApiError(
          'validation_failed',
          'A WhatsApp conversation opened by the business starts with an approved template.',
          {
            errors: [{ field: 'template', message: 'is required for WhatsApp' }],
          },
        );
      }
      const common = {
        to,
        channel: item.channel,
        from: item.from,
        agent_id: item.agent_id,
        dynamic_variables: item.dynamic_variables,
        identifier: item.identifier,
        ignore_dnd: item.ignore_dnd,
        business_initiated: true,
      };
      let message: MessageObject | null = null;
      let conversationId: string;
      if (item.template)
        message = await sendMessage(ctx, sender, { ...common, type: 'template', template: item.template });
      else if (item.text)
        message = await sendMessage(ctx, sender, { ...common, type: 'text', text: item.text });
      if (message) conversationId = message.conversation_id;
      else
        conversationId = (
          await openConversation(ctx, sender, { ...common, channel: item.channel, to, type: 'text' })
        ).id;
      results.push({ index, conversation: await getConversation(ctx, scope, conversationId), message });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push({
        index,
        code: err.code,
        message: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
      });
    }
  }
  return { results, errors };
}
