import { z } from 'zod';
import { baseObject, describe } from '../../../platform/http/schemas.ts';
import { channelTypes } from '../../channels/index.ts';

const minutes = (what: string, example: number) =>
  describe(
    z.number().int().min(1).max(525_600).nullable(),
    `${what}, in minutes (null: no target). 0 is refused.`,
    example,
  );

const appliesTo = describe(
  z.strictObject({
    channels: describe(
      z.array(z.enum([...channelTypes, 'web'])).max(20),
      "Channel types it applies to (a conversation's `channel`).",
      ['whatsapp'],
    ).optional(),
    tags: describe(
      z.array(z.string().min(1).max(100)).max(50),
      'It applies when the conversation has one of these tags.',
      ['vip'],
    ).optional(),
    priorities: describe(
      z.array(z.enum(['low', 'normal', 'high', 'urgent'])).max(4),
      'Priorities it applies to.',
      ['high', 'urgent'],
    ).optional(),
  }),
  'Which conversations it applies to: every list given must match (an empty object: all). The oldest matching policy applies.',
);

const fields = {
  name: describe(z.string().trim().min(1).max(200), 'Name of the policy.', 'WhatsApp VIP'),
  first_response_minutes: minutes('Time to the first reply of a person', 15),
  next_response_minutes: minutes("Time to a person's reply after each later customer message", 60),
  resolution_minutes: minutes('Time to resolve (close) the conversation', 1440),
  business_hours: describe(
    z.boolean(),
    "Count the minutes only in the agent's business hours (its `business.hours` and holidays).",
    true,
  ),
  applies_to: appliesTo,
  counts_ai_replies: describe(
    z.boolean(),
    "Whether the AI's replies meet the targets. false (default): the policy applies while a person owns the conversation, from its handoff (a conversation the AI handles alone never breaches); true: from the conversation's start, and an AI reply meets a response target.",
    false,
  ),
};

export const createSlaBody = z.strictObject({
  name: fields.name,
  first_response_minutes: fields.first_response_minutes.optional(),
  next_response_minutes: fields.next_response_minutes.optional(),
  resolution_minutes: fields.resolution_minutes.optional(),
  business_hours: fields.business_hours.default(false),
  applies_to: fields.applies_to.default({}),
  counts_ai_replies: fields.counts_ai_replies.default(false),
});
export type CreateSlaInput = z.output<typeof createSlaBody>;

/** Any of the fields, each as the create body takes it (no defaults). */
export const updateSlaBody = z.strictObject(fields).partial();
export type UpdateSlaInput = z.output<typeof updateSlaBody>;

export const slaPolicyObject = z.object({
  ...baseObject('sla', 'sla_policy'),
  name: describe(z.string(), 'Name of the policy.', 'WhatsApp VIP'),
  first_response_minutes: describe(z.number().int().nullable(), 'First reply target (minutes).', 15),
  next_response_minutes: describe(z.number().int().nullable(), 'Next reply target (minutes).', 60),
  resolution_minutes: describe(z.number().int().nullable(), 'Resolution target (minutes).', 1440),
  business_hours: describe(z.boolean(), 'Whether targets count in business hours.', true),
  counts_ai_replies: describe(
    z.boolean(),
    "Whether AI replies meet targets (then it applies from the start); false: from the handoff, people's replies only.",
    false,
  ),
  applies_to: describe(
    z.object({
      channels: describe(z.array(z.string()).optional(), 'Channel types.', ['whatsapp']),
      tags: describe(z.array(z.string()).optional(), 'Tags.', ['vip']),
      priorities: describe(z.array(z.string()).optional(), 'Priorities.', ['urgent']),
    }),
    'Which conversations it applies to.',
  ),
});
