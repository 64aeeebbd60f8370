import { z } from 'zod';
import { eventTypes } from '../../platform/events.ts';
import { describe, idOf, listQuery, timestamp } from '../../platform/http/schemas.ts';

const isoTime = (description: string) =>
  describe(
    z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    `${description} (ISO 8601).`,
    '2026-05-10T08:00:00Z',
  );

const eventTypeList = describe(
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v),
      z.array(z.enum(eventTypes)).min(1),
    )
    .optional(),
  'Only events of these types (comma-separated).',
  'message.received,conversation.escalated',
);

export const listEventsQuery = listQuery({
  type: eventTypeList,
  object_id: describe(
    z.string().min(1).max(100),
    'Only events about this object (its `data.id`).',
    'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  created_after: isoTime('Only events recorded after this time').optional(),
  created_before: isoTime('Only events recorded before this time').optional(),
});

export const streamQuery = z.object({
  type: eventTypeList,
  last_event_id: idOf(
    'evt',
    'Resume after this event (same as the `Last-Event-ID` header, which wins when both are sent).',
  ).optional(),
});

export const eventObject = z.object({
  id: idOf(
    'evt',
    'Unique identifier of the event; ids sort by time. Also the `webhook-id` of its deliveries.',
  ),
  object: describe(z.literal('event'), 'The type of this object.', 'event'),
  event: describe(z.enum(eventTypes), 'What happened.', 'message.received'),
  timestamp: timestamp('When it happened'),
  api_version: describe(z.literal('v1'), 'The API version the payload follows.', 'v1'),
  workspace_id: idOf('ws', 'The workspace it happened in.'),
  livemode: describe(z.boolean(), 'True for live-mode events, false for test-mode ones.', false),
  actor: describe(
    z.object({
      type: describe(
        z.enum(['api_key', 'user', 'ai', 'customer', 'system', 'rule', 'automation']),
        'Who caused it.',
        'api_key',
      ),
      id: describe(
        z.string().nullable(),
        'The API key or user id (null for ai, customer and system).',
        'key_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ),
    }),
    'Who caused the event.',
  ),
  data: describe(
    z.record(z.string(), z.unknown()),
    "The object's state when the event was recorded, with `object` and `id`; order events of one object by `data.updated_at`.",
    { object: 'conversation', id: 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D', status: 'open' },
  ),
});
