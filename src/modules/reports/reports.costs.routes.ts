import { z } from 'zod';
import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { describe } from '../../platform/http/schemas.ts';
import { adFigures } from '../conversations/index.ts';
import { aiUsageQuery, aiUsageReport, aiUsageReportObject } from './reports.ai-usage.ts';
import { costsCsv, costsQuery, costsReport, costsReportObject } from './reports.costs.ts';
import { reportFilterFields, resolveFilters } from './reports.filters.ts';
import { getRateCard, rateCardBody, rateCardObject, setRateCard } from './reports.rate-card.ts';

const tags = ['Reports'];
const rangeQuery = {
  from: reportFilterFields.from,
  to: reportFilterFields.to,
  timezone: reportFilterFields.timezone,
  agent_id: reportFilterFields.agent_id,
};
const costsFilters =
  ' Filters: `from`, `to` (dates in the workspace timezone, or date-times; by when the message was created), `agent_id` (the conversation\'s agent); `group_by` other than category, market, campaign, agent or ad is a 400. See docs/reports.md, "Costs".';

const n = (what: string, example: number) => describe(z.number(), what, example);
const adsReportObject = z.object({
  object: describe(z.literal('report'), 'The type of this object.', 'report'),
  from: describe(z.string(), 'Start of the range (UTC instant, included).', '2026-04-30T18:30:00.000Z'),
  to: describe(z.string(), 'End of the range (UTC instant, excluded).', '2026-05-07T18:30:00.000Z'),
  timezone: describe(z.string(), 'The timezone of dates.', 'Asia/Kolkata'),
  totals: describe(
    z.object({
      conversations: n('Conversations an ad or post brought in the range.', 42),
      leads: n('Leads captured in them.', 12),
      bookings: n('Bookings made in them.', 5),
    }),
    'Over every ad.',
  ),
  ads: describe(
    z.array(
      z.object({
        source_id: describe(z.string(), 'Meta `source_id`: the ad or post id.', '120226305854810726'),
        source_type: describe(z.string().nullable(), 'ad or post.', 'ad'),
        source_url: describe(z.string().nullable(), 'The ad or post URL.', 'https://fb.me/3cr4Wqqkv'),
        headline: describe(z.string().nullable(), "The ad's headline.", 'Chat with us'),
        conversations: n('Conversations it brought (its referral came in the range).', 30),
        leads: n('Leads captured in those conversations.', 9),
        bookings: n('Bookings made in those conversations.', 4),
      }),
    ),
    'One row per ad or post, most conversations first.',
  ),
});

export const costRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/reports/ai-usage',
    summary: 'AI usage report: tokens by model',
    description:
      "The AI's replies in the range with the tokens their models read and wrote (as each model's server counted them, tool rounds included), grouped by `group_by`: `model` (default), `agent`, `day` or `conversation`; `conversation_id` gives one conversation's. Filters: `from`, `to` (dates in the workspace timezone, or date-times; by when the reply was written), `agent_id`, `channel` (the conversation's). Multiply by your provider's prices per token for the money. See docs/reports.md, \"AI usage\".",
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: z.object({ ...rangeQuery, channel: reportFilterFields.channel, ...aiUsageQuery }),
    responses: { 200: aiUsageReportObject },
    handler: ok(async ({ ctx, auth, query }) =>
      aiUsageReport(
        ctx,
        auth,
        await resolveFilters(ctx, auth, query),
        query.group_by ?? 'model',
        query.conversation_id,
      ),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/rate-card',
    summary: 'Get the rate card',
    description:
      "The WhatsApp prices the costs report uses: one per market (the recipient's country, or `*` for any other) and Meta pricing category, in one currency. Admins only (`settings:read`).",
    tags,
    auth: 'key',
    scope: 'settings:read',
    responses: { 200: rateCardObject },
    handler: ok(({ ctx, auth }) => getRateCard(ctx, auth)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/rate-card',
    summary: 'Set the rate card',
    description:
      'Replaces the rate card of this mode: `currency` (ISO 4217) and `rates: [{market, category, price}]`, `market` an ISO 3166 alpha-2 code or `*`, `price` a non-negative decimal (string or number, up to 6 places). An unknown currency, market or category, a negative or malformed price, or a market and category given twice is a 400 and changes nothing. Admins only (`settings:write`); recorded in the audit log.',
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: rateCardBody,
    responses: { 200: rateCardObject },
    handler: ok(({ ctx, auth, body }) => setRateCard(ctx, auth, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/costs',
    summary: 'WhatsApp costs report',
    description: `Priced outbound WhatsApp messages (Meta's \`pricing\` from status webhooks), what Meta charges for (billable messages under PMP, billable conversations under CBP) and their estimated cost by the rate card, grouped by \`group_by\`.${costsFilters}`,
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: z.object({ ...rangeQuery, ...costsQuery }),
    responses: { 200: costsReportObject },
    handler: ok(async ({ ctx, auth, query }) =>
      costsReport(ctx, auth, await resolveFilters(ctx, auth, query), query.group_by ?? 'category'),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/costs.csv',
    summary: 'Export the costs report as CSV',
    description: `The costs report's groups, one row each: the key, its label, messages, billable, charged_units, unpriced_units, estimated_cost, currency.${costsFilters}`,
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: z.object({ ...rangeQuery, ...costsQuery }),
    responses: { 200: null },
    rawResponses: {
      200: {
        'text/csv': {
          schema: { type: 'string', description: 'A header row, then one row per group (RFC 4180, UTF-8).' },
        },
      },
    },
    handler: async ({ ctx, auth, query }) => {
      const report = await costsReport(
        ctx,
        auth,
        await resolveFilters(ctx, auth, query),
        query.group_by ?? 'category',
      );
      return {
        status: 200,
        body: costsCsv(report),
        contentType: 'text/csv; charset=utf-8',
        headers: {
          'content-disposition': contentDisposition('attachment', 'costs.csv'),
          'cache-control': 'no-store',
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/reports/ads',
    summary: 'Click-to-WhatsApp ads report',
    description:
      "Per ad or post (the conversation's `source.source_id`, from Meta's `referral`): the conversations it brought whose referral came in the range, and the leads and bookings made in them. Filters: `from`, `to`, `timezone`.",
    tags,
    auth: 'key',
    scope: 'reports:read',
    query: z.object({ from: rangeQuery.from, to: rangeQuery.to, timezone: rangeQuery.timezone }),
    responses: { 200: adsReportObject },
    handler: ok(async ({ ctx, auth, query }) => {
      const f = await resolveFilters(ctx, auth, query);
      const ads = await adFigures(ctx.db, auth, f.from, f.to);
      const sum = (k: 'conversations' | 'leads' | 'bookings') => ads.reduce((s, a) => s + a[k], 0);
      return {
        object: 'report' as const,
        from: f.from,
        to: f.to,
        timezone: f.timezone,
        totals: { conversations: sum('conversations'), leads: sum('leads'), bookings: sum('bookings') },
        ads,
      };
    }),
  }),
];
