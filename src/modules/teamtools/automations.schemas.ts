import { z } from 'zod';
import { baseObject, describe, listQuery } from '../../platform/http/schemas.ts';
import { actionList } from './actions.schemas.ts';
import { conditionFields, conditionOps } from './conditions.ts';

export const automationEvents = [
  'message.received',
  'conversation.created',
  'conversation.escalated',
  'conversation.resolved',
  'conversation.handoff_timeout',
  'call.completed',
  'csat.received',
  'sla.breached',
  'booking.created',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.starts_in',
] as const;
export type AutomationEvent = (typeof automationEvents)[number];

const name = describe(
  z.string().trim().min(1).max(200),
  'A name people recognise.',
  'VIP to the priority team',
);
const active = describe(z.boolean(), 'Whether it runs; an inactive one is kept but never runs.', true);
const event = describe(
  z.enum(automationEvents),
  "The event that starts it. Booking events run on the booking's conversation (else the contact's latest); `booking.starts_in` is a time: `minutes` before a confirmed booking starts.",
  'message.received',
);
const minutes = describe(
  z.number().int().min(1).max(43_200).nullable(),
  'For `booking.starts_in` only (required there): how many minutes before the booking starts it runs (1440: a day before).',
  1440,
);
const field = describe(
  z.string().min(1).max(80),
  `What is tested: ${conditionFields.join(', ')} (\`contact.<name>\`: the contact's name, phone, email, tags or an attribute).`,
  'tags',
);
const op = describe(
  z.enum(conditionOps),
  'How it is compared (text case-insensitively). `contains` matches inside words; `contains_word` only whole words or phrases ("pain" matches "severe pain" but not "painless"; a list matches any of them).',
  'contains_word',
);
const value = describe(
  z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
  'What it is compared with (a list for `in` and `contains_word`; none for `exists`).',
  'vip',
);
const condition = z.strictObject({ field, op, value: value.optional() });
/**
 * One item of the list: a condition `{field, op, value}`, or a group `{any: [conditions]}` (OR).
 * One object with all keys optional and a check, so a bad `op` is named by its path (a union
 * would only say "Invalid input").
 */
const conditionItem = z
  .strictObject({
    field: field.optional(),
    op: op.optional(),
    value: value.optional(),
    any: describe(
      z.array(condition).min(1).max(20),
      'A group: holds when any of these conditions holds (OR).',
      [
        { field: 'text', op: 'contains_word', value: 'pain' },
        { field: 'text', op: 'contains_word', value: 'bleeding' },
      ],
    ).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.any !== undefined) {
      for (const k of ['field', 'op', 'value'] as const)
        if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'not beside any' });
      return;
    }
    for (const k of ['field', 'op'] as const)
      if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required' });
  });
const conditions = describe(
  z.array(conditionItem).max(20),
  'All must hold for the actions to run (none: always); an `{any: [...]}` item holds when one of its conditions does.',
  [{ field: 'tags', op: 'contains', value: 'vip' }],
);

const example = {
  name: 'VIP to the priority team',
  event: 'message.received',
  conditions: [
    { field: 'contact.tier', op: 'eq', value: 'gold' },
    { field: 'within_business_hours', op: 'eq', value: true },
  ],
  actions: [
    { type: 'set_priority', priority: 'high' },
    { type: 'assign_team', team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
  ],
};

export const createAutomationBody = z
  .strictObject({
    name,
    active: active.optional(),
    event,
    conditions: conditions.optional(),
    actions: actionList,
    minutes: minutes.optional(),
  })
  .meta({ examples: [example] });
export const updateAutomationBody = z
  .strictObject({
    name: name.optional(),
    active: active.optional(),
    event: event.optional(),
    conditions: conditions.optional(),
    actions: actionList.optional(),
    minutes: minutes.optional(),
  })
  .meta({ examples: [{ active: false }] });

export const automationObject = z.object({
  ...baseObject('atm', 'automation'),
  name,
  active,
  event,
  conditions,
  actions: actionList,
  minutes,
});
export const listAutomationsQuery = listQuery({
  event: event.optional(),
});
