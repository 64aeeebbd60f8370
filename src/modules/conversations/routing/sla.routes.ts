import { pageRequest } from '../../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../../platform/http/route.ts';
import { deletedResponse, idParams, listQuery, listResponse } from '../../../platform/http/schemas.ts';
import { createSlaBody, slaPolicyObject, updateSlaBody } from './sla.schemas.ts';
import { createSla, deleteSla, getSlaRow, listSlas, presentSla, updateSla } from './sla.service.ts';

const tags = ['SLA policies'];
const params = idParams('sla');

export const slaRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/sla-policies',
    summary: 'List SLA policies',
    description:
      'SLA policies in the order they are tried: a conversation gets the oldest one whose `applies_to` matches it (when it is created, or tagged later while it has none).',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listQuery({}),
    responses: { 200: listResponse(slaPolicyObject) },
    handler: ok(({ ctx, auth, query }) => listSlas(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/sla-policies',
    summary: 'Create an SLA policy',
    description:
      "Targets in minutes for the first reply of a person, each next reply after a customer's message, and resolution (at least one; 0 is a 400). With `business_hours` they count only in the agent's opening hours. A target passed unmet sets it in the conversation's `sla.breached` and emits `sla.breached` once.",
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: createSlaBody,
    responses: { 201: slaPolicyObject },
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createSla(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/sla-policies/:id',
    summary: 'Get an SLA policy',
    description: 'One SLA policy with its targets and what it applies to.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    responses: { 200: slaPolicyObject },
    handler: async ({ ctx, auth, params: p }) => ({
      status: 200,
      body: presentSla(await getSlaRow(ctx, auth, p.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/sla-policies/:id',
    summary: 'Update an SLA policy',
    description:
      'Fields given change. Conversations it already applies to keep their due times; new ones get the new targets.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    body: updateSlaBody,
    responses: { 200: slaPolicyObject },
    handler: ok(({ ctx, auth, params: p, body }) => updateSla(ctx, auth, p.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/sla-policies/:id',
    summary: 'Delete an SLA policy',
    description: 'Its pending timers do nothing from now on; conversations keep the due times they show.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    responses: { 200: deletedResponse('sla', 'sla_policy') },
    handler: async ({ ctx, auth, params: p }) => ({ status: 200, body: await deleteSla(ctx, auth, p.id) }),
  }),
];
