import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import { workspaceDuplicates } from './contacts.duplicates.ts';
import { duplicatesOf, mergeContacts } from './contacts.merge.ts';
import {
  contactObject,
  createContactBody,
  duplicatesResponse,
  listContactsQuery,
  mergeContactBody,
  updateContactBody,
  workspaceDuplicatesQuery,
  workspaceDuplicatesResponse,
} from './contacts.schemas.ts';
import {
  type AttributeValue,
  createContact,
  getContactRow,
  listContacts,
  presentContact,
  updateContact,
} from './contacts.service.ts';

/** `attributes.<key>=<value>` query parameters, read from the raw query string (their names are open-ended). */
export function attributeFilters(rawQuery: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries((rawQuery ?? {}) as Record<string, unknown>)) {
    if (!k.startsWith('attributes.')) continue;
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof value === 'string') out[k.slice('attributes.'.length)] = value;
  }
  return out;
}

export const contactRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/contacts',
    summary: 'List contacts',
    description:
      'Newest first. Filter by attribute with `attributes.<key>=<value>` (e.g. `?attributes.plan=premium&attributes.visits=3`); values compare as text, so `3` matches 3 and "3", `true` matches true and "true".',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:read',
    query: listContactsQuery,
    responses: { 200: listResponse(contactObject) },
    handler: ok(({ ctx, auth, query, request }) =>
      listContacts(
        ctx,
        auth,
        {
          q: query.q,
          tags: query.tag,
          dnd: query.dnd,
          opted_out: query.opted_out,
          attributes: attributeFilters(request.query),
        },
        pageRequest(query),
      ),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/contacts',
    summary: 'Create a contact',
    description:
      "Needs a phone or an email. The phone is parsed with the workspace's default country and stored in E.164; a phone already used in this workspace and mode is a 409 `conflict` whose error carries `existing_id`.",
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:write',
    body: createContactBody,
    responses: { 201: contactObject },
    errors: ['conflict'],
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      body: await createContact(ctx, auth, body, auth.actor),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/contacts/:id',
    summary: 'Get a contact',
    description:
      'One contact with its phone (E.164), name, email, attributes, tags, and `dnd` and `opted_out` flags. A contact of another workspace or mode is a 404.',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:read',
    params: idParams('ct'),
    responses: { 200: contactObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentContact(await getContactRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/contacts/:id',
    summary: 'Update a contact',
    description:
      'Only the given fields change. `attributes` merge key by key (null removes a key); `tags` replaces the list.',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:write',
    params: idParams('ct'),
    body: updateContactBody,
    responses: { 200: contactObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateContact(ctx, auth, params.id, body, auth.actor)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/contacts/:id/merge',
    summary: 'Merge another contact into this one',
    description:
      "For one person known twice (a WhatsApp number and an email address, a caller and a chat). This contact is kept: the other's phone, email, WhatsApp user id, Messenger PSID, Instagram IGSID and name fill what it lacks, tags are joined, attributes filled (this contact's values win), and do-not-disturb or an opt-out of either holds. The other's conversations, calls, leads, bookings, CSAT answers, audience memberships and campaign and broadcast recipients move to this contact, with all their history. A conversation on a channel where this contact already has one stays with the other contact, which is then kept only as the record of the merge (`merged_into`), never listed or reached again. Emits `contact.merged`. Merging a contact with itself, or with one of another workspace or mode, is a 400 naming `other_id`. A merge cannot be undone: admins only (`privacy:merge`, a scope inbox agents do not hold, as `privacy:erase`).",
    tags: ['Contacts'],
    auth: 'key',
    scope: 'privacy:merge',
    params: idParams('ct'),
    body: mergeContactBody,
    responses: { 200: contactObject },
    errors: ['validation_failed', 'not_found'],
    handler: ok(({ ctx, auth, params, body }) =>
      mergeContacts(ctx, auth, params.id, body.other_id, auth.actor),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/contacts/duplicates',
    summary: 'Possible duplicates across the workspace',
    description:
      'Groups of contacts that may be one person, by the rule of `GET /v1/contacts/{id}/duplicates` (the same email in any case, the same phone number by its last 10 digits, the same full name), for a clean-up of the whole workspace. Contacts joined through another (A and B share an email, B and C a phone) are one group. Merge them with `POST /v1/contacts/{id}/merge`.',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:read',
    query: workspaceDuplicatesQuery,
    responses: { 200: workspaceDuplicatesResponse },
    handler: ok(({ ctx, auth, query }) => workspaceDuplicates(ctx, auth, query.limit)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/contacts/:id/duplicates',
    summary: 'Possible duplicates of a contact',
    description:
      'Contacts that may be the same person: the same email (any case), the same phone number by its last 10 digits (saved with another country code or none), or the same full name. Merge one with `POST /v1/contacts/{id}/merge`.',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:read',
    params: idParams('ct'),
    responses: { 200: duplicatesResponse },
    errors: ['not_found'],
    handler: ok(async ({ ctx, auth, params }) => ({ data: await duplicatesOf(ctx, auth, params.id) })),
  }),
];
