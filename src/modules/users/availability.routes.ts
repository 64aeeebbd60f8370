import { z } from 'zod';
import { ApiError } from '../../platform/errors.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { describe, idOf, idParams } from '../../platform/http/schemas.ts';
import { availabilityOf, setAvailability, setMyAvailability } from './availability.ts';

const availabilityObject = z.object({
  object: describe(z.literal('availability'), 'Always `availability`.', 'availability'),
  user_id: describe(idOf('usr'), 'The user.', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  availability: describe(
    z.enum(['online', 'busy', 'offline']),
    'What routing sees: the value set by hand, else online while the inbox is open.',
    'online',
  ),
  set_by_hand: describe(z.boolean(), 'Whether the value was set by hand (it wins over presence).', false),
  inbox_open: describe(z.boolean(), 'Whether the user has the inbox open on some server process.', true),
  max_open_conversations: describe(
    z.number().int().nullable(),
    'Capacity: the most open conversations routing gives the user (null: no limit).',
    3,
  ),
});

const setAvailabilityBody = z.strictObject({
  availability: describe(
    z.enum(['online', 'busy', 'offline', 'auto']),
    '`online`, `busy` or `offline` by hand (wins over presence until changed); `auto` goes back to presence: online while the inbox is open.',
    'busy',
  ),
});

export const availabilityRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/me/availability',
    summary: 'My availability',
    description:
      "The signed-in user's availability as routing sees it (inbox sessions only; an API key is a 403).",
    tags: ['Users'],
    auth: 'key',
    responses: { 200: availabilityObject },
    errors: ['forbidden'],
    handler: async ({ ctx, auth }) => {
      if (auth.kind !== 'user')
        throw new ApiError('forbidden', 'Availability belongs to a person: call this with an inbox session.');
      return { status: 200, body: await availabilityOf(ctx, auth, auth.principalId) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/me/availability',
    summary: 'Set my availability',
    description:
      "Sets the signed-in user online, busy or offline by hand (it wins over presence), or `auto` (online while the inbox is open). Coming online gives out what waits in the queues of the user's teams at once. Inbox sessions only; an API key is a 403.",
    tags: ['Users'],
    auth: 'key',
    body: setAvailabilityBody,
    responses: { 200: availabilityObject },
    errors: ['forbidden'],
    handler: ok(({ ctx, auth, body }) => setMyAvailability(ctx, auth, body.availability)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users/:id/availability',
    summary: "A user's availability",
    description:
      "A user's availability as routing sees it (for supervisors and scripts; the user's own is `GET /v1/me/availability`).",
    tags: ['Users'],
    auth: 'key',
    scope: 'users:read',
    params: idParams('usr'),
    responses: { 200: availabilityObject },
    handler: ok(({ ctx, auth, params }) => availabilityOf(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/users/:id/availability',
    summary: "Set a user's availability",
    description:
      "Sets a user online, busy or offline by hand (it wins over presence), or `auto` (online while their inbox is open), as a supervisor or a script would: someone who left without signing out is set offline so routing stops giving them conversations. Coming online gives out what waits in the user's teams' queues at once.",
    tags: ['Users'],
    auth: 'key',
    scope: 'users:write',
    params: idParams('usr'),
    body: setAvailabilityBody,
    responses: { 200: availabilityObject },
    handler: ok(({ ctx, auth, params, body }) => setAvailability(ctx, auth, params.id, body.availability)),
  }),
];
