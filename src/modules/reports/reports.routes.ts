import { z } from 'zod';
import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, queryBoolean } from '../../platform/http/schemas.ts';
import { callsReport, campaignReport } from './reports.calls.ts';
import { callsCsv, checkMode, conversationsCsv } from './reports.csv.ts';
import { filteredReport, reportFilterFields, reportFilterQuery, resolveFilters } from './reports.filters.ts';
import { overviewReport } from './reports.overview.ts';
import {
  callsReportObject,
  campaignReportObject,
  overviewObject,
  overviewQuery,
  usersReportObject,
} from './reports.schemas.ts';
import { usersReport } from './reports.users.ts';

const tags = ['Reports'];
const filters =
  ' Filters: `from`, `to` (dates in the workspace timezone, or date-times), `channel`, `agent_id`, `team_id`, `user_id`; a range over 400 days, `from` not before `to`, or an unknown id is a 400. Every figure is defined in docs/reports.md.';

export const reportRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/reports/overview',
    summary: 'Overview report',
    description: `Totals and a series (\`interval\` hour, day or week) over the conversations created in the range.${filters}`,
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: overviewQuery,
    responses: { 200: overviewObject },
    handler: filteredReport((ctx, auth, f, query) => overviewReport(ctx, auth, f, query.interval ?? 'day')),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/calls',
    summary: 'Calls report',
    description: `Calls queued in the range: counts by status, ended_reason and answered_by, duration and turn-latency percentiles, transfers, minutes.${filters}`,
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: reportFilterQuery,
    responses: { 200: callsReportObject },
    handler: filteredReport(callsReport),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/users',
    summary: 'People report',
    description: `Per person of the team: conversations handled, replies, first-response times, CSAT.${filters}`,
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: reportFilterQuery,
    responses: { 200: usersReportObject },
    handler: filteredReport(usersReport),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/campaigns/:id',
    summary: 'Campaign funnel',
    description: "A campaign's funnel: total → attempted → answered → completed → success, and its outcomes.",
    tags,
    auth: 'key',
    scope: 'reports:read',
    params: idParams('cmp'),
    query: z.object({}),
    responses: { 200: campaignReportObject },
    handler: ok(({ ctx, auth, params }) => campaignReport(ctx, auth, params.id)),
  }),
  ...(['conversations', 'calls'] as const).map((what) =>
    defineRoute({
      method: 'GET',
      path: `/v1/reports/${what}.csv`,
      summary: `Export ${what} as CSV`,
      description: `One row per ${what === 'calls' ? 'call queued' : 'conversation created'} in the range, streamed (rows are read page by page as the client takes them): its contact, channel, status, assignee, timings${what === 'calls' ? '' : ', CSAT'} and analysis (\`analysis_*\` and one \`data.<field>\` column per field of the agents' analysis schemas). A key exports its own mode's data: \`livemode\` other than the key's mode is a 403.${filters}`,
      tags,
      auth: 'key',
      scope: 'reports:read',
      query: z.object({
        ...reportFilterFields,
        livemode: queryBoolean(
          "The mode of the data; must be the key's own (a test key asking for live data is a 403).",
        ),
      }),
      responses: { 200: null },
      rawResponses: {
        200: {
          'text/csv': {
            schema: { type: 'string', description: 'A header row, then one row per item (RFC 4180, UTF-8).' },
          },
        },
      },
      errors: ['forbidden'],
      handler: async ({ ctx, auth, query }) => {
        checkMode(auth, query.livemode);
        const f = await resolveFilters(ctx, auth, query);
        const stream = what === 'calls' ? await callsCsv(ctx, auth, f) : await conversationsCsv(ctx, auth, f);
        return {
          status: 200,
          body: stream,
          contentType: 'text/csv; charset=utf-8',
          headers: {
            'content-disposition': contentDisposition('attachment', `${what}.csv`),
            'cache-control': 'no-store',
          },
        };
      },
    }),
  ),
];
