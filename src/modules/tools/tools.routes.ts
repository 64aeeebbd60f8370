import { z } from 'zod';
import { notFound } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, describe, idParams, listResponse } from '../../platform/http/schemas.ts';
import { getConversationRow } from '../conversations/index.ts';
import {
  deleteSecret,
  listSecrets,
  putSecret,
  readToolSettings,
  updateToolSettings,
} from './secrets.service.ts';
import { toolCallsById, toolCallsOf } from './tool-calls.service.ts';
import {
  createSecretBody,
  createToolBody,
  deletedSecret,
  secretObject,
  secretParams,
  testToolBody,
  testToolResponse,
  toolCallObject,
  toolListQuery,
  toolObject,
  toolSettingsObject,
  updateToolBody,
  updateToolSettingsBody,
} from './tools.schemas.ts';
import {
  createTool,
  deleteTool,
  getToolRow,
  listTools,
  presentTool,
  toolsUsingSecret,
  updateTool,
} from './tools.service.ts';
import { testTool } from './tools.test-run.ts';

export const toolRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/tools',
    summary: 'List tools',
    description:
      "The workspace's tools, newest first. Attach one to an agent by adding its id to `agent.tools`.",
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:read',
    query: toolListQuery,
    responses: { 200: listResponse(toolObject) },
    handler: ok(({ ctx, auth, query }) => listTools(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tools',
    summary: 'Create a tool',
    description:
      "A request to one of the business's systems that agents may make. The model gives only `args` (checked against `input_schema`); contact, conversation, agent and secret values are bound by Parley. A write tool needs `confirmation` (the read-back the customer confirms). Placeholders that bind nothing (an argument not in the schema, an unknown secret) are refused.",
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    body: createToolBody,
    errors: ['conflict', 'unprocessable'],
    responses: { 201: toolObject },
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createTool(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tools/:id',
    summary: 'Retrieve a tool',
    description: 'One tool, with its request template (secrets as `{{secret.name}}`, never their values).',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:read',
    params: idParams('tool'),
    responses: { 200: toolObject },
    handler: ok(async ({ ctx, auth, params }) => presentTool(await getToolRow(ctx.db, auth, params.id))),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/tools/:id',
    summary: 'Update a tool',
    description:
      'Fields given replace the current ones (a null clears an optional one); the whole tool is checked again.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    params: idParams('tool'),
    body: updateToolBody,
    errors: ['conflict', 'unprocessable'],
    responses: { 200: toolObject },
    handler: ok(({ ctx, auth, params, body }) => updateTool(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/tools/:id',
    summary: 'Delete a tool',
    description: 'Agents that list it stop offering it; its recorded calls stay.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    params: idParams('tool'),
    responses: { 200: deletedResponse('tool', 'tool') },
    handler: ok(({ ctx, auth, params }) => deleteTool(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tools/:id/test',
    summary: 'Test a tool',
    description:
      'Runs the tool once with `args` and answers the recorded call: the rendered request (secrets masked), the response and the mapped result. A matching mock answers unless `live: true`. A write tool is only rendered, not sent, unless `live: true`.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    params: idParams('tool'),
    body: testToolBody,
    errors: ['unprocessable'],
    responses: { 200: testToolResponse },
    handler: ok(({ ctx, auth, params, body }) => testTool(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/conversations/:id/tool-calls',
    summary: "A conversation's tool calls",
    description:
      'Every tool call made in this conversation, oldest first: arguments, the request and response (secrets masked), status, attempts and latency.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'conversations:read',
    params: idParams('conv'),
    responses: { 200: z.object({ data: describe(z.array(toolCallObject), 'The tool calls.') }) },
    handler: ok(async ({ ctx, auth, params }) => {
      await getConversationRow(ctx.db, auth, params.id);
      return { data: await toolCallsOf(ctx.db, auth, params.id) };
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tool-calls/:id',
    summary: 'Retrieve a tool call',
    description: 'One recorded tool call: arguments, request and response (secrets masked), result, status.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:read',
    params: idParams('tc'),
    responses: { 200: toolCallObject },
    handler: ok(async ({ ctx, auth, params }) => {
      const call = await toolCallsById(ctx.db, auth, params.id);
      if (!call) throw notFound('tool call', params.id);
      return call;
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/secrets',
    summary: 'List secrets',
    description: 'Names only: a secret is write-only, its value always answers masked.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'secrets:read',
    responses: { 200: z.object({ data: describe(z.array(secretObject), 'The secrets, by name.') }) },
    handler: ok(({ ctx, auth }) => listSecrets(ctx, auth)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/secrets',
    summary: 'Set a secret',
    description:
      'Stores a value encrypted, for tools to use as `{{secret.<name>}}`. 201 when new; 200 when it replaces the value of that name.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'secrets:write',
    body: createSecretBody,
    responses: { 200: secretObject, 201: secretObject },
    handler: async ({ ctx, auth, body }) => {
      const { created, secret } = await putSecret(ctx, auth, body);
      return { status: created ? 201 : 200, body: secret };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/secrets/:name',
    summary: 'Delete a secret',
    description: 'Refused (409) while a tool uses it.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'secrets:write',
    params: secretParams,
    errors: ['conflict'],
    responses: { 200: deletedSecret },
    handler: ok(({ ctx, auth, params }) =>
      deleteSecret(ctx, auth, params.name, (name) => toolsUsingSecret(ctx.db, auth, name)),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tool-settings',
    summary: "The workspace's tool key and private hosts",
    description:
      "The tool key every tool request is signed with (Standard Webhooks headers: check them with the SDK's `verifyWebhook`) and the hosts tools may reach on a private network. The key is a secret: the first read shows it (store it then); later reads answer `signing_secret: null` with its last four characters. `PATCH` with `rotate_signing_secret: true` makes and shows a new one.",
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    responses: { 200: toolSettingsObject },
    handler: ok(({ ctx, auth }) => readToolSettings(ctx, auth)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/tool-settings',
    summary: "Change the workspace's private hosts or rotate its tool key",
    description:
      '`allowed_private_hosts` replaces the list of hosts tools may reach on a private network (169.254.0.0/16 stays refused); `rotate_signing_secret: true` replaces the tool key at once and shows the new one in this answer only.',
    tags: ['Tools'],
    auth: 'key',
    scope: 'tools:write',
    body: updateToolSettingsBody,
    responses: { 200: toolSettingsObject },
    handler: ok(({ ctx, auth, body }) => updateToolSettings(ctx, auth, body)),
  }),
];
