import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';

export const leadStatuses = ['new', 'qualified', 'converted', 'lost'] as const;

const fieldValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const fieldsSchema = describe(
  z
    .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys are letters, digits, _ and -'), fieldValue)
    .refine((f) => Object.keys(f).length <= 50, 'at most 50 fields'),
  "Custom fields (the agent's `lead_fields` and any others); merged into the existing ones, a null value removes a field.",
  { budget: '5000', preferred_day: 'Saturday' },
);

const common = {
  name: describe(z.string().trim().min(1).max(200).nullable(), 'Name of the person.', 'Asha Rao'),
  phone: describe(
    z.string().min(3).max(40).nullable(),
    'Phone number; stored in E.164 (a national number is read in the workspace country).',
    '+919876543210',
  ),
  email: describe(z.string().max(254).nullable(), 'Email address.', 'asha@example.com'),
  intent: describe(z.string().trim().max(500).nullable(), 'What the person wants.', 'appointment_booking'),
  source: describe(
    z.string().trim().min(1).max(100),
    'Where the lead came from (default `api`, or `ai` when an agent captured it).',
    'website_form',
  ),
  status: describe(z.enum(leadStatuses), 'Stage of the lead.', 'new'),
};

/** What a lead holds, each optional in a create and an update. */
const leadFields = {
  name: common.name.optional(),
  phone: common.phone.optional(),
  email: common.email.optional(),
  intent: common.intent.optional(),
  source: common.source.optional(),
  status: common.status.optional(),
  fields: fieldsSchema.optional(),
};

export const createLeadBody = z.strictObject({
  contact_id: idOf(
    'ct',
    'The contact; without it, the contact with this phone (or email) is used or created.',
  ).optional(),
  conversation_id: idOf(
    'conv',
    'The conversation the lead came from; its open lead is updated instead of creating another.',
  ).optional(),
  agent_id: idOf('agt', "The agent that captured the lead (default: the conversation's agent).").optional(),
  ...leadFields,
});

export const updateLeadBody = z.strictObject(leadFields);

export const leadObject = z.object({
  ...baseObject('lead', 'lead'),
  contact_id: describe(idOf('ct').nullable(), 'The contact.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  conversation_id: describe(
    idOf('conv').nullable(),
    'The conversation it came from.',
    'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  agent_id: describe(idOf('agt').nullable(), 'The agent that captured it.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  name: describe(z.string().nullable(), 'Name of the person.', 'Asha Rao'),
  phone: describe(z.string().nullable(), 'Phone (E.164).', '+919876543210'),
  email: describe(z.string().nullable(), 'Email address.', 'asha@example.com'),
  intent: describe(z.string().nullable(), 'What the person wants.', 'appointment_booking'),
  source: describe(z.string(), 'Where the lead came from.', 'ai'),
  status: describe(z.enum(leadStatuses), 'Stage of the lead.', 'new'),
  fields: describe(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), 'Custom fields.', {
    budget: '5000',
  }),
});

export const leadListQuery = listQuery({
  status: describe(z.enum(leadStatuses), 'Only leads in this stage.', 'new').optional(),
  contact_id: idOf('ct', 'Only leads of this contact.').optional(),
  conversation_id: idOf('conv', 'Only leads from this conversation.').optional(),
  agent_id: idOf('agt', 'Only leads captured by this agent.').optional(),
});
