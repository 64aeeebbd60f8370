import { z } from 'zod';
import { describe, idOf } from '../../platform/http/schemas.ts';
import { messagingChannelTypes } from '../channels/index.ts';
import { chars } from './content.ts';
import { messageObject } from './messaging.schemas.ts';

/** `POST /v1/sandbox/inbound`: a customer's message, as test mode receives it. */
export const sandboxInboundBody = z
  .strictObject({
    from: describe(
      z.string().min(3).max(320),
      "The customer's phone number (or email address for the email channel).",
      '+919876543210',
    ),
    text: describe(
      z
        .string()
        .min(1)
        .max(8192)
        .refine((t) => chars(t) <= 4096, 'must be at most 4096 characters'),
      'What the customer writes (at most 4,096 characters).',
      'Sunday ko open ho?',
    ),
    channel: describe(
      z.enum(messagingChannelTypes),
      'Channel it arrives on (default whatsapp).',
      'whatsapp',
    ).optional(),
    to: describe(
      z.string().min(3).max(320),
      "The business address written to: picks the agent by its phone number or the channel by its address; default: the workspace's default agent.",
      '+14155550123',
    ).optional(),
    agent_id: idOf(
      'agt',
      'The test-mode agent written to: its phone number when it has one (as `to`), else the default sandbox channel when no other active agent holds it (409 `conflict` when one does: give this agent a `phone_number`).',
    ).optional(),
    name: describe(z.string().min(1).max(200), "The customer's profile name.", 'Rahul').optional(),
  })
  .meta({ examples: [{ from: '+919876543210', text: 'Sunday ko open ho?', name: 'Rahul' }] });

export const sandboxInboundResponse = z.object({
  stored: describe(z.number().int(), 'Messages stored.', 1),
  duplicates: describe(z.number().int(), 'Messages already stored before.', 0),
  message: describe(messageObject.nullable(), 'The stored customer message.', null),
  conversation_id: describe(z.string().nullable(), 'Its conversation.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
});
