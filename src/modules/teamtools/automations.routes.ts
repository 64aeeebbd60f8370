import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  automationObject,
  createAutomationBody,
  listAutomationsQuery,
  updateAutomationBody,
} from './automations.schemas.ts';
import {
  type AutomationInput,
  createAutomation,
  deleteAutomation,
  getAutomation,
  listAutomations,
  updateAutomation,
} from './automations.service.ts';

const tags = ['Automations'];
const params = idParams('atm');
const rules =
  'When its `event` happens on a conversation and every condition holds, the actions run in order, as a job (actor `system` with the automation id). Automations of one event run in order of creation. Events caused by an automation never start automations, and each automation runs at most once per event (no customer gets the same automated message twice). An unknown field, op or action, or an action that would cause its own event (`handoff` on `conversation.escalated`, `close` on `conversation.resolved`), is a 400.';

export const automationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/automations',
    summary: 'List automations',
    description: 'Automations of this workspace and mode, in the order they run (creation); `event` filters.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listAutomationsQuery,
    responses: { 200: listResponse(automationObject) },
    handler: ok(({ ctx, auth, query }) => listAutomations(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/automations',
    summary: 'Create an automation',
    description: rules,
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: createAutomationBody,
    responses: { 201: automationObject },
    errors: ['validation_failed'],
    // The body's check (`conditionItem`) made each condition a field condition or an `any` group.
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      body: await createAutomation(ctx, auth, body as AutomationInput),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/automations/:id',
    summary: 'Get an automation',
    description: 'One automation: its event, conditions, actions and whether it is active.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    responses: { 200: automationObject },
    handler: ok(({ ctx, auth, params }) => getAutomation(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/automations/:id',
    summary: 'Update an automation',
    description: `Changes the fields given; the result is checked as on create. ${rules}`,
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    body: updateAutomationBody,
    responses: { 200: automationObject },
    errors: ['validation_failed'],
    handler: ok(({ ctx, auth, params, body }) =>
      updateAutomation(ctx, auth, params.id, body as Partial<AutomationInput>),
    ),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/automations/:id',
    summary: 'Delete an automation',
    description: 'Deletes it and its run records; what it already did to conversations stays.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    responses: { 200: deletedResponse('atm', 'automation') },
    handler: ok(({ ctx, auth, params }) => deleteAutomation(ctx, auth, params.id)),
  }),
];
