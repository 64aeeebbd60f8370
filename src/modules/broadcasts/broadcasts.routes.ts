import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import { getBroadcast, listBroadcasts, listRecipients } from './broadcasts.read.ts';
import {
  broadcastObject,
  createBroadcastBody,
  listBroadcastsQuery,
  listRecipientsQuery,
  recipientObject,
} from './broadcasts.schemas.ts';
import { cancelBroadcast, createBroadcast } from './broadcasts.service.ts';

const createDescription =
  'Accepts the broadcast at once (202) and sends in the background, from `send_at` if given: recipients are expanded from the audience (a rule audience as it is when sending starts), `contact_ids` or `phones`, and each gets the template through the same path as POST /v1/messages (opt-out, do-not-disturb, template approval, messages per hour), sent by the key that created the broadcast. ' +
  "Opted-out and do-not-disturb contacts are `skipped`; other refusals make the recipient `failed` with the code. When the plan's messages per hour run out, the remaining recipients wait for the window to reset (nothing fails). " +
  '`broadcast.completed` is emitted once every recipient is handed to the provider (its message sent, delivered, read or failed) or left out (skipped, failed before sending, cancelled); deliveries and reads after that keep moving the counts. ' +
  'Errors: 400 with every invalid phone, unknown contact id or template variable named in `errors` (nothing is written); 404 for an unknown audience; 422 `template_not_approved` for a missing or unapproved template; 422 `channel_not_configured` for an unknown `from` (or live mode without a WhatsApp channel).';

export const broadcastRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/broadcasts',
    summary: 'List broadcasts',
    description:
      'Broadcasts of this workspace and mode, newest first, each with its live counts (`total`, `queued`, `sent`, `delivered`, `read`, `failed`).',
    tags: ['Broadcasts'],
    auth: 'key',
    scope: 'broadcasts:read',
    query: listBroadcastsQuery,
    responses: { 200: listResponse(broadcastObject) },
    handler: ok(({ ctx, auth, query }) => listBroadcasts(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/broadcasts',
    summary: 'Send a template to many contacts',
    description: createDescription,
    tags: ['Broadcasts'],
    auth: 'key',
    scope: 'broadcasts:write',
    body: createBroadcastBody,
    responses: { 202: broadcastObject },
    errors: ['validation_failed', 'not_found', 'template_not_approved', 'channel_not_configured'],
    handler: async ({ ctx, auth, body }) => ({ status: 202, body: await createBroadcast(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/broadcasts/:id',
    summary: 'Get a broadcast with live counts',
    description:
      "The counts are read from the recipients' messages each time, so they follow every status change.",
    tags: ['Broadcasts'],
    auth: 'key',
    scope: 'broadcasts:read',
    params: idParams('bc'),
    responses: { 200: broadcastObject },
    handler: ok(({ ctx, auth, params }) => getBroadcast(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/broadcasts/:id/cancel',
    summary: 'Cancel a broadcast',
    description:
      'Recipients not yet handed to messaging become `cancelled`; messages already sent are not recalled. Cancelling a cancelled broadcast returns it; a completed or failed one is 409.',
    tags: ['Broadcasts'],
    auth: 'key',
    scope: 'broadcasts:write',
    params: idParams('bc'),
    responses: { 200: broadcastObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params }) => cancelBroadcast(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/broadcasts/:id/recipients',
    summary: "List a broadcast's recipients",
    description:
      "Who the broadcast went to: each recipient's phone, contact, message id and delivery status; filter by `status` to find the failures.",
    tags: ['Broadcasts'],
    auth: 'key',
    scope: 'broadcasts:read',
    params: idParams('bc'),
    query: listRecipientsQuery,
    responses: { 200: listResponse(recipientObject) },
    handler: ok(({ ctx, auth, params, query }) =>
      listRecipients(ctx, auth, params.id, query, pageRequest(query)),
    ),
  }),
];
