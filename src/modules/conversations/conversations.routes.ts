import { validationFailed } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { actionRoute, defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { listConversations } from './conversations.list.ts';
import {
  assignBody,
  bulkBody,
  bulkResponse,
  conversationObject,
  handoffBody,
  listConversationsQuery,
  snoozeBody,
  tagsBody,
} from './conversations.schemas.ts';
import {
  assignConversation,
  assignTargetOf,
  bulkAction,
  closeConversation,
  getConversation,
  handoffConversation,
  reopenConversation,
  resolveHandoff,
  setConversationTags,
  snoozeConversation,
} from './conversations.service.ts';

const tags = ['Conversations'];
const params = idParams('conv');

/** A POST with no body that answers the conversation as `act` left it. */
function conversationAction(
  path: string,
  summary: string,
  description: string,
  act: typeof closeConversation,
) {
  return actionRoute({
    path,
    summary,
    description,
    tags,
    scope: 'conversations:write',
    params,
    response: conversationObject,
    act: (ctx, auth, id) => act(ctx, auth, id, auth.actor),
  });
}

export const conversationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/conversations',
    summary: 'List conversations',
    description:
      'Conversations of this workspace and mode, the latest activity first, each with its channel, contact, status, AI state, assignee, tags, last message and `window_expires_at`. Filter by `status`, `channel`, `assignee`, `tag`, `contact_id`, `agent_id`, `ai_paused`, `priority`, the last message’s time (`from`/`to`), or search with `q`.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listQuery(listConversationsQuery),
    responses: { 200: listResponse(conversationObject) },
    handler: ok(({ ctx, auth, query }) => listConversations(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/bulk',
    summary: 'Act on many conversations',
    description:
      'close, reopen, snooze (`until`), assign (exactly one of `user_id` | `team_id`; `{"user_id": null}` unassigns; neither is a 400), tag or untag (`tags`); one result per id, each applied on its own.',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    body: bulkBody,
    responses: { 200: bulkResponse },
    errors: ['validation_failed'],
    handler: ok(({ ctx, auth, body }) => bulkAction(ctx, auth, body, auth.actor)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/conversations/:id',
    summary: 'Get a conversation',
    description:
      'One conversation: channel, contact, agent, status (`active`, `snoozed`, `closed`), AI state (`ai_handled`, `ai_paused`), assignee, tags, last message and `window_expires_at` (until when WhatsApp accepts free-form messages).',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params,
    responses: { 200: conversationObject },
    handler: ok(({ ctx, auth, params }) => getConversation(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/assign',
    summary: 'Assign to a user or a team',
    description:
      'Give exactly one of `user_id` or `team_id`: an id assigns, `null` (e.g. `{"user_id": null}`) unassigns. An empty body, or both fields, is a 400 naming them. An unknown user or team is a 404 naming the field.',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    params,
    body: assignBody,
    responses: { 200: conversationObject },
    errors: ['validation_failed'],
    handler: async ({ ctx, auth, params, body }) => {
      const target = assignTargetOf(body);
      if (Array.isArray(target)) throw validationFailed(target);
      return { status: 200, body: await assignConversation(ctx, auth, params.id, target, auth.actor) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/conversations/:id/tags',
    summary: 'Replace the tags',
    description:
      "Replaces the conversation's tags with the list given (an empty list removes them all) and emits `conversation.tagged`.",
    tags,
    auth: 'key',
    scope: 'conversations:write',
    params,
    body: tagsBody,
    responses: { 200: conversationObject },
    handler: ok(({ ctx, auth, params, body }) =>
      setConversationTags(ctx, auth, params.id, body.tags, auth.actor),
    ),
  }),
  conversationAction(
    '/v1/conversations/:id/close',
    'Close (resolve) a conversation',
    'Emits conversation.resolved. A new customer message reopens it.',
    closeConversation,
  ),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/snooze',
    summary: 'Snooze until a time',
    description:
      'It wakes up (active again, conversation.reopened) at `until`, or earlier when the customer writes. A closed conversation cannot be snoozed (409).',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    params,
    body: snoozeBody,
    responses: { 200: conversationObject },
    errors: ['validation_failed', 'conflict'],
    handler: ok(({ ctx, auth, params, body }) =>
      snoozeConversation(ctx, auth, params.id, body.until, auth.actor),
    ),
  }),
  conversationAction(
    '/v1/conversations/:id/reopen',
    'Reopen a closed or snoozed conversation',
    'Makes a closed or snoozed conversation active again and emits `conversation.reopened`. A customer message reopens a closed conversation by itself.',
    reopenConversation,
  ),
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/handoff',
    summary: 'Hand off from the AI to people',
    description:
      'Pauses the AI (`ai_paused: true`) and emits conversation.escalated; optionally assigns it. Handing off a conversation already handed off changes only the assignment.',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    params,
    body: handoffBody,
    responses: { 200: conversationObject },
    errors: ['validation_failed'],
    handler: ok(({ ctx, auth, params, body }) =>
      handoffConversation(
        ctx,
        auth,
        params.id,
        {
          reason: body.reason,
          assignTo: body.assign_to ? { type: body.assign_to.type, id: body.assign_to.id } : undefined,
        },
        auth.actor,
      ),
    ),
  }),
  conversationAction(
    '/v1/conversations/:id/handoff/resolve',
    'Hand the conversation back to the AI',
    'Clears `ai_paused` and emits conversation.handoff_resolved (no change when it was not handed off).',
    resolveHandoff,
  ),
];
