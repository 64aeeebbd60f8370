import { z } from 'zod';
import { defineRoute, ok } from '../../../platform/http/route.ts';
import { describe, idOf, idParams, timestamp } from '../../../platform/http/schemas.ts';
import { assignmentObject } from '../../users/index.ts';
import { teamQueue } from './queue.service.ts';

const queueEntry = z.object({
  position: describe(z.number().int(), '1 for the next conversation to be given out.', 1),
  conversation_id: describe(idOf('conv'), 'The waiting conversation.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  channel: describe(z.string(), 'Its channel type.', 'whatsapp'),
  contact_id: describe(z.string(), 'Its contact.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  contact: describe(
    z.object({
      id: describe(z.string(), 'The contact.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
      name: describe(z.string().nullable(), 'Their name, if known.', 'Asha Rao'),
      phone: describe(z.string().nullable(), 'Their phone.', '+919812345678'),
      email: describe(z.string().nullable(), 'Their email.', null),
    }),
    'Who the customer is.',
  ),
  priority: describe(z.enum(['low', 'normal', 'high', 'urgent']), 'Its priority.', 'normal'),
  handoff_reason: describe(
    z.string().nullable(),
    'Why it was handed off, if it was.',
    'customer asked for a person',
  ),
  last_message: describe(z.string().nullable(), 'Its latest message (a preview).', 'Can I talk to someone?'),
  queued_at: timestamp('Since when it is in the queue (a reassignment puts it back in with a new time)'),
  waiting_since: timestamp(
    "Since when the customer has waited: their first unanswered message (else the handoff's start, else `queued_at`)",
  ),
  waiting_seconds: describe(
    z.number().int(),
    'How long the customer has waited, in seconds (from `waiting_since`, not restarted by a reassignment).',
    95,
  ),
});

const queueObject = z.object({
  object: describe(z.literal('team_queue'), 'Always `team_queue`.', 'team_queue'),
  team_id: describe(idOf('team'), 'The team.', 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  assignment: assignmentObject,
  total: describe(z.number().int(), 'How many conversations wait in all.', 12),
  members: describe(
    z.array(
      z.object({
        user_id: describe(z.string(), 'The member.', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        availability: describe(z.enum(['online', 'busy', 'offline']), 'As routing sees it.', 'online'),
        capacity: describe(
          z.number().int().nullable(),
          "The tighter of the user's capacity and the team's `max_per_user` (null: no limit).",
          3,
        ),
      }),
    ),
    'The members, their availability and capacity (the tighter of theirs and the team rule).',
    [{ user_id: 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D', availability: 'online', capacity: 3 }],
  ),
  data: describe(
    z.array(queueEntry),
    'The waiting conversations in the order they are given out: urgent, high, normal, low; within a priority the longest wait first.',
  ),
});

export const queueRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/teams/:id/queue',
    summary: "A team's queue",
    description:
      'Conversations routed to the team that wait for a member (all members full, busy or offline; or the team assigns by hand), urgent first then by the longest wait, with how long each customer has waited. They are given out in that order the moment a member has room: resolves one, comes online, or gets more capacity. A team with no members keeps its conversations here.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:read',
    params: idParams('team'),
    query: z.object({
      limit: describe(z.coerce.number().int().min(1).max(500), 'How many to return.', 100).default(100),
    }),
    responses: { 200: queueObject },
    handler: ok(({ ctx, auth, params, query }) => teamQueue(ctx, auth, params.id, query.limit)),
  }),
];
