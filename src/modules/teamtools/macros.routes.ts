import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  createMacroBody,
  listMacrosQuery,
  macroObject,
  macroRunObject,
  macroRunParams,
  updateMacroBody,
} from './macros.schemas.ts';
import { createMacro, deleteMacro, getMacro, listMacros, runMacro, updateMacro } from './macros.service.ts';

const tags = ['Macros'];
const params = idParams('mac');

export const macroRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/macros',
    summary: 'List macros',
    description: 'Macros of this workspace and mode, by name.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listMacrosQuery,
    responses: { 200: listResponse(macroObject) },
    handler: ok(({ ctx, auth, query }) => listMacros(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/macros',
    summary: 'Create a macro',
    description:
      'A named list of actions people run on a conversation in one click. An action naming a canned response, team or user that does not exist is a 400.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: createMacroBody,
    responses: { 201: macroObject },
    errors: ['validation_failed'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createMacro(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/macros/:id',
    summary: 'Get a macro',
    description: 'One macro: its name and its actions, in the order they run.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    responses: { 200: macroObject },
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await getMacro(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/macros/:id',
    summary: 'Update a macro',
    description: 'Changes its name, or replaces its whole list of actions (checked as on create).',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    body: updateMacroBody,
    responses: { 200: macroObject },
    errors: ['validation_failed'],
    handler: ok(({ ctx, auth, params, body }) => updateMacro(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/macros/:id',
    summary: 'Delete a macro',
    description: 'Deletes the macro; what it already did to conversations stays.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    params,
    responses: { 200: deletedResponse('mac', 'macro') },
    handler: ok(({ ctx, auth, params }) => deleteMacro(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/macros/:macro_id',
    summary: 'Run a macro on a conversation',
    description:
      'Runs its actions in order, as the caller, and answers one result per action (`ok` or `error` with its code and message). An action that fails (e.g. a canned response deleted since the macro was saved, or a send refused outside the WhatsApp window) does not stop the others.',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    params: macroRunParams,
    responses: { 200: macroRunObject },
    handler: ok(({ ctx, auth, params }) => runMacro(ctx, auth, params.id, params.macro_id, auth.actor)),
  }),
];
