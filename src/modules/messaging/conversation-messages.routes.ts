import { invalidField } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { describe, idOf, idParams, listResponse } from '../../platform/http/schemas.ts';
import { senderOf } from './messaging.routes.ts';
import { messageObject, messagesQuery, replyBody } from './messaging.schemas.ts';
import { listConversationMessages } from './messaging.service.ts';
import { replyToConversation } from './replies.service.ts';

const tags = ['Conversations'];

/** A reply may be a canned response, filled in for this conversation (teamtools fills it). */
const replyRouteBody = replyBody
  .safeExtend({
    canned_response_id: describe(
      idOf('cr'),
      'Send this canned response, its variables filled in for this conversation and sender (instead of `text`).',
    ).optional(),
  })
  .meta({
    examples: [
      { text: 'Haan ji, hum Sunday ko 10 se 7 khule hain.' },
      { canned_response_id: 'cr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    ],
  });
const params = idParams('conv');

/** The messages of one conversation: read them, reply on its channel. */
export const conversationMessageRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/conversations/:id/messages',
    summary: 'Messages of a conversation',
    description:
      'Oldest first (newest last), paginated; `order=desc` gives the newest first. `before` and `after` (message ids) read from a fixed point, so a long thread can be read page by page while new messages arrive: the inbox opens a thread with `order=desc&per_page=50` and loads older ones with `before=<oldest shown>`. Private notes (`type: note`) are included.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    query: messagesQuery,
    responses: { 200: listResponse(messageObject) },
    handler: ok(({ ctx, auth, params, query }) =>
      listConversationMessages(ctx, auth, params.id, pageRequest(query), query),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/reply',
    summary: "Reply on the conversation's channel",
    description:
      'Sends on the channel the conversation is on, to its contact (same content and errors as POST /v1/messages). The body is one content field — `{"text": "..."}` (or `{"body": "..."}` as in Devotel Orbit), `{"template": {...}}`, `{"image": {...}}` ... — whose name is the type; `type` may also be given, and is required when several content fields are. On WhatsApp, free-form content outside the 24-hour window is a 422 `whatsapp_outside_24h_window`: send an approved template instead. On Messenger and Instagram, after 24 hours only a person\'s reply (a signed-in user) may go, with Meta\'s HUMAN_AGENT tag, for 7 days after the customer\'s last message: an API key\'s send is a 422 `human_agent_only`, any send after 7 days a 422 `meta_outside_messaging_window`. Replying to a closed conversation is a 409 `conflict`: reopen it first. `{"canned_response_id": "cr_..."}` sends that canned response filled in (404 when it does not exist; 422 `unprocessable` naming in `errors[].field` each of `{{agent.name}}`, `{{business.address}}` it uses that is not set, and nothing is sent).',
    tags,
    auth: 'key',
    scope: 'messages:write',
    params,
    body: replyRouteBody,
    responses: { 201: messageObject },
    errors: [
      'validation_failed',
      'not_found',
      'conflict',
      'whatsapp_outside_24h_window',
      'human_agent_only',
      'meta_outside_messaging_window',
      'template_not_approved',
      'contact_opted_out',
      'channel_not_configured',
      'rate_limited',
      'unprocessable',
    ],
    handler: async ({
      ctx,
      auth,
      params,
      body: { body: orbitText, canned_response_id: canned, ...content },
    }) => {
      if (canned && (orbitText !== undefined || content.text !== undefined))
        throw invalidField('canned_response_id', 'give either a canned response or `text`, not both');
      const text = canned ? await ctx.ports.cannedText?.(auth, params.id, canned, auth.actor) : orbitText;
      return {
        status: 201,
        body: await replyToConversation(ctx, senderOf(auth), params.id, {
          ...content,
          ...(text !== undefined ? { text } : {}),
        }),
      };
    },
  }),
];
