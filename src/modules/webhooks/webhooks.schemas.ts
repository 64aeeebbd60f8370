import { z } from 'zod';
import { eventTypes } from '../../platform/events.ts';
import { suggestField } from '../../platform/http/field-hints.ts';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';

export const endpointStatuses = ['enabled', 'disabled'] as const;
export const deliveryStates = ['pending', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;

/** Every event of one kind of object: `call.*`, `message.*` ... (as the CLI's `--events` takes them). */
const families = [...new Set(eventTypes.map((t) => `${t.split('.')[0]}.*`))];
const subscribable = ['*', ...families, ...eventTypes] as [string, ...string[]];

const url = describe(
  z.string().trim().min(1).max(2048),
  'Where deliveries are POSTed: an http(s) URL. Private and loopback addresses are refused unless the server allows them.',
  'https://example.com/parley/webhooks',
);

/** What other platforms (the guides in docs/coming-from) call Parley's events. */
const otherNames: Record<string, string> = {
  'appointment.booked': 'booking.created',
  'appointment.created': 'booking.created',
  'appointment.cancelled': 'booking.cancelled',
  'appointment.rescheduled': 'booking.rescheduled',
  'handoff.triggered': 'conversation.escalated',
  'handoff.requested': 'conversation.escalated',
  'lead.created': 'lead.captured',
  'call.ended': 'call.completed',
  'message.created': 'message.received',
};

/** A short refusal of an event type Parley does not have, naming the one meant (never the whole list). */
function unknownEvent(input: unknown): string {
  const name = String(input);
  const meant = otherNames[name] ?? suggestField(name, subscribable);
  return `\`${name.slice(0, 80)}\` is not a Parley event type${meant ? `: did you mean \`${meant}\`?` : ''} (the list: GET /openapi.json, webhooks)`;
}

const events = describe(
  z
    .array(z.enum(subscribable, { error: (issue) => unknownEvent(issue.input) }))
    .min(1)
    .max(subscribable.length)
    .refine(
      (list) => !list.includes('*') || list.length === 1,
      '`*` stands for every event and cannot be combined with types',
    )
    .transform((list) => [...new Set(list)]),
  'Event types to receive (`call.*` for every event of calls, and so on), or `["*"]` for all of them.',
  ['message.received', 'conversation.escalated'],
);

const description = describe(z.string().trim().max(500), 'A note for people reading the list.', 'CRM sync');

export const createWebhookBody = z.strictObject({
  url,
  events: events.optional(),
  agent_id: idOf(
    'agt',
    'Only events of this agent (their `data.agent_id`); omit for every event.',
  ).optional(),
  description: description.optional(),
  secret: describe(
    z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(256)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    "Your own signing secret (16 to 256 printable characters), e.g. the one your receiver already checks; omit it to get a generated `whsec_` secret. `X-Parley-Signature` is keyed with it exactly as given; the Standard Webhooks signature with the base64-decoded part of a `whsec_<base64>` secret, or with the secret's UTF-8 bytes otherwise.",
    'whsec_your_signing_secret',
  ).optional(),
});

/** `/v1/agents/{id}/webhooks` takes the agent from the path. */
export const createAgentWebhookBody = createWebhookBody.omit({ agent_id: true });

/** A rotation takes the caller's own new secret, checked as at creation, or generates one. */
export const rotateSecretBody = createWebhookBody.pick({ secret: true });

export const updateWebhookBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  agent_id: idOf('agt', 'Only events of this agent; null for every event.').nullable().optional(),
  description: description.nullable().optional(),
  status: describe(
    z.enum(endpointStatuses),
    '`disabled` stops deliveries; `enabled` resumes them (and clears a disabled reason).',
    'enabled',
  ).optional(),
});

export const webhookObject = z.object({
  ...baseObject('wh', 'webhook_endpoint'),
  url: describe(z.string(), 'Where deliveries are POSTed.', 'https://example.com/parley/webhooks'),
  description: describe(z.string().nullable(), 'A note for people reading the list.', 'CRM sync'),
  events: describe(z.array(z.string()), 'Event types delivered, or `["*"]`.', ['message.received']),
  agent_id: describe(z.string().nullable(), 'Only events of this agent (null: every event).', null),
  status: describe(z.enum(endpointStatuses), 'Whether events are delivered.', 'enabled'),
  disabled_reason: describe(
    z.enum(['manual', 'gone', 'failing']).nullable(),
    'Why it is disabled: `manual` (by a request), `gone` (the receiver answered 410), `failing` (every delivery failed for 5 days).',
    null,
  ),
  disabled_at: nullableTimestamp('When it was disabled'),
  previous_secret_expires_at: nullableTimestamp(
    'After a secret rotation, when the previous secret stops signing deliveries',
  ),
});

const secret = describe(
  z.string(),
  'The signing secret (generated `whsec_` + base64, or your own). Shown only in this response: store it now.',
  'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
);

export const createdWebhookObject = webhookObject.extend({ secret });
export const rotatedWebhookObject = webhookObject.extend({ secret });

export const listWebhooksQuery = listQuery({
  status: describe(z.enum(endpointStatuses), 'Only endpoints in this status.', 'enabled').optional(),
  agent_id: idOf('agt', 'Only endpoints filtered to this agent.').optional(),
});

export const listAgentWebhooksQuery = listQuery({
  status: describe(z.enum(endpointStatuses), 'Only endpoints in this status.', 'enabled').optional(),
});

export const deliveryObject = z.object({
  ...baseObject('dlv', 'webhook_delivery'),
  endpoint_id: idOf('wh', 'The endpoint delivered to.'),
  event_id: idOf('evt', 'The event delivered; also the `webhook-id` header of every attempt.'),
  event_type: describe(z.string(), 'The event type.', 'message.received'),
  state: describe(
    z.enum(deliveryStates),
    '`pending` (first attempt not made), `retrying` (an attempt failed; another is scheduled), `succeeded` (a 2xx), `failed` (gave up, or the receiver answered 410), `cancelled` (the endpoint was deleted or disabled first).',
    'succeeded',
  ),
  attempt_count: describe(z.number().int(), 'Attempts made so far.', 1),
  attempts: describe(
    z.array(
      z.object({
        at: describe(z.string(), 'When the attempt started (ISO 8601 UTC).', '2026-05-10T08:23:41.120Z'),
        status_code: describe(
          z.number().int().nullable(),
          "The receiver's HTTP status (null: no answer: refused, timed out, blocked).",
          500,
        ),
        duration_ms: describe(
          z.number().int(),
          'From connecting to the last byte read, in milliseconds.',
          84,
        ),
        error: describe(z.string().nullable(), 'Why the attempt failed (null: it succeeded).', 'HTTP 500'),
      }),
    ),
    'Every attempt made so far, oldest first (the last 50 are kept).',
    [
      {
        at: '2026-05-10T08:23:41.120Z',
        status_code: 500,
        duration_ms: 84,
        error: 'The receiver answered HTTP 500.',
      },
      { at: '2026-05-10T08:23:46.410Z', status_code: 200, duration_ms: 61, error: null },
    ],
  ),
  status_code: describe(
    z.number().int().nullable(),
    'HTTP status of the last attempt (null: no answer).',
    200,
  ),
  duration_ms: describe(z.number().int().nullable(), 'Duration of the last attempt in milliseconds.', 84),
  response_excerpt: describe(z.string().nullable(), "The first KB of the receiver's last answer.", 'ok'),
  error: describe(z.string().nullable(), 'Why the last attempt failed.', null),
  next_retry_at: nullableTimestamp('When the next attempt is due'),
  redelivery_of: describe(z.string().nullable(), 'The delivery this one re-sends.', null),
  delivered_at: nullableTimestamp('When the receiver accepted it'),
});

export const listDeliveriesQuery = listQuery({
  state: describe(z.enum(deliveryStates), 'Only deliveries in this state.', 'failed').optional(),
  event_id: idOf('evt', 'Only deliveries of this event.').optional(),
});

export const deliveryParams = z.object({ id: idOf('wh'), delivery_id: idOf('dlv') });
