import { z } from 'zod';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, describe, idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { withCsat } from './agents.csat.ts';
import { agentObject, createAgentBody, patchAgentBody } from './agents.schemas.ts';
import {
  createAgent,
  deleteAgent,
  getAgentRow,
  listAgents,
  presentAgent,
  updateAgent,
} from './agents.service.ts';

export const agentRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/agents',
    summary: 'List AI agents',
    description:
      'AI agents of this workspace and mode, newest first; filter by `status`. Model API keys are write-only and never returned.',
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:read',
    query: listQuery({
      status: describe(z.enum(['active', 'paused']), 'Only agents with this status.', 'active').optional(),
    }),
    responses: { 200: listResponse(agentObject) },
    handler: ok(({ ctx, auth, query }) =>
      listAgents(ctx, auth, pageRequest(query), { status: query.status }),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents',
    summary: 'Create an AI agent',
    description:
      'Defaults: status `active`, model `builtin`, every tool, business timezone `UTC` with hours Monday to Friday 09:00 to 17:00. `model.api_key` is write-only; responses say only `api_key_set`.',
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:write',
    body: createAgentBody,
    responses: { 201: agentObject },
    errors: ['conflict'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createAgent(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/agents/:id',
    summary: 'Retrieve an AI agent',
    description:
      'One agent with its instructions, greeting, languages, model, tools, handoff rules, business (timezone, hours, address, services with their `svc_` ids) and lead fields. Its model `api_key` is never returned.',
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:read',
    params: idParams('agt'),
    responses: { 200: agentObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: await withCsat(ctx, auth, presentAgent(await getAgentRow(ctx.db, auth, params.id))),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/agents/:id',
    summary: 'Update an AI agent',
    description:
      "Only the fields sent change. `model`, `handoff` and `business` merge field by field; a list inside them (hours, services, holidays) is replaced whole. Send a service back with its `id` to keep that id. `csat` sets the agent's own CSAT settings (as `PUT /v1/csat/settings` with `agent_id`).",
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:write',
    params: idParams('agt'),
    body: patchAgentBody,
    responses: { 200: agentObject },
    errors: ['conflict'],
    handler: ok(async ({ ctx, auth, params, body }) => {
      const { csat, ...fields } = body;
      return withCsat(ctx, auth, await updateAgent(ctx, auth, params.id, fields), csat);
    }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/agents/:id',
    summary: 'Delete an AI agent',
    description:
      "The agent stops answering and disappears from the API; its leads, bookings and calls keep its id, and its phone number is free for another agent. Its channels and conversations let go of it (`agent_id` becomes null): the workspace's default agent answers on them. An agent that an unfinished campaign uses is a 409 `conflict`.",
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:write',
    params: idParams('agt'),
    responses: { 200: deletedResponse('agt', 'agent') },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params }) => deleteAgent(ctx, auth, params.id)),
  }),
];
