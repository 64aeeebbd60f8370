import { DateTime } from 'luxon';
import { z } from 'zod';
import { baseObject, describe, idOf } from '../../platform/http/schemas.ts';
import { ianaTimezone } from '../../platform/timezone.ts';
import { handoffPolicyInput } from '../conversations/index.ts';
import { agentCsatInput, agentCsatObject } from './agents.csat.ts';
import { analysisSettingsInput, analysisSettingsObject } from './analysis-settings.ts';
import { modelInput, modelObject } from './model-settings.ts';
import { voiceSettingsInput, voiceSettingsObject } from './voice-settings.ts';

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];
export const agentTools = ['knowledge', 'lead_capture', 'booking', 'handoff'] as const;

/** Minutes since local midnight of `HH:MM` (24:00 allowed as a closing time). */
export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const clock = (description: string, example: string) =>
  describe(
    z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time HH:MM (00:00 to 24:00)'),
    description,
    example,
  );

const interval = z
  .strictObject({
    open: clock('Opening time, local to the business timezone.', '10:00'),
    close: clock('Closing time, local to the business timezone (24:00 for midnight).', '19:00'),
  })
  .refine((i) => minutesOf(i.open) < minutesOf(i.close), {
    message: 'open must be before close',
    path: ['close'],
  });

const daySchedule = (day: string) =>
  describe(
    z
      .array(interval)
      .max(10)
      .refine(
        (list) => {
          const sorted = [...list].sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
          return sorted.every((iv, i) => i === 0 || minutesOf(sorted[i - 1].close) <= minutesOf(iv.open));
        },
        { message: 'intervals of one day must not overlap' },
      ),
    `Opening intervals on ${day}; an empty list (or a missing day) means closed.`,
    [{ open: '10:00', close: '19:00' }],
  ).optional();

export const hoursSchema = describe(
  z.strictObject({
    mon: daySchedule('Monday'),
    tue: daySchedule('Tuesday'),
    wed: daySchedule('Wednesday'),
    thu: daySchedule('Thursday'),
    fri: daySchedule('Friday'),
    sat: daySchedule('Saturday'),
    sun: daySchedule('Sunday'),
  }),
  'Weekly opening hours in the business timezone, by day.',
  { mon: [{ open: '10:00', close: '19:00' }], sun: [] },
);

export const timezoneSchema = describe(
  ianaTimezone(),
  'IANA timezone of the business; hours, holidays and availability are in it.',
  'Asia/Kolkata',
);

const localDate = describe(
  z
    .string()
    .refine((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && DateTime.fromISO(d).isValid, 'must be a date YYYY-MM-DD'),
  'A date (YYYY-MM-DD) in the business timezone.',
  '2026-08-15',
);

export const serviceInput = z.strictObject({
  id: idOf(
    'svc',
    'Send back the id of an existing service to keep it (bookings refer to it); omit it for a new service.',
  ).optional(),
  name: describe(z.string().trim().min(1).max(200), 'Name of the service.', 'Haircut'),
  duration_minutes: describe(
    z.number().int().min(5).max(1440),
    'How long one appointment lasts, in minutes.',
    45,
  ),
  price: describe(
    z.number().min(0).nullable(),
    'Price, in the business currency (informative).',
    500,
  ).optional(),
  capacity: describe(
    z.number().int().min(1).max(1000),
    'How many customers can be booked at the same time when this service is booked (its staff, chairs or rooms), counting every confirmed booking of the agent that runs then. Default 1: a booking may not overlap any other.',
    3,
  ).optional(),
});

export const businessInput = z.strictObject({
  timezone: timezoneSchema.optional(),
  hours: hoursSchema.optional(),
  address: describe(
    z.string().trim().max(1000).nullable(),
    'Street address, told to customers who ask.',
    '12 MG Road, Bengaluru',
  ).optional(),
  services: describe(z.array(serviceInput).max(100), 'Services that can be booked; each gets an `svc_` id.', [
    { name: 'Haircut', duration_minutes: 45, price: 500 },
  ]).optional(),
  holidays: describe(z.array(localDate).max(366), 'Dates the business is closed all day, in its timezone.', [
    '2026-08-15',
  ]).optional(),
  buffer_minutes: describe(
    z.number().int().min(0).max(240),
    'Minutes kept free after each booking before the next may start.',
    15,
  ).optional(),
});

const handoffInput = z.strictObject({
  keywords: describe(
    z.array(z.string().trim().min(1).max(100)).max(50),
    'Words in a customer message that hand the conversation to a human.',
    ['human', 'manager'],
  ).optional(),
  max_unanswered: describe(
    z.number().int().min(0).max(20),
    "Hand off after this many messages in a row the agent could not answer: the customer is offered a person at once and the conversation goes to the team's queue (default 1). 0: never for this reason (keywords and the customer's request still hand off).",
    1,
  ).optional(),
  holding_message_after_minutes: describe(
    z.number().int().min(1).max(1440),
    'While the AI is paused for a handoff and no person has answered a waiting customer for this many minutes, the customer gets one holding message (default 5).',
    5,
  ).optional(),
  holding_message: describe(
    z.string().trim().min(1).max(1000).nullable(),
    "The holding message; null for a built-in one in the customer's language.",
    'Thanks for waiting! Our team has your message and will reply here as soon as someone is free.',
  ).optional(),
});

const bookingInput = z.strictObject({
  require_contact: describe(
    z.boolean(),
    "A website visitor (web widget) is asked for their name and a phone number or email before anything is booked for them; what they give is stored on the contact. Default true. false: books as soon as the slot is settled. Other channels' customers are reachable on their channel and are booked as before.",
    true,
  ).optional(),
});

const leadField = z.strictObject({
  key: describe(
    z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'must be snake_case'),
    'Key of the field in `lead.fields`.',
    'budget',
  ),
  label: describe(z.string().trim().min(1).max(200), 'What the agent asks for.', 'Your budget'),
  required: describe(
    z.boolean(),
    'Whether the agent must collect it before capturing the lead.',
    false,
  ).optional(),
});

