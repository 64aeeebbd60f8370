import { z } from 'zod';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { describe, idParams } from '../../platform/http/schemas.ts';
import { isIsoDateOrInstant } from '../../platform/time.ts';
import { callStatuses, endedReasons } from '../voice/index.ts';
import { drillCalls, drillCampaign, drillConversations, funnelStages } from './reports.drill.ts';
import { filteredReport, intervals, reportFilterFields } from './reports.filters.ts';
import { firstResponseBuckets } from './reports.overview.ts';

/**
 * The drill-down routes: the conversations, calls or recipients behind one figure of a report
 * (what the Reports page lists when a chart point or bar is clicked).
 */
const tags = ['Reports'];
const nullableNumber = (what: string, example: number | null) =>
  describe(z.number().nullable(), what, example);
const nullableString = (what: string, example: string | null) =>
  describe(z.string().nullable(), what, example);
const limit = describe(
  z.coerce.number().int().min(1).max(500),
  'How many rows to give (the first by id; `total` counts them all). Default 100.',
  100,
).optional();
const rangeFields = {
  from: describe(z.string(), 'Start of the range (UTC instant, included).', '2026-04-30T18:30:00.000Z'),
  to: describe(z.string(), 'End of the range (UTC instant, excluded).', '2026-05-07T18:30:00.000Z'),
  timezone: describe(z.string(), 'The timezone of dates and buckets.', 'Asia/Kolkata'),
};
const total = describe(z.number().int(), 'Rows behind the figure (all of them, not only those given).', 12);

/** A drill-down's answer: what it is behind (`head`), the total behind the figure and the rows given, by id. */
const drillList = (head: z.ZodRawShape, row: z.ZodRawShape, what: string) =>
  z.object({
    object: describe(z.literal('list'), 'The type of this object.', 'list'),
    ...head,
    total,
    data: describe(z.array(z.object(row)), what),
  });

const conversationDrillQuery = z.object({
  ...reportFilterFields,
  interval: describe(z.enum(intervals), 'Bucket of `at` (default day).', 'day').optional(),
  at: describe(
    z.string().refine(isIsoDateOrInstant, 'must be an ISO 8601 date-time'),
    'Only the conversations of the series bucket starting then (a series `at`).',
    '2026-05-01T00:00:00.000+05:30',
  ).optional(),
  figure: describe(
    z.enum(['conversations', 'ai_resolved', 'handoffs', 'first_response', 'csat']),
    'Which figure: every conversation, AI resolutions, handoffs, those with a first response, those with a CSAT answer. Default conversations.',
    'ai_resolved',
  ).optional(),
  reason: describe(z.string().min(1).max(200), 'handoffs: only this reason.', 'billing').optional(),
  bucket: describe(
    z.enum(['longer', ...firstResponseBuckets.map(String)]),
    'first_response: only this histogram bucket (its `up_to_s`, or `longer`).',
    '60',
  ).optional(),
  score: describe(z.coerce.number().int().min(1).max(5), 'csat: only this score.', 5).optional(),
  limit,
});

