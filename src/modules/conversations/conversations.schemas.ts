import { z } from 'zod';
import { baseObject, describe, idOf, nullableTimestamp, queryBoolean } from '../../platform/http/schemas.ts';
import { channelTypes } from '../channels/index.ts';
import { sourceObject } from './conversations.source.ts';

/** What came of a conversation or a call (SPEC: Analysis and reports); null until computed. */
export const analysisObject = z
  .object({
    summary: describe(
      z.string().nullable(),
      'A short summary.',
      'Asked for a haircut on Saturday; booked 5 PM.',
    ),
    data: describe(z.record(z.string(), z.unknown()).nullable(), "Fields of the agent's analysis schema.", {
      booked: true,
    }),
    success: describe(z.boolean().nullable(), 'Whether the success criteria were met (null: unsure).', true),
    sentiment: describe(
      z.enum(['positive', 'neutral', 'negative']).nullable(),
      "The customer's sentiment.",
      'positive',
    ),
    engine: describe(z.string(), 'What computed it: builtin, or the model.', 'builtin'),
    computed_at: describe(z.string(), 'When it was computed.', '2026-05-10T08:23:41Z'),
    error: describe(z.string().nullable().optional(), 'Why part of it could not be computed.', null),
  })
  .nullable();

export const conversationObject = z.object({
  ...baseObject('conv', 'conversation'),
  channel: describe(z.string(), 'Channel type: whatsapp, sms or email.', 'whatsapp'),
  channel_id: idOf('ch', 'The channel of the thread.'),
  contact: describe(
    z.object({
      id: idOf('ct', 'The contact.'),
      phone: describe(z.string().nullable(), 'Phone (E.164).', '+919876543210'),
      name: describe(z.string().nullable(), 'Name.', 'Rahul Verma'),
      email: describe(z.string().nullable(), 'Email.', null),
    }),
    'The customer.',
  ),
  contact_phone: describe(z.string().nullable(), "The customer's phone (E.164).", '+919876543210'),
  contact_address: describe(
    z.string(),
    "The customer's address on this channel (phone or email).",
    '+919876543210',
  ),
  agent_id: describe(
    z.string().nullable(),
    'The AI agent answering this conversation.',
    'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  status: describe(z.enum(['active', 'snoozed', 'closed']), 'Lifecycle status.', 'active'),
  ai_handled: describe(z.boolean(), 'True once the AI agent has replied in it.', true),
  ai_paused: describe(z.boolean(), 'True while handed off to people (the AI does not answer).', false),
  handoff_reason: describe(z.string().nullable(), 'Why it was handed off.', null),
  handoff: describe(
    z
      .object({
        reason: describe(z.string().nullable(), 'Why it was handed off.', 'Customer asked for a person'),
        started_at: nullableTimestamp('When the handoff began (null for one made before this was recorded)'),
        started_by: describe(
          z
            .object({
              type: describe(
                z.enum(['api_key', 'user', 'ai', 'customer', 'system', 'rule', 'automation']),
                'Who handed it off.',
                'ai',
              ),
              id: describe(z.string().nullable(), 'Its id.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
            })
            .nullable(),
          'Who handed it off.',
        ),
        waiting_since: nullableTimestamp(
          'Since when the customer has waited for a person: the handoff, or their first message after a person last replied; null once a person (user or API key) has replied',
        ),
        waiting_for: describe(
          z
            .object({
              type: describe(z.enum(['user', 'team']), 'User or team.', 'team'),
              id: describe(z.string(), 'Its id.', 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
            })
            .nullable(),
          'Who the customer waits for: the assignee, or null when anyone in the workspace may answer.',
        ),
      })
      .nullable(),
    'The current handoff (null while the AI answers): when it began, who handed off, and who waits for whom since when.',
  ),
  assignee: describe(
    z
      .object({
        type: describe(z.enum(['user', 'team']), 'User or team.', 'user'),
        id: describe(z.string(), 'Its id.', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
      })
      .nullable(),
    'Who works on it.',
  ),
  tags: describe(z.array(z.string()), 'Tags (lowercase).', ['vip']),
  last_message: describe(
    z.string().nullable(),
    'A preview of the latest message.',
    'Bhai, aapka salon Sunday ko open hai?',
  ),
  last_message_at: nullableTimestamp('When the latest message was written'),
  last_message_sender: describe(
    z.enum(['customer', 'ai', 'user', 'api_key', 'system']).nullable(),
    'Who wrote the latest message (null before the first one).',
    'customer',
  ),
  window_expires_at: nullableTimestamp(
    'WhatsApp, Messenger, Instagram: when the 24-hour window for free-form messages (and, on Messenger and Instagram, for any AI, API or automation send) closes',
  ),
  human_agent_window_expires_at: nullableTimestamp(
    "Messenger and Instagram: until when a person may still reply from the inbox (Meta's HUMAN_AGENT tag, 7 days after the customer's last message); null on other channels",
  ),
  snoozed_until: nullableTimestamp('When a snoozed conversation wakes up'),
  closed_at: nullableTimestamp('When it was closed'),
  dynamic_variables: describe(z.record(z.string(), z.unknown()), 'Variables for the agent and templates.', {
    firstName: 'Ava',
  }),
  identifier: describe(z.string().nullable(), 'Your own reference for it.', 'crm-contact-1024'),
  priority: describe(
    z.enum(['low', 'normal', 'high', 'urgent']),
    'Priority (SLA policies may apply by it).',
    'normal',
  ),
  sla: describe(
    z
      .object({
        policy_id: describe(z.string(), 'The SLA policy that applies.', 'sla_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        first_response_due_at: nullableTimestamp('When the first reply by a person is due'),
        next_response_due_at: nullableTimestamp(
          "When the next reply to the customer's waiting message is due",
        ),
        resolution_due_at: nullableTimestamp('When the conversation is due to be resolved'),
        breached: describe(
          z.array(z.enum(['first_response', 'next_response', 'resolution'])),
          'Targets missed so far.',
          [],
        ),
      })
      .nullable(),
    'The SLA that applies and its due times (null: no policy applies).',
  ),
  csat: describe(
    z
      .object({
        score: describe(z.number().int().nullable(), 'The answer on the 1-5 scale.', 5),
        comment: describe(z.string().nullable(), "The customer's words, if any.", 'Very quick, thanks'),
        at: describe(z.string(), 'When the answer came.', '2026-05-10T08:23:41Z'),
      })
      .nullable(),
    "The customer's satisfaction answer after resolve (null: none yet).",
  ),
  analysis: describe(
    analysisObject,
    'What came of the conversation (null until it is resolved and analysed).',
  ),
  source: sourceObject,
});

const assignFields = {
  user_id: describe(
    idOf('usr').nullable(),
    'Assign to this user; `null` unassigns. Give exactly one of user_id and team_id.',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  team_id: describe(
    idOf('team').nullable(),
    'Assign to this team; `null` unassigns. Give exactly one of user_id and team_id.',
    'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
};

export const assignBody = z
  .strictObject(assignFields)
  .meta({ examples: [{ user_id: 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }] });
export const tagsBody = z.strictObject({
  tags: describe(
    z.array(z.string().trim().min(1).max(64)).max(50),
    'The whole set of tags (replaces the current ones).',
    ['vip', 'refund'],
  ),
});
const iso8601 = 'must be an ISO 8601 time (2026-05-11T09:00:00Z) or duration (PT2H)';

export const snoozeBody = z.strictObject({
  until: describe(
    z.string().min(3, iso8601).max(40, iso8601),
    'When it wakes up (ISO 8601, future, within a year), or a duration from now (ISO 8601: `PT2H`, `P1D`).',
    'PT2H',
  ),
});
export const handoffBody = z.strictObject({
  reason: describe(
    z.string().trim().min(1).max(500),
    'Why a person should take over.',
    'Customer asks for a refund',
  ),
  assign_to: describe(
    z.union(
      [
        z.strictObject({
          type: describe(z.enum(['user', 'team']), 'User or team.', 'team'),
          id: describe(
            z.string().regex(/^(usr|team)_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a usr_ or team_ id'),
            'Its id.',
            'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
          ),
        }),
        // The shape `POST .../assign` takes works here too.
        z
          .strictObject({ user_id: idOf('usr', 'The user.') })
          .transform((v) => ({ type: 'user' as const, id: v.user_id })),
        z
          .strictObject({ team_id: idOf('team', 'The team.') })
          .transform((v) => ({ type: 'team' as const, id: v.team_id })),
      ],
      { error: 'must be {"type": "user" or "team", "id": ...}, {"user_id": ...} or {"team_id": ...}' },
    ),
    'Assign it at the same time: `{type, id}`, or `{user_id}` / `{team_id}` as `POST .../assign` takes.',
  ).optional(),
});

export const bulkBody = z
  .strictObject({
    ids: describe(z.array(idOf('conv')).min(1).max(100), 'Up to 100 conversation ids.', [
      'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    ]),
    action: describe(
      z.enum(['close', 'reopen', 'snooze', 'assign', 'tag', 'untag']),
      'What to do with each.',
      'close',
    ),
    until: describe(
      z.string().min(3, iso8601).max(40, iso8601),
      'For snooze: when they wake up (ISO 8601 time, or a duration from now such as `PT2H`).',
      '2026-05-11T09:00:00Z',
    ).optional(),
    ...assignFields,
    tags: describe(
      z.array(z.string().trim().min(1).max(64)).min(1).max(50),
      'For tag and untag: tags to add or remove.',
      ['vip'],
    ).optional(),
  })
  .meta({ examples: [{ ids: ['conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'], action: 'close' }] });

export const bulkResponse = z.object({
  action: describe(z.string(), 'The action applied.', 'close'),
  results: describe(
    z.array(
      z.object({
        id: describe(z.string(), 'The conversation id.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        ok: describe(z.boolean(), 'Whether it worked for this id.', true),
        conversation: describe(conversationObject.nullable(), 'Its state after.', null),
        error: describe(
          z
            .object({
              code: describe(z.string(), 'Error code.', 'not_found'),
              message: describe(z.string(), 'What went wrong.', 'No conversation with id conv_...'),
            })
            .nullable(),
          'Why it failed.',
          null,
        ),
      }),
    ),
    'One result per id.',
  ),
});

export const listConversationsQuery = {
  status: describe(z.enum(['active', 'snoozed', 'closed']), 'Only in this status.', 'active').optional(),
  channel: describe(z.enum([...channelTypes, 'web']), 'Only on this channel.', 'whatsapp').optional(),
  assignee: describe(
    z.string().regex(/^((usr|team)_[0-9A-HJKMNP-TV-Z]{26}|none)$/, 'must be a usr_ or team_ id, or none'),
    'Only assigned to this user or team (`none`: unassigned).',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  tag: describe(z.string().min(1).max(64), 'Only with this tag.', 'vip').optional(),
  contact_id: idOf('ct', 'Only with this contact.').optional(),
  agent_id: idOf('agt', 'Only answered by this agent.').optional(),
  ai_paused: queryBoolean('Only handed off (true) or only AI-run (false).'),
  priority: describe(
    z.enum(['low', 'normal', 'high', 'urgent']),
    'Only with this priority.',
    'urgent',
  ).optional(),
  q: describe(
    z.string().min(1).max(200),
    'Search the last message, the customer address and name.',
    'refund',
  ).optional(),
  from: describe(
    z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    'Only conversations whose last message was written at or after this time (ISO 8601).',
    '2026-05-10T00:00:00Z',
  ).optional(),
  to: describe(
    z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    'Only conversations whose last message was written before this time (ISO 8601).',
    '2026-05-17T00:00:00Z',
  ).optional(),
};
