import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  availabilityObject,
  availabilityQuery,
  bookingListQuery,
  bookingObject,
  cancelBookingBody,
  createBookingBody,
  rescheduleBookingBody,
} from './bookings.schemas.ts';
import {
  cancelBooking,
  checkAvailability,
  createBooking,
  getBookingRow,
  listBookings,
  presentBooking,
  rescheduleBooking,
} from './bookings.service.ts';

export const bookingRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/bookings',
    summary: 'List bookings',
    description:
      'Bookings of this workspace and mode, the latest start first, with their service, times (UTC) and status (`confirmed` or `cancelled`); filter with the query parameters.',
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:read',
    query: bookingListQuery,
    responses: { 200: listResponse(bookingObject) },
    handler: ok(({ ctx, auth, query }) =>
      listBookings(
        ctx,
        auth,
        {
          agent_id: query.agent_id,
          contact_id: query.contact_id,
          conversation_id: query.conversation_id,
          status: query.status,
          from: query.from,
          to: query.to,
        },
        pageRequest(query),
      ),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/bookings',
    summary: 'Book an appointment',
    description:
      "The slot must be in the future and within the business's opening hours on a day it is open (else 422 `unprocessable`), and must not overlap a confirmed booking of the agent or its buffer (else 409 `conflict`; concurrent requests for one slot: exactly one wins). Any start minute is accepted; availability suggests starts every 15 minutes.",
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:write',
    body: createBookingBody,
    responses: { 201: bookingObject },
    errors: ['conflict', 'unprocessable', 'not_found'],
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      body: await createBooking(ctx, auth, body, auth.actor),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/bookings/:id',
    summary: 'Retrieve a booking',
    description:
      "One booking: agent, contact, conversation, service, `start_at` and `end_at` (UTC; the business's timezone is on the agent), status (`confirmed` or `cancelled`) and notes.",
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:read',
    params: idParams('bk'),
    responses: { 200: bookingObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentBooking(await getBookingRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/bookings/:id/cancel',
    summary: 'Cancel a booking',
    description: 'Frees the slot. A booking already cancelled answers 409 `conflict`.',
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:write',
    params: idParams('bk'),
    body: cancelBookingBody,
    responses: { 200: bookingObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) => cancelBooking(ctx, auth, params.id, body, auth.actor)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/bookings/:id/reschedule',
    summary: 'Reschedule a booking',
    description:
      'Moves the booking, checked like a new one (422 outside hours or in the past, 409 overlapping another booking or when cancelled).',
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:write',
    params: idParams('bk'),
    body: rescheduleBookingBody,
    responses: { 200: bookingObject },
    errors: ['conflict', 'unprocessable'],
    handler: ok(({ ctx, auth, params, body }) => rescheduleBooking(ctx, auth, params.id, body, auth.actor)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/agents/:id/availability',
    summary: "Free slots of an agent's business on a day",
    description:
      "Slots start every 15 minutes from each opening time and last the service's duration (30 minutes without a service).",
    tags: ['Bookings'],
    auth: 'key',
    scope: 'bookings:read',
    params: idParams('agt'),
    query: availabilityQuery,
    responses: { 200: availabilityObject },
    handler: ok(({ ctx, auth, params, query }) =>
      checkAvailability(ctx, auth, params.id, { date: query.date, serviceId: query.service_id }),
    ),
  }),
];
