import { z } from 'zod';
import { describe, idOf, stringMap } from '../../platform/http/schemas.ts';
import { channelTypes } from '../channels/index.ts';
import { conversationObject } from '../conversations/index.ts';
import { messageObject, templateRef } from '../messaging/index.ts';
import { callObject } from '../voice/index.ts';

export const batchBody = z.strictObject({
  conversations: describe(
    z
      .array(
        z.strictObject({
          agent_id: idOf('agt', 'The agent that runs it (its channel sends).').optional(),
          channel: describe(
            z.enum(channelTypes),
            'Channel. `voice` dials: the agent calls `to` (or the contact) and the result carries the `call`.',
            'whatsapp',
          ),
          to: describe(
            z.string().min(3).max(320),
            'Customer phone (E.164) or email.',
            '+14155550100',
          ).optional(),
          contact_id: idOf('ct', 'An existing contact instead of `to`.').optional(),
          from: describe(
            z.string().min(3).max(320),
            "The channel's own address to send from.",
            '+14155550999',
          ).optional(),
          dynamic_variables: stringMap(
            'Variables for the agent and for `{{name}}` template placeholders.',
          ).optional(),
          ignore_dnd: describe(
            z.boolean(),
            'Reach a contact on do-not-disturb anyway (never one who opted out).',
            false,
          ).optional(),
          identifier: describe(
            z.string().min(1).max(200),
            'Your own reference.',
            'crm-contact-1024',
          ).optional(),
          template: templateRef.optional(),
          text: describe(
            z.string().min(1).max(4096),
            'SMS and email only: a first text message.',
            'Hi! Your order shipped.',
          ).optional(),
        }),
      )
      .min(1)
      .max(100),
    'Up to 100 conversations to open.',
  ),
});

export const batchResponse = z.object({
  results: describe(
    z.array(
      z.object({
        index: describe(z.number().int(), 'Position in the request.', 0),
        conversation: describe(conversationObject, 'The conversation.'),
        message: describe(messageObject.nullable(), 'The first message, when one was sent.', null),
        call: describe(callObject, 'Voice: the call placed (see POST /v1/calls).').optional(),
      }),
    ),
    'The conversations opened.',
  ),
  errors: describe(
    z.array(
      z.object({
        index: describe(z.number().int(), 'Position in the request.', 1),
        code: describe(z.string(), 'Error code.', 'template_not_approved'),
        message: describe(z.string(), 'What went wrong.', 'Template welcome (en) is pending.'),
        errors: describe(
          z.array(
            z.object({
              field: describe(z.string(), 'The invalid field.', 'to'),
              message: describe(z.string(), 'What is wrong with it.', 'must be a valid E.164 phone number'),
            }),
          ),
          'Invalid fields.',
        ).optional(),
      }),
    ),
    'The items that could not be opened.',
  ),
});