const conversationDrillObject = drillList(
  rangeFields,
  {
    id: describe(z.string(), 'The conversation.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    channel: describe(z.string(), 'Its channel.', 'whatsapp'),
    status: describe(z.string(), 'Its status now.', 'closed'),
    contact_address: describe(z.string(), "The customer's address.", '+919812345678'),
    agent_id: nullableString('Its agent.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    assignee_id: nullableString('Who it is assigned to.', null),
    created_at: describe(z.string(), 'When it was created.', '2026-05-01T09:12:00.000Z'),
    first_response_s: nullableNumber('Its first response, in seconds.', 2.4),
    ai_resolved: describe(z.boolean(), 'An AI resolution.', true),
    handoff_reasons: describe(z.array(z.string()), 'Its handoffs, by reason.', []),
    csat_score: nullableNumber('Its CSAT answer.', null),
  },
  'The conversations, by id.',
);

const callDrillQuery = z.object({
  ...reportFilterFields,
  // A value no call can have is refused rather than answered with an empty list.
  status: describe(z.enum(callStatuses), 'Only in this status.', 'completed').optional(),
  ended_reason: describe(
    z.enum([...endedReasons, 'none']),
    'Only with this ended_reason (`none`: not ended).',
    'customer_ended_call',
  ).optional(),
  answered_by: describe(
    z.enum(['human', 'machine', 'call_screener', 'unknown', 'none']),
    'Only answered by this (`none`: not set).',
    'human',
  ).optional(),
  limit,
});

const callDrillObject = drillList(
  rangeFields,
  {
    id: describe(z.string(), 'The call.', 'call_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    conversation_id: nullableString('Its conversation.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    agent_id: nullableString('Its agent.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    campaign_id: nullableString('Its campaign.', null),
    direction: describe(z.string(), 'inbound or outbound.', 'outbound'),
    to_address: nullableString('The number called.', '+919812345678'),
    from_address: nullableString('The number calling.', '+14155550100'),
    status: describe(z.string(), 'Its status.', 'completed'),
    ended_reason: nullableString('Why it ended.', 'customer_ended_call'),
    answered_by: nullableString('Who answered.', 'human'),
    duration_seconds: nullableNumber('Its duration.', 95),
    queued_at: describe(z.string(), 'When it was queued.', '2026-05-01T09:12:00.000Z'),
  },
  'The calls, by id.',
);

const recipientDrillObject = drillList(
  {
    campaign_id: describe(z.string(), 'The campaign.', 'cmp_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    stage: describe(z.enum(funnelStages), 'The funnel stage.', 'answered'),
  },
  {
    id: describe(z.string(), 'The recipient.', 'crcp_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    contact_id: describe(z.string(), 'The contact.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    phone: nullableString('The number.', '+919812345678'),
    state: describe(z.string(), 'Its state.', 'completed'),
    result: nullableString('Its result.', 'answered'),
    attempts: describe(z.number().int(), 'Attempts made.', 1),
    outcome: nullableString('The flow outcome.', 'interested'),
    last_call_id: nullableString('Its last call.', 'call_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  },
  'The recipients, by id.',
);

export const drillRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/reports/overview/conversations',
    summary: 'Conversations behind an overview figure',
    description:
      'The conversations counted in one figure of the overview (with the same filters): all of them, or one series bucket (`at`, `interval`), the AI resolutions, the handoffs (of one `reason`), a first-response histogram `bucket`, a CSAT `score`. `total` always equals the figure.',
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: conversationDrillQuery,
    responses: { 200: conversationDrillObject },
    handler: filteredReport((ctx, auth, f, query) =>
      drillConversations(ctx, auth, f, {
        interval: query.interval ?? 'day',
        at: query.at,
        figure: query.figure ?? 'conversations',
        reason: query.reason,
        bucket: query.bucket,
        score: query.score,
        limit: query.limit ?? 100,
      }),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/calls/list',
    summary: 'Calls behind a calls-report count',
    description:
      'The calls counted in the calls report (with the same filters), optionally only one `status`, `ended_reason` or `answered_by` (`none`: not set). `total` equals the count.',
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: callDrillQuery,
    responses: { 200: callDrillObject },
    handler: filteredReport((ctx, auth, f, query) =>
      drillCalls(ctx, auth, f, {
        status: query.status,
        ended_reason: query.ended_reason,
        answered_by: query.answered_by,
        limit: query.limit ?? 100,
      }),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/campaigns/:id/recipients',
    summary: 'Recipients behind a funnel stage',
    description: "A campaign's recipients in one stage of its funnel (`total` equals the stage's count).",
    tags,
    auth: 'key',
    scope: 'reports:read',
    params: idParams('cmp'),
    query: z.object({
      stage: describe(z.enum(funnelStages), 'The funnel stage (default total).', 'answered').optional(),
      limit,
    }),
    responses: { 200: recipientDrillObject },
    handler: ok(({ ctx, auth, params, query }) =>
      drillCampaign(ctx, auth, params.id, query.stage ?? 'total', query.limit ?? 100),
    ),
  }),
];
