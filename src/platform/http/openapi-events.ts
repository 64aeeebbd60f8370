/** What each webhook event's `data` is, for the OpenAPI document's `webhooks` (openapi.ts). */
type Json = Record<string, unknown>;

/** The object each event's `data` carries (its current state), by the event type's prefix. */
export const eventObjects: Record<string, string> = {
  message: 'message',
  conversation: 'conversation',
  csat: 'conversation',
  contact: 'contact',
  lead: 'lead',
  booking: 'booking',
  broadcast: 'broadcast',
  import: 'import',
  call: 'call',
  campaign: 'campaign',
  knowledge: 'knowledge_document',
  template: 'template',
  webhook: 'webhook_endpoint',
  webhook_endpoint: 'webhook_endpoint',
  sla: 'conversation',
  tool: 'tool_call',
  payment: 'payment_order',
};

export const eventNotes: Partial<Record<string, string>> = {
  'contact.deleted': 'Here `data` is only `{id, object: "contact", deleted: true}`.',
  'contact.merged':
    '`data` is the kept contact after the merge, with `merged_contact_id`: the contact merged into it (its rows now belong to the kept one).',
  'contact.erased':
    'Everything of the deleted contact is erased (docs/privacy.md); `data` is only `{id, object: "contact", erased: true, erasure_id}`.',
  'conversation.escalated': '`data` also carries the handoff `reason`.',
  'conversation.assigned':
    'The actor is who assigned it: a person, a key, an automation, or `{type: "rule", id: <team id>}` when a team\'s assignment rule gave it out (`data.routed_by`) or queued it (`data.queued: true`). `data.previous_assignee` is who had it before (null when unassigned). `data.reason: "replied"`: a person who replied to a handed-off conversation held by someone else took it.',
  'conversation.handoff_timeout':
    "No person replied within the handoff policy's `reply_within_minutes`; `data.handoff_timeout` says what Parley did (`action`: reassign, ai_resume, callback or notify) and how many reassignments were made.",
  'sla.breached':
    "A target of the conversation's SLA policy passed unmet; `data.sla_breach` names it (`first_response`, `next_response` or `resolution`). Emitted once per target and conversation.",
  'csat.received': '`data` is the conversation, with the answer in its `csat`.',
  'knowledge.indexed':
    'Here `data` is the document without its `content` and `faqs` (read them with `GET /v1/agents/{id}/knowledge/{doc_id}`).',
  'booking.rescheduled': '`data` also carries `previous_start_at` and `previous_end_at`.',
  'conversation.reopened': '`data` also carries the `reason` it was reopened, when one was given.',
  'tool.called':
    'An agent (or a test) called a tool and it answered usably (`status` `ok`, `mocked`, or `skipped` for a write test not run live); `data` is the tool call, secrets masked.',
  'tool.failed':
    'A tool call failed (timeout, HTTP error, refused address, an answer too large or not JSON); `data.code` says why, secrets masked.',
  'payment.captured':
    'WhatsApp Payments (India): Meta reported the payment of an order sent with `order_details` as captured; `data` is the payment order (`GET /v1/payment-orders/{id}`) with the transaction.',
  'payment.failed':
    'WhatsApp Payments (India): the payment attempt of an order failed (`data.transaction.error` says why when Meta does); the customer may try again, and a later capture emits `payment.captured`.',
  'webhook.test':
    'Sent by `POST /v1/webhooks/{id}/test` to that endpoint only; `data` is the endpoint plus a `message`.',
};

/** Adds documented fields to an object schema (its other fields and rules stay). */
const withFields = (schema: Json, fields: Record<string, Json>): Json => ({
  ...schema,
  properties: { ...((schema.properties as Json) ?? {}), ...fields },
});

/** An object schema without some of its fields (a summary). */
function without(schema: Json, fields: string[]): Json {
  const properties = { ...((schema.properties as Json) ?? {}) };
  for (const f of fields) delete properties[f];
  const required = ((schema.required as string[] | undefined) ?? []).filter((f) => !fields.includes(f));
  return { ...schema, properties, required };
}

