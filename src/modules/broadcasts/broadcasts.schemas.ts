import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';

export const MAX_LISTED_RECIPIENTS = 10_000;

const templateName = describe(z.string().min(1).max(512), 'Name of an approved template.', 'diwali_offer');

const variableValue = z.union([z.string().max(1024), z.number()]);
/** A list for `{{1}}` templates (`["a", "b"]` is `{"1": "a", "2": "b"}`), or an object by placeholder. */
const variablesInput = z.union([
  z.record(
    z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'placeholder names are letters, digits and `_`'),
    variableValue,
  ),
  z.array(variableValue).max(100),
]);

export const createBroadcastBody = z
  .strictObject({
    name: describe(z.string().trim().min(1).max(200), 'Name of the broadcast.', 'Diwali offer'),
    template: describe(
      z.union([
        templateName,
        z.strictObject({
          name: templateName,
          language: describe(
            z.string().min(2).max(20),
            'Language code (optional when the name exists in one language only).',
            'en',
          ).optional(),
          variables: describe(
            variablesInput,
            'Template variables, as the top-level `variables` takes them (which win where both name one).',
            ['{{name|there}}', 'Sunday'],
          ).optional(),
        }),
      ]),
      'The approved template to send: its name, or `{name, language, variables?}` (as `POST /v1/messages` takes it).',
      { name: 'diwali_offer', language: 'en' },
    ),
    audience_id: idOf(
      'aud',
      'Send to this audience (a rule audience is evaluated when sending starts).',
    ).optional(),
    contact_ids: describe(
      z.array(idOf('ct')).min(1).max(MAX_LISTED_RECIPIENTS),
      'Send to these contacts (at most 10,000).',
      ['ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
    ).optional(),
    phones: describe(
      z.array(z.string().max(40)).min(1).max(MAX_LISTED_RECIPIENTS),
      'Send to these phone numbers (at most 10,000); a number with no contact yet gets one.',
      ['+919876543210'],
    ).optional(),
    variables: describe(
      variablesInput,
      'Template variables by placeholder ("1" or "name"), or a list for `{{1}}`, `{{2}}`... A value may use the contact\'s fields: `{{name}}`, `{{phone}}`, `{{email}}`, `{{attributes.city}}`, with a default after `|` (`{{name|there}}`). A named placeholder left out takes the contact\'s field or attribute of that name.',
      { '1': '{{name|there}}', code: 'DIWALI20' },
    ).optional(),
    send_at: describe(
      z.iso.datetime({ offset: true }),
      'When to start sending (ISO 8601); now when omitted or in the past.',
      '2026-10-20T04:30:00Z',
    ).optional(),
    from: describe(
      z.string().min(1).max(64),
      'The WhatsApp channel address to send from (default: the first active WhatsApp channel; the sandbox in test mode).',
      '+14155550100',
    ).optional(),
    valid_for_hours: describe(
      z.number().int().min(1).max(720),
      "How long after its start the broadcast's messages are still worth sending (default 72): a recipient Meta held back for its per-user marketing limit (131049) is retried 12, 24 and 48 hours later, within this time.",
      72,
    ).optional(),
  })
  .meta({
    examples: [
      {
        name: 'Diwali offer',
        template: { name: 'appointment_reminder', language: 'en' },
        audience_id: 'aud_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        variables: { '1': '{{name|there}}', '2': 'Saturday 5 PM' },
        send_at: '2030-10-20T04:30:00Z',
      },
    ],
  });

export const broadcastStatuses = ['scheduled', 'sending', 'completed', 'cancelled', 'failed'] as const;
export const recipientStatuses = [
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
  'cancelled',
  'deferred',
  'frequency_capped',
] as const;

const count = (d: string, e: number) => describe(z.number().int(), d, e);

export const broadcastCounts = describe(
  z.object({
    total: count('Recipients so far (grows while the audience is expanded).', 1200),
    queued: count('Not yet handed to the provider (waiting, or a message still queued).', 100),
    sent: count('Messages accepted by the provider, not yet delivered.', 300),
    delivered: count('Messages delivered, not yet read.', 500),
    read: count('Messages read.', 250),
    failed: count('Recipients whose send was refused or whose message failed.', 20),
    skipped: count('Recipients left out: opted out or on do-not-disturb.', 30),
    cancelled: count('Recipients not sent because the broadcast was cancelled.', 0),
    deferred: count(
      "Recipients Meta held back for its per-user marketing limit (131049), waiting to be sent again (12, 24 and 48 hours later, within the broadcast's validity).",
      12,
    ),
    frequency_capped: count(
      "Recipients Meta held back for its per-user marketing limit (131049) with no retry left in the broadcast's validity: not counted as failed.",
      3,
    ),
  }),
  "Live counts from each recipient's message status (each recipient in exactly one).",
);

const errorObject = z.object({
  code: describe(z.string(), 'Error code.', 'contact_opted_out'),
  message: describe(z.string(), 'What went wrong.', 'Contact ct_... opted out of messages.'),
});

export const broadcastObject = z.object({
  ...baseObject('bc', 'broadcast'),
  name: describe(z.string(), 'Name.', 'Diwali offer'),
  status: describe(
    z.enum(broadcastStatuses),
    '`scheduled` (waiting for send_at), `sending`, `completed` (every recipient handed to the provider or left out), `cancelled`, or `failed` (its audience was deleted before sending).',
    'sending',
  ),
  template: describe(
    z.object({
      name: describe(z.string(), 'Template name.', 'diwali_offer'),
      language: describe(z.string(), 'Template language.', 'en'),
    }),
    'The template sent.',
  ),
  variables: describe(z.record(z.string(), z.union([z.string(), z.number()])), 'Template variables.', {
    '1': '{{name|there}}',
  }),
  source: describe(
    z.enum(['audience', 'contact_ids', 'phones']),
    'Where the recipients come from.',
    'audience',
  ),
  audience_id: describe(
    z.string().nullable(),
    'The audience, for an audience broadcast.',
    'aud_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  from: describe(z.string().nullable(), 'The sending channel address, when one was chosen.', null),
  send_at: nullableTimestamp('When sending starts'),
  counts: broadcastCounts,
  error: describe(errorObject.nullable(), 'Why the broadcast failed, if it did.', null),
  started_at: nullableTimestamp('When sending started'),
  cancelled_at: nullableTimestamp('When it was cancelled'),
  completed_at: nullableTimestamp('When every recipient reached a final state'),
  valid_until: nullableTimestamp(
    'Until when held-back recipients are retried (the start plus `valid_for_hours`)',
  ),
  warning: describe(
    z.string().nullable(),
    'Something to look at before it sends (its template was moved to the marketing category by Meta after it was scheduled), else null.',
    null,
  ),
  paced_until: nullableTimestamp(
    "While the WhatsApp number's messaging tier (business-initiated conversations with unique users per 24 hours, `GET /v1/channels/{id}/health`) is used up: when sending resumes",
  ),
});

export const recipientObject = z.object({
  ...baseObject('bcr', 'broadcast_recipient'),
  broadcast_id: idOf('bc'),
  contact_id: idOf('ct'),
  phone: describe(z.string().nullable(), 'The phone the message went to (E.164).', '+919876543210'),
  status: describe(
    z.enum(recipientStatuses),
    "The recipient's state: its message's status once handed over, else queued, skipped or cancelled; `deferred` while waiting to be sent again after Meta's per-user marketing limit (131049), `frequency_capped` when no retry was left.",
    'delivered',
  ),
  message_id: describe(
    z.string().nullable(),
    'The message sent, once handed over.',
    'msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  error: describe(errorObject.nullable(), 'Why it was skipped or failed.', null),
});

export const listBroadcastsQuery = listQuery({
  status: describe(z.enum(broadcastStatuses), 'Only broadcasts in this status.', 'completed').optional(),
});

export const listRecipientsQuery = listQuery({
  status: describe(z.enum(recipientStatuses), 'Only recipients in this status.', 'failed').optional(),
});
