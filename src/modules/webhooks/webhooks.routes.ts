import { z } from 'zod';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idOf, idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  createAgentWebhookBody,
  createdWebhookObject,
  createWebhookBody,
  deliveryObject,
  deliveryParams,
  listAgentWebhooksQuery,
  listDeliveriesQuery,
  listWebhooksQuery,
  rotatedWebhookObject,
  rotateSecretBody,
  updateWebhookBody,
  webhookObject,
} from './webhooks.schemas.ts';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listAgentEndpoints,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
} from './webhooks.service.ts';

const tags = ['Webhooks'];
const agentParams = z.object({ id: idOf('agt') });

export const webhookRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks',
    summary: 'List webhook endpoints',
    description:
      'Webhook endpoints of this workspace and mode with their subscribed events, agent filter and status (a `disabled_reason` tells why one stopped). Secrets are never shown again.',
    tags,
    auth: 'key',
    scope: 'webhooks:read',
    query: listWebhooksQuery,
    responses: { 200: listResponse(webhookObject) },
    handler: ok(({ ctx, auth, query }) =>
      listEndpoints(ctx, auth, pageRequest(query), {
        status: query.status,
        agent_id: query.agent_id,
      }),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks',
    summary: 'Create a webhook endpoint (its secret is shown once)',
    description:
      'Deliveries are signed with the returned `whsec_` secret (Standard Webhooks headers and `X-Parley-Signature`); see docs/webhooks.md. `events` defaults to `["*"]`; an unknown type is a 400 listing the valid ones. A loopback, private or reserved `url` is a 400 unless the server runs with PARLEY_WEBHOOK_ALLOW_PRIVATE=1; for local development `parley webhooks listen --forward-to <url>` needs no public URL.',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    body: createWebhookBody,
    responses: { 201: createdWebhookObject },
    errors: ['validation_failed', 'not_found'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createEndpoint(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/:id',
    summary: 'Get a webhook endpoint',
    description:
      'One webhook endpoint: URL, events, agent filter, status and when the previous secret stops signing after a rotation. The secret is never shown again.',
    tags,
    auth: 'key',
    scope: 'webhooks:read',
    params: idParams('wh'),
    responses: { 200: webhookObject },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params }) => getEndpoint(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/webhooks/:id',
    summary: 'Update a webhook endpoint (URL, events, agent filter, description, status)',
    description:
      'Changes the URL, events, agent filter or description, or `status`: `disabled` stops deliveries, `enabled` resumes them (clearing `disabled_reason`). Deliveries already queued for a disabled endpoint are cancelled.',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: idParams('wh'),
    body: updateWebhookBody,
    contentTypes: ['application/json', 'application/merge-patch+json'],
    responses: { 200: webhookObject },
    errors: ['validation_failed', 'not_found'],
    handler: ok(({ ctx, auth, params, body }) => updateEndpoint(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/webhooks/:id',
    summary: 'Delete a webhook endpoint',
    description:
      'Deliveries still queued for it are cancelled; its delivery log stays readable by delivery id until purged.',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: idParams('wh'),
    responses: { 200: deletedResponse('wh', 'webhook_endpoint') },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params }) => deleteEndpoint(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/:id/rotate-secret',
    summary: 'Rotate the signing secret (the new one is shown once)',
    description:
      'For 24 hours after a rotation every delivery carries signatures with both the new and the previous secret, so receivers can switch without losing a delivery. The new secret is generated, or your own (`secret`, checked as at creation).',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: idParams('wh'),
    body: rotateSecretBody,
    responses: { 200: rotatedWebhookObject },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params, body }) => rotateSecret(ctx, auth, params.id, body.secret)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/:id/test',
    summary: 'Send a webhook.test event to this endpoint only',
    description:
      'Records a `webhook.test` event and delivers it to this endpoint only (even when disabled), signed as every delivery: the quickest check that your receiver verifies signatures. Answers 202 with the queued delivery; follow it in the delivery log.',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: idParams('wh'),
    responses: { 202: deliveryObject },
    errors: ['not_found'],
    handler: async ({ ctx, auth, params }) => ({
      status: 202,
      body: await sendTestEvent(ctx, auth, params.id),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/:id/deliveries',
    summary: "An endpoint's delivery log (newest first)",
    description:
      "The endpoint's delivery log, newest first: each delivery's state, every attempt `{at, status_code, duration_ms, error}`, the first KB of your receiver's last answer and the next retry time. Filter by `state` or `event_id`.",
    tags,
    auth: 'key',
    scope: 'webhooks:read',
    params: idParams('wh'),
    query: listDeliveriesQuery,
    responses: { 200: listResponse(deliveryObject) },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params, query }) =>
      listDeliveries(ctx, auth, params.id, pageRequest(query), {
        state: query.state,
        event_id: query.event_id,
      }),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/:id/deliveries/:delivery_id/redeliver',
    summary: 'Send a delivery again',
    description:
      'Creates a new delivery of the same event (same `webhook-id`) with a retry schedule of its own. A disabled endpoint must be enabled first (409).',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: deliveryParams,
    responses: { 202: deliveryObject },
    errors: ['not_found', 'conflict', 'unprocessable'],
    handler: async ({ ctx, auth, params }) => ({
      status: 202,
      body: await redeliver(ctx, auth, params.id, params.delivery_id),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/agents/:id/webhooks',
    summary: "List an agent's webhook endpoints",
    description:
      'Webhook endpoints filtered to this agent (they receive only events whose `data.agent_id` is the agent), as `GET /v1/webhooks` shows them.',
    tags,
    auth: 'key',
    scope: 'webhooks:read',
    params: agentParams,
    query: listAgentWebhooksQuery,
    responses: { 200: listResponse(webhookObject) },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params, query }) =>
      listAgentEndpoints(ctx, auth, params.id, pageRequest(query), { status: query.status }),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/webhooks',
    summary: 'Create a webhook endpoint filtered to this agent',
    description: 'Receives only events whose `data.agent_id` is this agent. The secret is shown once.',
    tags,
    auth: 'key',
    scope: 'webhooks:write',
    params: agentParams,
    body: createAgentWebhookBody,
    responses: { 201: createdWebhookObject },
    errors: ['validation_failed', 'not_found'],
    handler: async ({ ctx, auth, params, body }) => ({
      status: 201,
      body: await createEndpoint(ctx, auth, { ...body, agent_id: params.id }),
    }),
  }),
];
