import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import { createLeadBody, leadListQuery, leadObject, updateLeadBody } from './leads.schemas.ts';
import { captureLead, getLeadRow, listLeads, presentLead, updateLead } from './leads.service.ts';

export const leadRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/leads',
    summary: 'List leads',
    description:
      'Leads captured by agents or created through the API, newest first; filter by `status`, `agent_id`, `contact_id` or `conversation_id`.',
    tags: ['Leads'],
    auth: 'key',
    scope: 'leads:read',
    query: leadListQuery,
    responses: { 200: listResponse(leadObject) },
    handler: ok(({ ctx, auth, query }) =>
      listLeads(
        ctx,
        auth,
        {
          status: query.status,
          contact_id: query.contact_id,
          conversation_id: query.conversation_id,
          agent_id: query.agent_id,
        },
        pageRequest(query),
      ),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/leads',
    summary: 'Capture a lead',
    description:
      'Creates a lead (201, `lead.captured`). When the conversation (or, without one, the contact) already has an open lead (`new` or `qualified`), that lead is updated instead and the answer is 200 (`lead.updated`, or `lead.qualified` when its status becomes qualified). Without `contact_id`, the contact with this phone (or email) is used or created.',
    tags: ['Leads'],
    auth: 'key',
    scope: 'leads:write',
    body: createLeadBody,
    errors: ['not_found'],
    responses: { 200: leadObject, 201: leadObject },
    handler: async ({ ctx, auth, body }) => {
      const { lead, created } = await captureLead(ctx, auth, body, auth.actor);
      return { status: created ? 201 : 200, body: lead };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/leads/:id',
    summary: 'Retrieve a lead',
    description:
      'One lead: name, phone, email, intent, source, status (`new`, `qualified`, `converted`, `lost`), custom fields, and the contact and conversation it came from.',
    tags: ['Leads'],
    auth: 'key',
    scope: 'leads:read',
    params: idParams('lead'),
    responses: { 200: leadObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentLead(await getLeadRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/leads/:id',
    summary: 'Update a lead',
    description:
      'Emits `lead.qualified` when the status moves to `qualified`, else `lead.updated`. `fields` merge; a null value removes one.',
    tags: ['Leads'],
    auth: 'key',
    scope: 'leads:write',
    params: idParams('lead'),
    body: updateLeadBody,
    responses: { 200: leadObject },
    handler: ok(({ ctx, auth, params, body }) => updateLead(ctx, auth, params.id, body, auth.actor)),
  }),
];
