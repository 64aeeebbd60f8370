import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** One ajv validator per event type, from the `webhooks` entries of the committed openapi.json. */
const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
export const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
// The named object schemas (`#/components/schemas/Contact`) are referred to from the events.
ajv.addSchema({ $id: 'openapi.json', components: openapi.components });
const pointer = (type: string) => type.replace(/~/g, '~0').replace(/\//g, '~1');
export const validators = new Map(
  Object.entries(openapi.webhooks as Record<string, any>).map(([type, entry]) => [
    type,
    ajv.compile({
      $id: `webhook-${pointer(type)}`,
      ...JSON.parse(
        JSON.stringify(entry.post.requestBody.content['application/json'].schema).replaceAll(
          '"#/components/',
          '"openapi.json#/components/',
        ),
      ),
    }),
  ]),
);

/**
 * An event of a person who was erased keeps only `{id, object, erased: true}` (docs/privacy.md):
 * that it happened, and when, not what it said.
 */
export const erasedEvent = (e: { data?: Record<string, unknown> }) =>
  e.data?.erased === true && Object.keys(e.data).sort().join() === 'erased,id,object';

/** Reads every event of the key's workspace (`GET /v1/events`) and validates each one. */
export async function validateAllEvents(
  list: (url: string) => Promise<any>,
): Promise<{ seen: Set<string>; failures: string[] }> {
  const seen = new Set<string>();
  const failures: string[] = [];
  for (let page = 1; ; page++) {
    const res = await list(`/v1/events?per_page=100&page=${page}`);
    for (const e of res.data) {
      seen.add(e.event);
      const validate = validators.get(e.event);
      if (!validate) failures.push(`${e.event}: not documented`);
      else if (!erasedEvent(e) && !validate(e))
        failures.push(`${e.event}: ${ajv.errorsText(validate.errors)}`);
    }
    if (!res.data.length || page >= (res.meta?.total_pages ?? 1)) break;
  }
  return { seen, failures };
}

/**
 * The event types each payload test emits and validates (each file asserts it saw all of its
 * list); webhook-payloads-rest.test.ts asserts that together they are every documented type.
 */
export const COVERED_BY_PAYLOADS = [
  'webhook.test',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.merged',
  'contact.erased',
  'message.received',
  'conversation.created',
  'conversation.escalated',
  'conversation.handoff_resolved',
  'conversation.resolved',
  'conversation.reopened',
  'knowledge.indexed',
  'booking.created',
  'booking.rescheduled',
  'booking.cancelled',
  'call.started',
  'call.answered',
  'call.completed',
];
export const COVERED_BY_MORE = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.note_added',
  'conversation.created',
  'conversation.assigned',
  'conversation.tagged',
  'conversation.snoozed',
  'conversation.resolved',
  'conversation.analyzed',
  'contact.created',
  'lead.captured',
  'lead.updated',
  'lead.qualified',
  'template.status_updated',
  'import.completed',
  'broadcast.completed',
  'call.started',
  'call.answered',
  'call.completed',
  'call.failed',
  'webhook_endpoint.disabled',
  'csat.received',
];
export const COVERED_BY_REST = [
  'message.failed',
  'message.edited',
  'message.deleted',
  'conversation.handoff_timeout',
  'sla.breached',
  'campaign.completed',
  'call.analyzed',
];
/** Emitted and validated by whatsapp-interactive.test.ts (India payments). */
export const COVERED_BY_PAYMENTS = ['payment.captured', 'payment.failed'];
/** Emitted and validated by tools.test.ts. */
export const COVERED_BY_TOOLS = ['tool.called', 'tool.failed'];
