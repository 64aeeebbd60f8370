import { z } from 'zod';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { baseObject, describe, idOf, idParams, nullableTimestamp } from '../../platform/http/schemas.ts';
import { isIsoDateOrInstant } from '../../platform/time.ts';
import { conversationObject } from '../conversations/index.ts';
import { callObject } from '../voice/index.ts';
import { analyzeCall, analyzeConversation } from './analysis.service.ts';
import { getRun, startRun } from './runs.service.ts';

const runObject = z.object({
  ...baseObject('anr', 'analysis_run'),
  agent_id: idOf('agt', 'The agent whose conversations and calls are analysed.'),
  from: describe(z.string(), 'Start of the range (ISO 8601, included).', '2026-05-01T00:00:00.000Z'),
  to: describe(z.string(), 'End of the range (ISO 8601, excluded).', '2026-05-08T00:00:00.000Z'),
  status: describe(z.enum(['queued', 'running', 'completed', 'failed']), 'Where the run is.', 'running'),
  total: describe(z.number().int(), 'Conversations resolved and calls ended in the range.', 120),
  done: describe(z.number().int(), 'Analysed so far.', 48),
  failed: describe(z.number().int(), 'That could not be analysed.', 0),
  progress: describe(z.number(), 'Share done, 0 to 1.', 0.4),
  error: describe(z.string().nullable(), 'Why the run failed, if it did.', null),
  completed_at: nullableTimestamp('When it finished'),
});

const isoInstant = (what: string, example: string) =>
  describe(z.string().refine(isIsoDateOrInstant, 'must be an ISO 8601 date or date-time'), what, example);

export const analysisRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/conversations/:id/analyze',
    summary: 'Analyse a conversation again',
    description:
      "Runs the agent's analysis plan over the conversation now (after the plan changed, say) with the agent's engine: its LLM where it has one, else the built-in engine. Returns the conversation with its new `analysis`; emits `conversation.analyzed`.",
    tags: ['Conversations'],
    auth: 'key',
    scope: 'conversations:write',
    params: idParams('conv'),
    responses: { 200: conversationObject },
    handler: ok(({ ctx, auth, params }) => analyzeConversation(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/calls/:id/analyze',
    summary: 'Analyse a call again',
    description:
      "Runs the agent's analysis plan over the call's transcript now. Returns the call with its new `analysis` (also set on its conversation); emits `call.analyzed` and `conversation.analyzed`.",
    tags: ['Calls'],
    auth: 'key',
    scope: 'calls:write',
    params: idParams('call'),
    responses: { 200: callObject },
    handler: ok(({ ctx, auth, params }) => analyzeCall(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/analyze',
    summary: "Analyse an agent's past conversations and calls",
    description:
      'A job that analyses again every conversation of the agent resolved, and every call of it ended, in [`from`, `to`) (400 days at most). Returns the run; follow its progress with `GET /v1/analysis-runs/{id}`.',
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:write',
    params: idParams('agt'),
    body: z.strictObject({
      from: isoInstant('Start of the range (included).', '2026-05-01T00:00:00Z'),
      to: isoInstant('End of the range (excluded).', '2026-06-01T00:00:00Z'),
    }),
    responses: { 202: runObject },
    handler: async ({ ctx, auth, params, body }) => ({
      status: 202,
      body: await startRun(ctx, auth, params.id, body.from, body.to),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/analysis-runs/:id',
    summary: 'Retrieve an analysis run',
    description: 'The progress of a re-analysis started with `POST /v1/agents/{id}/analyze`.',
    tags: ['Agents'],
    auth: 'key',
    scope: 'agents:read',
    params: idParams('anr'),
    responses: { 200: runObject },
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await getRun(ctx, auth, params.id) }),
  }),
];