const agentFields = {
  name: describe(
    z.string().trim().min(1).max(200),
    'Name of the agent, shown in the inbox.',
    'Glow Salon receptionist',
  ),
  status: describe(z.enum(['active', 'paused']), 'A paused agent does not answer.', 'active'),
  phone_number: describe(
    z.string().min(3).max(32).nullable(),
    'The number the agent answers on (E.164; a national number is read in the workspace country).',
    '+919876543210',
  ),
  instructions: describe(
    z.string().max(20000),
    'What the agent should do; `{{variable}}` placeholders are filled per conversation.',
    'You are the receptionist of {{business_name}}. Be brief.',
  ),
  greeting: describe(
    z.string().max(2000).nullable(),
    'First message to a new customer; may use `{{variables}}`.',
    'Hi {{name}}! How can I help?',
  ),
  languages: describe(
    z
      .array(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag like en or hi-IN'))
      .min(1)
      .max(20),
    'Languages the agent answers in (BCP 47 tags; default ["en", "hi"]): a customer writing in one of them (Hindi: in Devanagari or in Latin letters, Hinglish) is answered in it, anyone else in the first.',
    ['en', 'hi'],
  ),
  model: describe(modelInput, 'The model that writes replies.', { provider: 'openai', name: 'gpt-4o-mini' }),
  tools: describe(
    z.array(z.union([z.enum(agentTools), idOf('tool')])).max(24),
    "Tools the agent may use: the built-in `knowledge`, `lead_capture`, `booking` and `handoff`, and ids of the workspace's tools (`tool_…`, `POST /v1/tools`).",
    ['knowledge', 'lead_capture', 'booking', 'handoff'],
  ),
  handoff: describe(handoffInput, 'When the agent hands off to a human.', {
    keywords: ['human'],
    max_unanswered: 2,
  }),
  business: describe(
    businessInput,
    'The business the agent works for: timezone, hours, services (used by bookings).',
    {
      timezone: 'Asia/Kolkata',
      hours: { mon: [{ open: '10:00', close: '19:00' }], sun: [] },
      services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
    },
  ),
  lead_fields: describe(z.array(leadField).max(50), 'Extra fields the agent collects for a lead.', [
    { key: 'budget', label: 'Your budget' },
  ]),
  booking: describe(bookingInput, 'What a booking needs before it is made.', { require_contact: true }),
  voice: voiceSettingsInput,
  analysis: analysisSettingsInput,
};

const agentHandoffPolicy = describe(
  handoffPolicyInput.nullable(),
  "This agent's handoff policy: the fields given override the workspace's (`GET /v1/handoff-policy`); null: the workspace's. Its reply timer counts in the agent's business hours.",
  { team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D', reply_within_minutes: 10, on_timeout: 'reassign' },
);

/** Every field but the name is optional, in a create and an update alike. */
const optionalAgentFields = {
  status: agentFields.status.optional(),
  phone_number: agentFields.phone_number.optional(),
  instructions: agentFields.instructions.optional(),
  greeting: agentFields.greeting.optional(),
  languages: agentFields.languages.optional(),
  model: agentFields.model.optional(),
  tools: agentFields.tools.optional(),
  handoff: agentFields.handoff.optional(),
  handoff_policy: agentHandoffPolicy.optional(),
  business: agentFields.business.optional(),
  lead_fields: agentFields.lead_fields.optional(),
  booking: agentFields.booking.optional(),
  voice: agentFields.voice.optional(),
  analysis: agentFields.analysis.optional(),
};

export const createAgentBody = z.strictObject({ name: agentFields.name, ...optionalAgentFields });
export type CreateAgentInput = z.output<typeof createAgentBody>;

export const updateAgentBody = z
  .strictObject({
    name: agentFields.name.optional(),
    ...optionalAgentFields,
  })
  .meta({
    examples: [{ status: 'active', greeting: 'Hi {{name}}! How can I help?', languages: ['en', 'hi'] }],
  });
export type UpdateAgentInput = z.output<typeof updateAgentBody>;

const intervalOut = z.object({
  open: describe(z.string(), 'Opening time (HH:MM).', '10:00'),
  close: describe(z.string(), 'Closing time (HH:MM).', '19:00'),
});

export const serviceObject = z.object({
  id: idOf('svc', 'Identifier of the service.'),
  name: describe(z.string(), 'Name of the service.', 'Haircut'),
  duration_minutes: describe(z.number().int(), 'Length of one appointment, in minutes.', 45),
  price: describe(z.number().nullable(), 'Price (informative).', 500),
  capacity: describe(
    z.number().int(),
    'Bookings that may run at the same time when this service is booked.',
    1,
  ),
});

export const agentObject = z.object({
  ...baseObject('agt', 'agent'),
  name: describe(z.string(), 'Name of the agent.', 'Glow Salon receptionist'),
  status: describe(z.enum(['active', 'paused']), 'A paused agent does not answer.', 'active'),
  phone_number: describe(z.string().nullable(), 'The number the agent answers on (E.164).', '+919876543210'),
  instructions: describe(
    z.string(),
    'Instructions, with `{{variable}}` placeholders.',
    'You are the receptionist of {{business_name}}.',
  ),
  greeting: describe(z.string().nullable(), 'First message to a new customer.', 'Hi! How can I help?'),
  languages: describe(z.array(z.string()), 'Languages the agent answers in.', ['en']),
  model: modelObject,
  tools: describe(
    z.array(z.union([z.enum(agentTools), z.string()])),
    'Tools the agent may use: built-in ones and tool ids.',
    ['knowledge', 'booking'],
  ),
  handoff_policy: agentHandoffPolicy,
  handoff: describe(
    z.object({
      keywords: describe(z.array(z.string()), 'Words that hand off to a human.', ['human']),
      max_unanswered: describe(
        z.number().int(),
        'Messages in a row the agent could not answer before a handoff (0: never for this reason).',
        1,
      ),
      holding_message_after_minutes: describe(
        z.number().int(),
        'Minutes a customer waits for a person before the one holding message.',
        5,
      ),
      holding_message: describe(z.string().nullable(), 'The holding message (null: built-in).', null),
    }),
    'When the agent hands off to a human.',
  ),
  business: describe(
    z.object({
      timezone: describe(z.string(), 'IANA timezone of the business.', 'Asia/Kolkata'),
      hours: describe(
        z.record(z.enum(weekdays), z.array(intervalOut)),
        'Weekly opening hours, every day listed (empty: closed).',
        {
          mon: [{ open: '10:00', close: '19:00' }],
          tue: [{ open: '10:00', close: '19:00' }],
          wed: [{ open: '10:00', close: '19:00' }],
          thu: [{ open: '10:00', close: '19:00' }],
          fri: [{ open: '10:00', close: '19:00' }],
          sat: [{ open: '10:00', close: '16:00' }],
          sun: [],
        },
      ),
      address: describe(z.string().nullable(), 'Street address.', '12 MG Road, Bengaluru'),
      services: describe(z.array(serviceObject), 'Bookable services.'),
      holidays: describe(z.array(z.string()), 'Closed dates (YYYY-MM-DD).', ['2026-08-15']),
      buffer_minutes: describe(z.number().int(), 'Free minutes after each booking.', 0),
    }),
    'The business the agent works for.',
  ),
  lead_fields: describe(
    z.array(
      z.object({
        key: describe(z.string(), 'Key in `lead.fields`.', 'budget'),
        label: describe(z.string(), 'What the agent asks for.', 'Your budget'),
        required: describe(z.boolean(), 'Must be collected.', false),
      }),
    ),
    'Extra lead fields.',
  ),
  booking: describe(
    z.object({
      require_contact: describe(
        z.boolean(),
        'A website visitor gives a name and a phone number or email before a booking is made (stored on the contact).',
        true,
      ),
    }),
    'What a booking needs before it is made.',
  ),
  voice: voiceSettingsObject,
  analysis: analysisSettingsObject,
  csat: agentCsatObject.optional(),
});

/** `PATCH /v1/agents/{id}`: the agent's fields, and its `csat` settings (kept by the CSAT settings). */
export const patchAgentBody = updateAgentBody.extend({ csat: agentCsatInput.optional() }).meta({
  examples: [
    {
      status: 'active',
      greeting: 'Hi {{name}}! How can I help?',
      languages: ['en', 'hi'],
      csat: { enabled: true, question: 'How did we do today?' },
    },
  ],
});
