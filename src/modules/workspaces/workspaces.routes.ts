import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import {
  adminWorkspaceObject,
  apiKeyObject,
  createApiKeyBody,
  createdApiKeyObject,
  createWorkspaceBody,
  createWorkspaceResponse,
  meResponse,
  updateWorkspaceBody,
} from './workspaces.schemas.ts';
import {
  createApiKey,
  createWorkspace,
  listApiKeys,
  revokeApiKey,
  updateWorkspace,
} from './workspaces.service.ts';

export const workspaceRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/admin/workspaces',
    summary: 'Create a workspace with a live and a test key',
    description:
      "An admin route: authenticate with `Authorization: Bearer $PARLEY_ADMIN_TOKEN`; with no admin token configured it answers 404. Without `plan` the workspace gets the server's `PARLEY_DEFAULT_PLAN` (`enterprise` unless configured).",
    tags: ['Workspaces'],
    auth: 'admin',
    body: createWorkspaceBody,
    responses: { 201: createWorkspaceResponse },
    errors: ['unauthorized', 'not_found'],
    handler: async ({ ctx, body }) => ({ status: 201, body: await createWorkspace(ctx, body) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/admin/workspaces/:id',
    summary: "Change a workspace's plan and limits",
    description:
      'An admin route (`Authorization: Bearer $PARLEY_ADMIN_TOKEN`; 404 when no admin token is configured). `plan` switches the plan; `limits` overrides single limits of the plan (merged into the overrides already set; `null` for a limit makes it unlimited; `"limits": null` removes every override). The answer shows the limits now in force; they apply from the next request, in every process.',
    tags: ['Workspaces'],
    auth: 'admin',
    params: idParams('ws'),
    body: updateWorkspaceBody,
    responses: { 200: adminWorkspaceObject },
    errors: ['unauthorized', 'not_found'],
    handler: ok(({ ctx, params, body }) => updateWorkspace(ctx, params.id, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me',
    summary: 'The workspace and key of this request',
    description:
      "Who the key is: its workspace (id, name, plan, default country), the key itself (id, mode, scopes, prefix), the limits of the workspace's plan and the API version. The first call to make with a new key.",
    tags: ['Workspaces'],
    auth: 'key',
    responses: { 200: meResponse },
    handler: async ({ auth }) => {
      const isKey = auth.kind === 'api_key';
      return {
        status: 200,
        body: {
          workspace: {
            id: auth.workspaceId,
            name: auth.workspaceName,
            plan: auth.plan,
            default_country: auth.defaultCountry,
          },
          api_key: isKey
            ? {
                id: auth.principalId,
                mode: auth.livemode ? 'live' : 'test',
                scopes: auth.scopes,
                prefix: auth.keyPrefix ?? '',
              }
            : null,
          user: isKey ? null : { id: auth.principalId, role: auth.scopes.includes('*') ? 'admin' : 'agent' },
          limits: auth.limits,
          livemode: auth.livemode,
          api_version: 'v1',
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/api-keys',
    summary: 'List API keys of this workspace and mode',
    description:
      "Keys of the calling key's workspace and mode (a test key lists test keys), newest first, with their prefix, scopes and last use; the secret itself is never shown again.",
    tags: ['API keys'],
    auth: 'key',
    scope: 'api_keys:read',
    query: listQuery({}),
    responses: { 200: listResponse(apiKeyObject) },
    handler: ok(({ ctx, auth, query }) => listApiKeys(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/api-keys',
    summary: 'Create an API key (shown once)',
    description: "The key has the mode of the key that creates it, and no scope beyond that key's own.",
    tags: ['API keys'],
    auth: 'key',
    scope: 'api_keys:write',
    body: createApiKeyBody,
    responses: { 201: createdApiKeyObject },
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createApiKey(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/api-keys/:id',
    summary: 'Revoke an API key (effective at once)',
    description:
      'Revokes the key: from the next request, in every process, it answers 401 `unauthorized`. Revoking a revoked key returns it unchanged.',
    tags: ['API keys'],
    auth: 'key',
    scope: 'api_keys:write',
    params: idParams('key'),
    responses: { 200: apiKeyObject },
    handler: ok(({ ctx, auth, params }) => revokeApiKey(ctx, auth, params.id)),
  }),
];
