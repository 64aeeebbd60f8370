import { defineRoute } from '../../platform/http/route.ts';
import { idParams } from '../../platform/http/schemas.ts';
import { copilotResponse, testAgentBody, testAgentResponse } from './ai.schemas.ts';
import { type AiOptions, copilotSuggest, testAgent } from './ai.service.ts';

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
      handler: async ({ ctx, auth, params, body }) => ({
        status: 200,
        body: await testAgent(ctx, auth, params.id, body, opts),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/conversations/:id/copilot/suggest',
      summary: 'Suggest replies and next steps for a human agent',
      description:
        "Drafts from the conversation's agent (built-in rules or its LLM) and its knowledge, for the customer's latest messages. Writes nothing.",
      tags: ['AI'],
      auth: 'key',
      scope: 'conversations:read',
      params: idParams('conv'),
      responses: { 200: copilotResponse },
      errors: ['not_found', 'unprocessable'],
      handler: async ({ ctx, auth, params }) => ({
        status: 200,
        body: await copilotSuggest(ctx, auth, params.id, opts),
      }),
    }),
  ];
}