/** The `data` of an event whose payload is not exactly its object's state (eventNotes says how). */
export function eventDataSchema(type: string, objectSchema: Json): Json {
  const reason = (what: string): Json => ({
    type: ['string', 'null'],
    description: what,
    examples: ['Asked for a person'],
  });
  switch (type) {
    case 'contact.deleted':
    case 'contact.erased': {
      const flag = type === 'contact.deleted' ? 'deleted' : 'erased';
      const erasure: Record<string, Json> =
        flag === 'erased'
          ? { erasure_id: { type: 'string', description: 'The erasure (`GET /v1/erasures/{id}`).' } }
          : {};
      return {
        type: 'object',
        required: ['id', 'object', flag, ...Object.keys(erasure)],
        additionalProperties: false,
        properties: {
          id: (objectSchema.properties as Json | undefined)?.id ?? { type: 'string' },
          object: { const: 'contact', description: `The type of the ${flag} object.` },
          [flag]: { const: true, description: 'Always true.' },
          ...erasure,
        },
      };
    }
    case 'contact.merged':
      return withFields(objectSchema, {
        merged_contact_id: {
          type: 'string',
          description: 'The contact merged into this one.',
          examples: ['ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
        },
      });
    case 'conversation.escalated':
      return withFields(objectSchema, { reason: reason('Why the conversation was handed to people.') });
    case 'conversation.reopened':
      return withFields(objectSchema, { reason: reason('Why it was reopened, when a reason was given.') });
    case 'message.received':
    case 'message.sent':
      // A turn of a voice call is a message too, with where it falls in the call.
      return withFields(objectSchema, {
        call_id: { type: 'string', description: 'Voice turns only: the call.' },
        start_ms: {
          type: 'number',
          description: 'Voice turns only: where the turn starts in the call (ms).',
        },
        end_ms: { type: 'number', description: 'Voice turns only: where the turn ends in the call (ms).' },
        interrupted: { type: 'boolean', description: 'Voice turns only: whether the caller cut it short.' },
      });
    case 'conversation.assigned':
      return withFields(objectSchema, {
        previous_assignee: {
          type: ['object', 'null'],
          description: 'Who had it before, when it was assigned by hand (null when unassigned).',
          required: ['type', 'id'],
          additionalProperties: false,
          properties: {
            type: { enum: ['user', 'team'], description: 'A person or a team.' },
            id: { type: 'string', description: 'Their id.' },
          },
        },
        routed_by: {
          type: 'object',
          description: "A team's assignment rule gave it to a member.",
          required: ['team_id', 'mode'],
          additionalProperties: false,
          properties: {
            team_id: { type: 'string', description: 'The team.' },
            mode: { enum: ['manual', 'round_robin', 'balanced'], description: "The team's assignment mode." },
          },
        },
        queued: { const: true, description: "It waits in the team's queue for a free member." },
        reason: {
          const: 'replied',
          description:
            'A person replied to the handed-off conversation while someone else (or a queue) held it: it is theirs now (the actor).',
        },
      });
    case 'conversation.handoff_timeout':
      return withFields(objectSchema, {
        handoff_timeout: {
          type: 'object',
          description: 'What Parley did when nobody replied in time.',
          required: [
            'action',
            'policy_on_timeout',
            'reassignments',
            'max_reassignments',
            'reply_within_minutes',
            'exhausted',
          ],
          additionalProperties: false,
          properties: {
            action: {
              enum: ['reassign', 'ai_resume', 'callback', 'notify'],
              description: 'What was done (`notify` when a reassignment had no team or none left).',
            },
            policy_on_timeout: {
              enum: ['reassign', 'ai_resume', 'callback', 'notify'],
              description: "The policy's `on_timeout`.",
            },
            reassignments: { type: 'integer', description: 'Reassignments made so far in this handoff.' },
            max_reassignments: { type: 'integer', description: "The policy's `max_reassignments`." },
            reply_within_minutes: { type: 'integer', description: "The policy's reply timer (minutes)." },
            exhausted: {
              type: 'boolean',
              description: 'True when `max_reassignments` was reached, so it only notified.',
            },
          },
        },
      });
    case 'sla.breached':
      return withFields(objectSchema, {
        sla_breach: {
          enum: ['first_response', 'next_response', 'resolution'],
          description: 'The target that passed unmet.',
        },
      });
    case 'knowledge.indexed':
      return without(objectSchema, ['content', 'faqs']);
    case 'booking.rescheduled':
      return withFields(objectSchema, {
        previous_start_at: { type: 'string', description: 'The start before the change (ISO 8601).' },
        previous_end_at: { type: 'string', description: 'The end before the change (ISO 8601).' },
      });
    case 'webhook.test':
      return withFields(objectSchema, {
        message: {
          type: 'string',
          description: 'A line saying this is a test.',
          examples: ['A test event sent from the Parley API.'],
        },
      });
    default:
      return objectSchema;
  }
}
