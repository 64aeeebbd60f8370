import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  createdFlowObject,
  createFlowBody,
  flowListQuery,
  flowObject,
  flowTestResult,
  testFlowBody,
  updateFlowBody,
} from './voice-flows.schemas.ts';
import {
  createFlow,
  deleteFlow,
  getFlowRow,
  listFlows,
  presentFlow,
  testFlow,
  updateFlow,
} from './voice-flows.service.ts';

const tags = ['Voice flows'];

export const voiceFlowRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/voice-flows',
    summary: 'List voice flows',
    description: 'Voice flows of this workspace and mode, newest first.',
    tags,
    auth: 'key',
    scope: 'voice_flows:read',
    query: flowListQuery,
    responses: { 200: listResponse(flowObject) },
    handler: async ({ ctx, auth, query }) => ({
      status: 200,
      body: await listFlows(ctx, auth, { q: query.q }, pageRequest(query)),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/voice-flows',
    summary: 'Create a voice flow',
    description:
      'A scripted call: a start node and nodes of the types `say, ask, branch, set, action, agent, transfer, end`. The flow is validated before it is saved: every problem is a field error naming its JSON path (`nodes.confirm.next`): an unknown node type, a target that is no node, a node that cannot be reached, a node from which no path ends, an ask without a capture. The answer carries the `webhook_secret` that signs its webhook actions, shown only here.',
    tags,
    auth: 'key',
    scope: 'voice_flows:write',
    body: createFlowBody,
    responses: { 201: createdFlowObject },
    errors: ['validation_failed'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createFlow(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/voice-flows/:id',
    summary: 'Retrieve a voice flow',
    description:
      'One voice flow with its language, timezone, start node, nodes and variables, as `POST /v1/voice-flows/{id}/test` runs it.',
    tags,
    auth: 'key',
    scope: 'voice_flows:read',
    params: idParams('vf'),
    responses: { 200: flowObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentFlow(await getFlowRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/voice-flows/:id',
    summary: 'Update a voice flow',
    description:
      'The flow as it would be after the change is validated again; an invalid result changes nothing.',
    tags,
    auth: 'key',
    scope: 'voice_flows:write',
    params: idParams('vf'),
    body: updateFlowBody,
    responses: { 200: flowObject },
    errors: ['validation_failed'],
    handler: async ({ ctx, auth, params, body }) => ({
      status: 200,
      body: await updateFlow(ctx, auth, params.id, body),
    }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/voice-flows/:id',
    summary: 'Delete a voice flow',
    description:
      'Calls that ran it keep its id. A flow that an unfinished campaign uses is a 409 `conflict`.',
    tags,
    auth: 'key',
    scope: 'voice_flows:write',
    params: idParams('vf'),
    responses: { 200: deletedResponse('vf', 'voice_flow') },
    errors: ['conflict'],
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await deleteFlow(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/voice-flows/:id/test',
    summary: 'Test a voice flow in text',
    description:
      'Runs the flow against scripted caller turns (`"yes"`, `{"dtmf": "1"}`, `{"no_input": true}`) and returns the transcript, the path of nodes, the variables and the outcome. When the inputs run out the caller stays silent, so no-input handling takes the flow to its end. Actions are described, not carried out; agent nodes answer as the agent playground does. Nothing is written.',
    tags,
    auth: 'key',
    scope: 'voice_flows:read',
    params: idParams('vf'),
    body: testFlowBody,
    responses: { 200: flowTestResult },
    handler: async ({ ctx, auth, params, body }) => ({
      status: 200,
      body: await testFlow(ctx, auth, params.id, body),
    }),
  }),
];
