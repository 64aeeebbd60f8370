import { defineRoute, ok } from '../../platform/http/route.ts';
import {
  createdScimTokenObject,
  createScimTokenBody,
  scimTokenList,
  scimTokenObject,
  scimTokenParams,
} from './roles.schemas.ts';
import { createScimToken, listScimTokens, revokeScimToken } from './scim.tokens.ts';

export const scimTokenRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/scim-tokens',
    summary: 'Create a SCIM provisioning token',
    description:
      "A bearer token for your identity provider's SCIM 2.0 client (`/scim/v2/Users`, `/scim/v2/Groups`): it provisions this workspace's and mode's users and teams, nothing else. Stored as a hash and shown only in this response. Its maker must hold what it provisions: `users:write`, `teams:write` and every permission of the `agent` role it gives new users (else 403). See docs/roles.md.",
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:write',
    body: createScimTokenBody,
    responses: { 201: createdScimTokenObject },
    errors: ['forbidden'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createScimToken(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/scim-tokens',
    summary: 'List SCIM provisioning tokens',
    description: 'The tokens of this workspace and mode (never the tokens themselves), newest first.',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:read',
    responses: { 200: scimTokenList },
    handler: ok(async ({ ctx, auth }) => ({ data: await listScimTokens(ctx, auth) })),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/scim-tokens/:id',
    summary: 'Revoke a SCIM provisioning token',
    description:
      'From the next request the identity provider gets 401. Revoking a revoked token returns it unchanged.',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:write',
    params: scimTokenParams,
    responses: { 200: scimTokenObject },
    handler: ok(({ ctx, auth, params }) => revokeScimToken(ctx, auth, params.id)),
  }),
];
