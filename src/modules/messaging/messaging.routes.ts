import { z } from 'zod';
import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { type Auth, defineRoute, ok, type RouteResult } from '../../platform/http/route.ts';
import { deletedResponse, describe, idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { getMessageMedia } from './media.service.ts';
import { agentSendMessageBody, messageObject, sendMessageBody } from './messaging.schemas.ts';
import { getMessageRow, presentMessage, sendMessage } from './messaging.service.ts';
import { sendAsAgent } from './replies.service.ts';
import { sandboxInboundBody, sandboxInboundResponse } from './sandbox.schemas.ts';
import { sandboxInbound } from './sandbox.service.ts';
import { createTemplateBody, templateObject, updateTemplateBody } from './templates.schemas.ts';
import {
  createTemplate,
  deleteTemplate,
  getTemplateRow,
  listTemplates,
  presentTemplate,
  updateTemplate,
} from './templates.service.ts';

export const senderOf = (auth: Auth) => ({
  workspaceId: auth.workspaceId,
  livemode: auth.livemode,
  defaultCountry: auth.defaultCountry,
  actor: auth.actor,
  limits: auth.limits,
  view: auth.view,
});

const sendErrors = [
  'validation_failed',
  'not_found',
  'conflict',
  'whatsapp_outside_24h_window',
  'human_agent_only',
  'meta_outside_messaging_window',
  'channel_not_configured',
  'template_not_approved',
  'contact_opted_out',
  'rate_limited',
] as const;

const sendDescription =
  'Accepts the message (201, `status: "queued"`) and delivers it in the background; follow it with `GET /v1/messages/{id}` or the message.* webhooks. ' +
  'The contact and the conversation are created when needed. In test mode it goes to the sandbox, which moves it to delivered and read by itself. ' +
  'The body carries `type` and its content field (`{"type": "text", "text": "Hi"}`); `type` may be left out when exactly one content field is given (`{"template": {...}}` is a template message); several without `type` is a 400 naming them. ' +
  'Errors: 400 for invalid content (text over 4,096 characters, caption over 1,024, more than 3 buttons, missing or extra template variables — each named in `errors`); ' +
  '422 `template_not_approved` when the template does not exist or is not approved; 422 `whatsapp_outside_24h_window` for free-form WhatsApp content when the customer has not written in 24 hours (send a template); ' +
  "on Messenger and Instagram, 422 `human_agent_only` for an API, AI or automation send more than 24 hours after the customer's last message (only a person's reply from the inbox may go then, with Meta's HUMAN_AGENT tag, for 7 days) and 422 `meta_outside_messaging_window` after 7 days; " +
  '422 `contact_opted_out` when the contact opted out, or is on do-not-disturb and the message is business-initiated (no customer message in 24 hours) without `ignore_dnd`; ' +
  '422 `channel_not_configured` in live mode with no channel for it (and for `channel: "voice"`, which is not available as a messaging channel in this version); 429 `rate_limited` past the plan\'s messages per hour. ' +
  'Sending to a contact whose conversation is closed reopens it.';

export const messagingRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/messages',
    summary: 'Send a message',
    description: `${sendDescription} An \`agent_id\` sends from that agent's channel (as POST /v1/agents/{id}/messages); 404 \`not_found\` when it names no agent of this workspace and mode.`,
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:write',
    body: sendMessageBody,
    responses: { 201: messageObject },
    errors: [...sendErrors, 'not_found'],
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      // An agent_id names an agent of this workspace and mode (404 otherwise), as the agent's own route.
      body: body.agent_id
        ? await sendAsAgent(ctx, senderOf(auth), body.agent_id, body)
        : await sendMessage(ctx, senderOf(auth), body),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/messages',
    summary: "Send a message from an agent's channel",
    description: `The same as POST /v1/messages, sent from the channel bound to this agent (test mode: the sandbox when none is bound); the conversation is bound to the agent. ${sendDescription}`,
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:write',
    params: idParams('agt'),
    body: agentSendMessageBody,
    responses: { 201: messageObject },
    errors: [...sendErrors],
    handler: async ({ ctx, auth, params, body }) => ({
      status: 201,
      body: await sendAsAgent(ctx, senderOf(auth), params.id, body),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/messages/:id',
    summary: 'Get a message and its delivery status',
    description:
      "One message and its delivery state: `status` moves forward only (`queued → sent → delivered → read`, or `failed` with `error: {code, message}`), with the time of each step and the provider's message id. In test mode the sandbox moves it by itself within a second or two.",
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:read',
    params: idParams('msg'),
    responses: { 200: messageObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentMessage(await getMessageRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/messages/:id/media',
    summary: "Download a message's media",
    description:
      "The file of a message, with its Content-Type: a file Parley kept is served from storage (an email attachment, `?attachment=att_...`, default the first; a customer's WhatsApp media, fetched and kept when it arrived); other customer media is fetched from the provider with the channel's credentials (WhatsApp media id or URL, Twilio MediaUrl), so callers never need the provider's token. Media the business sent by public URL answers 302 to that URL. 404 when the message has no media; 502 `provider_error` when the provider no longer serves it (WhatsApp keeps media 30 days).",
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:read',
    params: idParams('msg'),
    query: z.object({
      attachment: describe(
        z.string().min(1).max(64).optional(),
        'Which attachment of an email (its id, from `attachments`); default the first.',
        'att_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ),
    }),
    responses: { 200: null, 302: null },
    rawResponses: {
      200: {
        '*/*': {
          schema: {
            type: 'string',
            contentMediaType: 'application/octet-stream',
            description:
              "The file's bytes, with its own Content-Type (image/jpeg, application/pdf, audio/ogg, ...).",
          },
        },
      },
    },
    errors: ['not_found', 'channel_not_configured', 'provider_error'],
    handler: async ({ ctx, auth, params, query }): Promise<RouteResult> => {
      const media = await getMessageMedia(ctx, auth, params.id, query.attachment);
      if (media.kind === 'redirect') return { status: 302, headers: { location: media.url } };
      return {
        status: 200,
        body: media.content,
        contentType: media.mimeType,
        headers: {
          'content-disposition': contentDisposition('inline', media.filename ?? 'media'),
          'cache-control': 'private, max-age=300',
          'x-content-type-options': 'nosniff',
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/sandbox/inbound',
    summary: 'Simulate a customer message (test mode)',
    description:
      'Makes a customer message arrive as if from the provider, through the same path as a real webhook: contact, conversation, `message.received`, and the agent answers. `to` picks the channel by its address or the agent by its phone number; `agent_id` picks the agent (at its phone number; an agent without one on the default sandbox channel, unless another active agent holds it: 409); without them, the default agent (the oldest active one) answers. Test keys only: a live key gets 403 `forbidden`.',
    tags: ['Sandbox'],
    auth: 'key',
    scope: 'messages:write',
    body: sandboxInboundBody,
    responses: { 200: sandboxInboundResponse },
    errors: ['forbidden', 'validation_failed', 'not_found', 'conflict'],
    handler: async ({ ctx, auth, body }) => ({ status: 200, body: await sandboxInbound(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/templates',
    summary: 'List message templates',
    description:
      'Message templates of this workspace and mode with their status (`pending`, `approved`, `rejected`, `paused`); filter by `status`, `name`, `language` or `category`. Only approved templates can be sent.',
    tags: ['Templates'],
    auth: 'key',
    scope: 'templates:read',
    query: listQuery({
      status: describe(
        z.enum(['pending', 'approved', 'rejected', 'paused']),
        'Only templates in this status.',
        'approved',
      ).optional(),
      name: describe(
        z.string().min(1).max(512),
        'Only templates of this name.',
        'appointment_reminder',
      ).optional(),
      language: describe(z.string().min(2).max(15), 'Only templates in this language.', 'en').optional(),
      category: describe(
        z.enum(['marketing', 'utility', 'authentication']),
        'Only templates of this category.',
        'utility',
      ).optional(),
    }),
    responses: { 200: listResponse(templateObject) },
    handler: ok(({ ctx, auth, query }) => listTemplates(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/templates',
    summary: 'Create a message template',
    description:
      'Test mode approves it at once; in live mode it starts `pending` until WhatsApp reviews it (template.status_updated tells the result). A name and language pair is unique (409).',
    tags: ['Templates'],
    auth: 'key',
    scope: 'templates:write',
    body: createTemplateBody,
    responses: { 201: templateObject },
    errors: ['validation_failed', 'conflict'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createTemplate(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/templates/:id',
    summary: 'Get a message template',
    description:
      'One template: name, language, category, body with its `{{placeholders}}`, header, buttons and approval status.',
    tags: ['Templates'],
    auth: 'key',
    scope: 'templates:read',
    params: idParams('tpl'),
    responses: { 200: templateObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentTemplate(await getTemplateRow(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/templates/:id',
    summary: 'Update a message template',
    description:
      'Changing the content sends a live template back to review (`pending`). `status` may be set in test mode only.',
    tags: ['Templates'],
    auth: 'key',
    scope: 'templates:write',
    params: idParams('tpl'),
    body: updateTemplateBody,
    responses: { 200: templateObject },
    errors: ['validation_failed'],
    handler: ok(({ ctx, auth, params, body }) => updateTemplate(ctx, auth, params.id, body, auth.actor)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/templates/:id',
    summary: 'Delete a message template',
    description: 'Deletes the template; messages already sent with it keep their content.',
    tags: ['Templates'],
    auth: 'key',
    scope: 'templates:write',
    params: idParams('tpl'),
    responses: { 200: deletedResponse('tpl', 'template') },
    handler: ok(({ ctx, auth, params }) => deleteTemplate(ctx, auth, params.id)),
  }),
];
