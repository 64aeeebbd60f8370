import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { contactObject } from '../contacts/index.ts';
import {
  addMembersResponse,
  audienceObject,
  createAudienceBody,
  listAudiencesQuery,
  membersBody,
  removeMembersResponse,
  updateAudienceBody,
} from './audiences.schemas.ts';
import {
  addAudienceMembers,
  createAudience,
  deleteAudience,
  getAudience,
  listAudienceContacts,
  listAudiences,
  removeAudienceMembers,
  updateAudience,
} from './audiences.service.ts';

export const audienceRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/audiences',
    summary: 'List audiences',
    description:
      'Audiences of this workspace and mode, newest first: static lists and rule-based (`filter`) ones, each with its contact count.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:read',
    query: listAudiencesQuery,
    responses: { 200: listResponse(audienceObject) },
    handler: ok(({ ctx, auth, query }) => listAudiences(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/audiences',
    summary: 'Create an audience',
    description:
      'With a `filter`, a rule-based audience (evaluated when used); without, a static list filled with POST /v1/audiences/{id}/contacts.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:write',
    body: createAudienceBody,
    responses: { 201: audienceObject },
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createAudience(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/audiences/:id',
    summary: 'Get an audience',
    description:
      'One audience: its kind (static or rule), its `filter` when it has one, and how many contacts it holds now.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:read',
    params: idParams('aud'),
    responses: { 200: audienceObject },
    handler: ok(({ ctx, auth, params }) => getAudience(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/audiences/:id',
    summary: 'Update an audience',
    description: 'A `filter` applies to rule-based audiences only (409 on a static one).',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:write',
    params: idParams('aud'),
    body: updateAudienceBody,
    responses: { 200: audienceObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateAudience(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/audiences/:id',
    summary: 'Delete an audience',
    description:
      'Deletes the audience (its list or rule). The contacts in it stay; broadcasts and campaigns already started keep their recipients.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:write',
    params: idParams('aud'),
    responses: { 200: deletedResponse('aud', 'audience') },
    handler: ok(({ ctx, auth, params }) => deleteAudience(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/audiences/:id/contacts',
    summary: 'List the contacts of an audience',
    description:
      'The contacts in the audience, paginated: the static members, or for a rule-based audience the contacts its filter matches at the time of the request.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:read',
    params: idParams('aud'),
    query: listQuery({}),
    responses: { 200: listResponse(contactObject) },
    handler: ok(({ ctx, auth, params, query }) =>
      listAudienceContacts(ctx, auth, params.id, pageRequest(query)),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/audiences/:id/contacts',
    summary: 'Add contacts to a static audience',
    description:
      'By `contact_ids` and/or `phones`; a phone with no contact yet creates one (`contact.created`), so `phones` needs `contacts:write` too (403 otherwise). Any unknown id or invalid phone refuses the whole request with a 400 naming it. Rule-based audiences answer 409.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:write',
    params: idParams('aud'),
    body: membersBody,
    responses: { 200: addMembersResponse },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) => addAudienceMembers(ctx, auth, params.id, body, auth.actor)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/audiences/:id/contacts',
    summary: 'Remove contacts from a static audience',
    description: 'By `contact_ids` and/or `phones` in the body. The contacts themselves stay.',
    tags: ['Audiences'],
    auth: 'key',
    scope: 'audiences:write',
    params: idParams('aud'),
    body: membersBody,
    responses: { 200: removeMembersResponse },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) =>
      removeAudienceMembers(ctx, auth, params.id, body, auth.actor),
    ),
  }),
];
