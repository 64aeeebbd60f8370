import { z } from 'zod';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import {
  deletedResponse,
  describe,
  idOf,
  idParams,
  listQuery,
  listResponse,
} from '../../platform/http/schemas.ts';
import {
  channelObject,
  channelTypes,
  createChannelBody,
  createdChannelObject,
  providerNames,
  updateChannelBody,
} from './channels.schemas.ts';
import {
  createChannel,
  deleteChannel,
  getChannelRow,
  listChannels,
  presentChannel,
  updateChannel,
} from './channels.service.ts';

const scopeOf = (auth: { workspaceId: string; livemode: boolean; defaultCountry: string }) => ({
  workspaceId: auth.workspaceId,
  livemode: auth.livemode,
  defaultCountry: auth.defaultCountry,
});

export const channelRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/channels',
    summary: 'List channels',
    description:
      "The workspace's channels (WhatsApp numbers, SMS numbers, email addresses, phone lines) in the key's mode, with their provider, address, bound agent, status and the `inbound_url` to paste into the provider's console. Credentials are never returned.",
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:read',
    query: listQuery({
      type: describe(z.enum(channelTypes), 'Only channels of this type.', 'whatsapp').optional(),
      provider: describe(z.enum(providerNames), 'Only channels of this provider.', 'meta').optional(),
      agent_id: idOf('agt', 'Only the channels bound to this agent.').optional(),
    }),
    responses: { 200: listResponse(channelObject) },
    handler: ok(({ ctx, auth, query }) => listChannels(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/channels',
    summary: 'Connect a channel',
    description:
      'Connects a WhatsApp number (Meta Cloud API), an SMS or voice number (Twilio), an email address (SMTP) or a sandbox channel. Credentials are checked per provider, encrypted at rest and never returned. The response gives the inbound URL to paste into the provider console; email channels also get an `inbound_token`, shown only here.',
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:write',
    body: createChannelBody,
    responses: { 201: createdChannelObject },
    errors: ['validation_failed', 'conflict', 'not_found'],
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      body: await createChannel(ctx, scopeOf(auth), body),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/channels/:id',
    summary: 'Get a channel',
    description:
      'One channel: provider, address, bound agent, status, settings and its `inbound_url`. Credentials are write-only and never returned.',
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:read',
    params: idParams('ch'),
    responses: { 200: channelObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentChannel(ctx, await getChannelRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/channels/:id',
    summary: 'Update a channel',
    description:
      'Credentials, when given, replace the stored set as a whole and are checked like at creation.',
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:write',
    params: idParams('ch'),
    body: updateChannelBody,
    responses: { 200: channelObject },
    errors: ['validation_failed', 'conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateChannel(ctx, scopeOf(auth), params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/channels/:id',
    summary: 'Delete a channel',
    description:
      'Its conversations and messages stay; queued sends on it fail with `channel_not_configured`.',
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:write',
    params: idParams('ch'),
    responses: { 200: deletedResponse('ch', 'channel') },
    handler: ok(({ ctx, auth, params }) => deleteChannel(ctx, auth, params.id)),
  }),
];
