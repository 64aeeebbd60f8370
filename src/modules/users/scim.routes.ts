import type { AppContext } from '../../platform/context.ts';
import { credentialFrom } from '../../platform/http/auth.ts';
import { defineRoute, type RouteRequest, type RouteResult } from '../../platform/http/route.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import {
  createScimGroup,
  deleteScimGroup,
  getScimGroup,
  listScimGroups,
  patchScimGroup,
  replaceScimGroup,
} from './scim.groups.ts';
import {
  listQuery,
  parseScim,
  SCIM_CONTENT_TYPE,
  ScimError,
  scimBody,
  scimErrorOf,
} from './scim.protocol.ts';
import { scimTokenScope } from './scim.tokens.ts';
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  listScimUsers,
  patchScimUser,
  replaceScimUser,
  type ScimCaller,
} from './scim.users.ts';

type Req = RouteRequest<unknown, unknown, unknown>;

/** The token's workspace and mode, acting as provisioning (users and teams only). */
async function callerOf(req: Req): Promise<ScimCaller> {
  const token = credentialFrom(req.request.headers);
  const found = token ? await scimTokenScope(req.ctx, token) : undefined;
  if (!found) throw new ScimError(401, 'A SCIM bearer token is required (POST /v1/scim-tokens makes one).');
  const terms = await workspaceTerms(req.ctx.db, found.scope.workspaceId);
  const host = req.request.headers.host ?? 'localhost';
  const base = req.ctx.config.publicUrl ?? `${req.request.protocol}://${host}`;
  return {
    tokenId: found.tokenId,
    actor: { type: 'system', id: found.tokenId },
    baseUrl: `${base.replace(/\/$/, '')}/scim/v2`,
    auth: {
      ...found.scope,
      workspaceName: terms.name,
      principalId: found.tokenId,
      kind: 'api_key',
      scopes: ['users:*', 'teams:*'],
      plan: terms.plan,
      limits: terms.limits,
      defaultCountry: terms.defaultCountry,
      actor: { type: 'system', id: found.tokenId },
    },
  };
}

type Run = (ctx: AppContext, caller: ScimCaller, req: Req) => Promise<{ status: number; body?: unknown }>;

/**
 * A SCIM endpoint: outside the API reference (identity providers speak SCIM, RFC 7644), with
 * SCIM's own bearer token and error body (`urn:ietf:params:scim:api:messages:2.0:Error`).
 */
const scimRoute = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  summary: string,
  run: Run,
) =>
  defineRoute({
    method,
    path,
    summary,
    tags: ['SCIM'],
    auth: 'none',
    hidden: true,
    contentTypes: [SCIM_CONTENT_TYPE, 'application/json'],
    // SCIM's own statuses, each with its error body (RFC 7644 3.12).
    responses: { 200: null, 201: null, 204: null, 400: null, 401: null, 404: null, 409: null },
    handler: async (req): Promise<RouteResult> => {
      try {
        const caller = await callerOf(req as Req);
        const r = await run(req.ctx, caller, req as Req);
        return r.body === undefined ? { status: r.status } : { ...r, contentType: SCIM_CONTENT_TYPE };
      } catch (err) {
        const e = scimErrorOf(err);
        return { status: e.status, body: e.body, contentType: SCIM_CONTENT_TYPE };
      }
    },
  });

const idOf = (req: Req) => String((req.request.params as { id?: string }).id ?? '');
const queryOf = (req: Req) => parseScim(listQuery, req.request.query ?? {});
const bodyOf = (req: Req) => scimBody(req.rawBody);

/** What this SCIM service supports (RFC 7643 section 5), for identity providers that ask. */
const serviceProviderConfig = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 500 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: 'A token from POST /v1/scim-tokens, as Authorization: Bearer <token>.',
    },
  ],
};

export const scimRoutes = [
  scimRoute('GET', '/scim/v2/ServiceProviderConfig', 'SCIM: what this service supports', async () => ({
    status: 200,
    body: serviceProviderConfig,
  })),
  scimRoute('GET', '/scim/v2/Users', 'SCIM: list users', async (ctx, c, req) => ({
    status: 200,
    body: await listScimUsers(ctx, c, queryOf(req)),
  })),
  scimRoute('POST', '/scim/v2/Users', 'SCIM: create a user', async (ctx, c, req) => ({
    status: 201,
    body: await createScimUser(ctx, c, bodyOf(req)),
  })),
  scimRoute('GET', '/scim/v2/Users/:id', 'SCIM: get a user', async (ctx, c, req) => ({
    status: 200,
    body: await getScimUser(ctx, c, idOf(req)),
  })),
  scimRoute('PUT', '/scim/v2/Users/:id', 'SCIM: replace a user', async (ctx, c, req) => ({
    status: 200,
    body: await replaceScimUser(ctx, c, idOf(req), bodyOf(req)),
  })),
  scimRoute('PATCH', '/scim/v2/Users/:id', 'SCIM: update a user', async (ctx, c, req) => ({
    status: 200,
    body: await patchScimUser(ctx, c, idOf(req), bodyOf(req)),
  })),
  scimRoute('DELETE', '/scim/v2/Users/:id', 'SCIM: delete a user', async (ctx, c, req) => {
    await deleteScimUser(ctx, c, idOf(req));
    return { status: 204 };
  }),
  scimRoute('GET', '/scim/v2/Groups', 'SCIM: list groups', async (ctx, c, req) => ({
    status: 200,
    body: await listScimGroups(ctx, c, queryOf(req)),
  })),
  scimRoute('POST', '/scim/v2/Groups', 'SCIM: create a group (a team)', async (ctx, c, req) => ({
    status: 201,
    body: await createScimGroup(ctx, c, bodyOf(req)),
  })),
  scimRoute('GET', '/scim/v2/Groups/:id', 'SCIM: get a group', async (ctx, c, req) => ({
    status: 200,
    body: await getScimGroup(ctx, c, idOf(req)),
  })),
  scimRoute('PUT', '/scim/v2/Groups/:id', 'SCIM: replace a group', async (ctx, c, req) => ({
    status: 200,
    body: await replaceScimGroup(ctx, c, idOf(req), bodyOf(req)),
  })),
  scimRoute('PATCH', '/scim/v2/Groups/:id', 'SCIM: update a group', async (ctx, c, req) => ({
    status: 200,
    body: await patchScimGroup(ctx, c, idOf(req), bodyOf(req)),
  })),
  scimRoute('DELETE', '/scim/v2/Groups/:id', 'SCIM: delete a group', async (ctx, c, req) => {
    await deleteScimGroup(ctx, c, idOf(req));
    return { status: 204 };
  }),
];
