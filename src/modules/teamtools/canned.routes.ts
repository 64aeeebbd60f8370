import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import { cannedObject, createCannedBody, listCannedQuery, updateCannedBody } from './canned.schemas.ts';
import { createCanned, deleteCanned, getCanned, listCanned, updateCanned } from './canned.service.ts';

const tags = ['Canned responses'];
const params = idParams('cr');

export const cannedRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/canned-responses',
    summary: 'List canned responses',
    description:
      'Saved replies of this workspace and mode, by short code; `q` narrows by short code or title.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listCannedQuery,
    responses: { 200: listResponse(cannedObject) },
    handler: ok(({ ctx, auth, query }) => listCanned(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/canned-responses',
    summary: 'Create a canned response',
    description:
      'A saved reply people pick with `/short_code` in the inbox, or send with POST /v1/conversations/{id}/reply `{"canned_response_id"}`. A short code already used here is a 409 `conflict`; an unknown `{{variable}}` a 400.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: createCannedBody,
    responses: { 201: cannedObject },
    errors: ['validation_failed', 'conflict'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createCanned(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/canned-responses/:id',
    summary: 'Get a canned response',
    description: 'One canned response, with its content as saved (variables not filled in).',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    responses: { 200: cannedObject },
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await getCanned(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/canned-responses/:id',
    summary: 'Update a canned response',
    description: 'Changes the fields given. A short code another one uses is a 409 `conflict`.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    body: updateCannedBody,
    responses: { 200: cannedObject },
    errors: ['validation_failed', 'conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateCanned(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/canned-responses/:id',
    summary: 'Delete a canned response',
    description:
      'Deletes it. Messages already sent stay; a macro or automation that names it reports an error for that action when run, and runs its other actions.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    responses: { 200: deletedResponse('cr', 'canned_response') },
    handler: ok(({ ctx, auth, params }) => deleteCanned(ctx, auth, params.id)),
  }),
];
