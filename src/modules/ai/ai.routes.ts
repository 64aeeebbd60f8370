import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams } from '../../platform/http/schemas.ts';
import {
  aiRepliesQuery,
  aiRepliesResponse,
  copilotResponse,
  modelCheckResponse,
  replayBody,
  replayResponse,
  testAgentBody,
  testAgentResponse,
} from './ai.schemas.ts';
import { type AiOptions, testAgent } from './ai.service.ts';
import { aiRepliesOf, copilotSuggest } from './copilot.ts';
import { checkModel } from './model-check.ts';
import { replayAgent } from './replay.ts';

export function aiRoutes(opts: AiOptions) {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/agents/:id/test',
      summary: 'Try an agent (playground, no channel)',
      description:
        'Answers one message as the agent would, with its knowledge, hours, booking rules and model. Nothing is written (`dry_run: true`): leads, bookings, cancellations and handoffs appear in `actions` as `would_capture_lead`, `would_book`, `would_cancel_booking` and `would_handoff`, each with `data.dry_run: true` and null ids; `booking_proposed` is a slot the agent offers or asks the customer to confirm.',
      tags: ['AI'],
      auth: 'key',
      scope: 'agents:read',
      params: idParams('agt'),
      body: testAgentBody,
      responses: { 200: testAgentResponse },
      errors: ['not_found'],
      handler: ok(({ ctx, auth, params, body }) => testAgent(ctx, auth, params.id, body, opts)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/agents/:id/model-check',
      summary: "Check the agent's model: reachable, found, streaming, tool calling, JSON output",
      description:
        "Sends three tiny requests to the agent's model (a streamed one-word answer, a forced function call, a JSON object) and reports what they showed, with the first request's latency. A model that cannot be reached or found is an answer with `error`, not an error status. It costs a few tokens at the provider: it takes `agents:write`, as changing the model does. A built-in agent has no model to check (422).",
      tags: ['AI'],
      auth: 'key',
      scope: 'agents:write',
      params: idParams('agt'),
      responses: { 200: modelCheckResponse },
      errors: ['not_found', 'unprocessable'],
      handler: ok(({ ctx, auth, params }) => checkModel(ctx, auth, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/agents/:id/replay',
      summary: 'Replay past customer messages through the agent, or a draft of it',
      description:
        "Answers past customer messages again (those of `conversation_ids`, or of this agent's conversations since `since`, by default the last 7 days; the newest `limit`, answered oldest first) with the agent as it is or with `draft` applied, sending and writing nothing. Each result has the reply then and now, the actions then and now (now as a dry run: `would_book`...), and `changed`. Try a new price list or instruction on last week's customers before going live. Dates the customers wrote and availability are read as of now. Workspace tools are answered with the responses recorded in each conversation's live tool calls (status `replayed`; else a matching mock; else not run, code `not_recorded`): a replay never calls the business.",
      tags: ['AI'],
      auth: 'key',
      scope: 'agents:read',
      params: idParams('agt'),
      body: replayBody,
      responses: { 200: replayResponse },
      errors: ['not_found'],
      handler: ok(({ ctx, auth, params, body }) => replayAgent(ctx, auth, params.id, body, opts)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/conversations/:id/copilot/suggest',
      summary: 'Suggest replies and next steps for a human agent',
      description:
        "Drafts from the conversation's agent (built-in rules or its LLM) and its knowledge, for the customer's latest messages. Writes nothing, but runs the agent's model (an LLM's cost): it takes `conversations:write`, as replying does, not a read-only key.",
      tags: ['AI'],
      auth: 'key',
      scope: 'conversations:write',
      params: idParams('conv'),
      responses: { 200: copilotResponse },
      errors: ['not_found', 'unprocessable'],
      handler: ok(({ ctx, auth, params }) => copilotSuggest(ctx, auth, params.id, opts)),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/conversations/:id/ai-replies',
      summary: "Why the AI answered as it did: each AI reply's sources and actions",
      description:
        'For messages the AI agent sent in this conversation: the knowledge passages each answer is based on and what the agent did (lead captured, booking made, handoff). The inbox shows them beside the answers.',
      tags: ['AI'],
      auth: 'key',
      scope: 'conversations:read',
      params: idParams('conv'),
      query: aiRepliesQuery,
      responses: { 200: aiRepliesResponse },
      errors: ['not_found'],
      handler: ok(({ ctx, auth, params, query }) =>
        aiRepliesOf(ctx, auth, params.id, query.message_ids?.split(',')),
      ),
    }),
  ];
}
