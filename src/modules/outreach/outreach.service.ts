import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { type ChannelType, channelKinds, contactFieldFor, isMessagingChannel } from '../channels/index.ts';
import { getContactRow } from '../contacts/index.ts';
import { type ConversationObject, getConversation } from '../conversations/index.ts';
import type { TemplateRef } from '../messaging/index.ts';
import { type MessageObject, openConversation, type Sender, sendMessage } from '../messaging/index.ts';
import { type CallObject, createCalls } from '../voice/index.ts';

export interface BatchItem {
  agent_id?: string;
  channel: ChannelType;
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
 * text, or with nothing. A voice conversation dials: the item becomes a call (admitted against the
 * concurrent-call limit like `POST /v1/calls`) and its result carries `call`. Per-item errors never
 * stop the others.
 */
export async function createConversations(ctx: AppContext, sender: Sender, items: BatchItem[]) {
  const results: Array<{
    index: number;
    conversation: ConversationObject;
    message: MessageObject | null;
    call?: CallObject;
  }> = [];
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
      const opened =
        item.channel === 'voice'
          ? await dial(ctx, sender, scope, item)
          : await open(ctx, sender, scope, item);
      results.push({ index, ...opened });
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

type Scope = { workspaceId: string; livemode: boolean; defaultCountry: string };

/** A messaging item's address: its `to`, or the contact's address on the item's channel. */
async function messagingAddress(ctx: AppContext, scope: Scope, item: BatchItem): Promise<string> {
  let to = item.to;
  if (item.contact_id) {
    const contact = await getContactRow(ctx.db, scope, item.contact_id);
    const field = contactFieldFor(item.channel);
    to = field ? (contact[field] ?? undefined) : undefined;
    if (!to)
      throw new ApiError(
        'validation_failed',
        `Contact ${contact.id} has no ${field ?? 'address on this channel'}.`,
        {
          errors: [{ field: 'contact_id', message: 'has no address on this channel' }],
        },
      );
  }
  if (!to)
    throw new ApiError('validation_failed', 'to or contact_id is required.', {
      errors: [{ field: 'to', message: 'to or contact_id is required' }],
    });
  return to;
}

/** A messaging item: the conversation opened with its template or text, or opened empty. */
async function open(ctx: AppContext, sender: Sender, scope: Scope, item: BatchItem) {
  if (!isMessagingChannel(item.channel)) {
    throw new ApiError('channel_not_configured', `Conversations cannot be opened on ${item.channel}.`);
  }
  const to = await messagingAddress(ctx, scope, item);
  // Where a customer-service window applies, the business opens with an approved template.
  if (channelKinds[item.channel].customerWindowHours !== null && !item.template) {
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
  if (item.template)
    message = await sendMessage(ctx, sender, { ...common, type: 'template', template: item.template });
  else if (item.text) message = await sendMessage(ctx, sender, { ...common, type: 'text', text: item.text });
  const conversationId = message
    ? message.conversation_id
    : (await openConversation(ctx, sender, { ...common, channel: item.channel, to, type: 'text' })).id;
  return { conversation: await getConversation(ctx, scope, conversationId), message };
}

/** A voice item: one call through the calls service (the conversation is the call's). */
async function dial(ctx: AppContext, sender: Sender, scope: Scope, item: BatchItem) {
  if (item.template || item.text)
    throw new ApiError('validation_failed', 'A voice conversation starts with a call, not a message.', {
      errors: [{ field: item.template ? 'template' : 'text', message: 'is not accepted on voice' }],
    });
  let to = item.to;
  if (item.contact_id) {
    const contact = await getContactRow(ctx.db, scope, item.contact_id);
    to = contact.phone ?? undefined;
    if (!to)
      throw new ApiError('validation_failed', `Contact ${contact.id} has no phone.`, {
        errors: [{ field: 'contact_id', message: 'has no phone to call' }],
      });
  }
  if (!to)
    throw new ApiError('validation_failed', 'to or contact_id is required.', {
      errors: [{ field: 'to', message: 'to or contact_id is required' }],
    });
  if (!item.agent_id)
    throw new ApiError(
      'validation_failed',
      'agent_id is required for a voice conversation (the agent talks).',
      {
        errors: [{ field: 'agent_id', message: 'is required on voice' }],
      },
    );
  const { results, errors } = await createCalls(ctx, sender, [
    {
      agent_id: item.agent_id,
      to,
      ...(item.from ? { from: item.from } : {}),
      ...(item.dynamic_variables ? { dynamic_variables: item.dynamic_variables } : {}),
      ...(item.ignore_dnd !== undefined ? { ignore_dnd: item.ignore_dnd } : {}),
      ...(item.identifier ? { identifier: item.identifier } : {}),
    },
  ]);
  const failed = errors[0];
  if (failed || !results[0])
    throw new ApiError(
      (failed?.code ?? 'internal_error') as never,
      failed?.message ?? 'The call was not placed.',
      {
        ...(failed?.errors ? { errors: failed.errors } : {}),
      },
    );
  const { call } = results[0];
  return {
    conversation: await getConversation(ctx, scope, call.conversation_id as string),
    message: null,
    call,
  };
}
