/**
 * What WhatsApp messages cost (docs/reports.md, "Costs"): Meta's pricing of each outbound message
 * (its status webhooks) priced with the operator's rate card by the recipient's country and the
 * pricing category, grouped by category, market, campaign (broadcast), agent or ad.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { describe } from '../../platform/http/schemas.ts';
import { findAgentRow, type Scope } from '../agents/index.ts';
import { broadcastMessages, broadcastNames } from '../broadcasts/index.ts';
import { adFigures, conversationAttribution } from '../conversations/index.ts';
import { pricedMessages } from '../messaging/index.ts';
import { csvCell } from './reports.csv.ts';
import type { ReportFilters } from './reports.filters.ts';
import { formatMicros, getRateCard, priceFor, type RateCard } from './reports.rate-card.ts';

export const costGroupings = ['category', 'market', 'campaign', 'agent', 'ad'] as const;
export type CostGrouping = (typeof costGroupings)[number];

interface CostRow {
  key: string | null;
  market: string | null;
  category: string | null;
  messages: number | string;
  billable: number | string;
  per_message: number | string;
  cbp_conversations: number | string;
}

/** The messages' counts per group key, market and category, in one statement over the views. */
async function costRows(ctx: AppContext, scope: Scope, f: ReportFilters, by: CostGrouping) {
  const keyOf = {
    category: sql.ref('m.pricing_category'),
    market: sql.ref('m.pricing_market'),
    campaign: sql.ref('b.broadcast_id'),
    agent: sql.ref('c.agent_id'),
    ad: sql.ref('c.source_id'),
  }[by];
  let q = ctx.db
    .selectFrom(pricedMessages(ctx.db, scope).as('m'))
    .leftJoin(conversationAttribution(ctx.db, scope).as('c'), 'c.id', 'm.conversation_id')
    .leftJoin(broadcastMessages(ctx.db, scope).as('b'), 'b.message_id', 'm.id')
    .select([
      sql<string | null>`${keyOf}`.as('key'),
      'm.pricing_market as market',
      'm.pricing_category as category',
      sql<number>`count(*)`.as('messages'),
      sql<number>`coalesce(sum(case when m.pricing_billable = 1 then 1 else 0 end), 0)`.as('billable'),
      // PMP (and a model Meta may add) charges each billable message; CBP one per conversation.
      sql<number>`coalesce(sum(case when m.pricing_billable = 1 and coalesce(m.pricing_model, '') <> 'CBP' then 1 else 0 end), 0)`.as(
        'per_message',
      ),
      sql<number>`count(distinct case when m.pricing_billable = 1 and m.pricing_model = 'CBP' then coalesce(m.pricing_conversation_id, m.id) end)`.as(
        'cbp_conversations',
      ),
    ])
    .where('m.created_at', '>=', f.from)
    .where('m.created_at', '<', f.to)
    .groupBy([keyOf, 'm.pricing_market', 'm.pricing_category']);
  if (f.agentId) q = q.where('c.agent_id', '=', f.agentId);
  return (await q.execute()) as CostRow[];
}

interface Figures {
  messages: number;
  billable: number;
  charged_units: number;
  unpriced_units: number;
  cost_micros: number;
}

const zero = (): Figures => ({
  messages: 0,
  billable: 0,
  charged_units: 0,
  unpriced_units: 0,
  cost_micros: 0,
});

function add(to: Figures, r: CostRow, card: RateCard) {
  const units = Number(r.per_message) + Number(r.cbp_conversations);
  to.messages += Number(r.messages);
  to.billable += Number(r.billable);
  to.charged_units += units;
  const price = r.category && card.currency ? priceFor(card, r.market, r.category) : null;
  if (price === null) to.unpriced_units += units;
  else to.cost_micros += units * price;
}

/** Names for the keys where the key is an id: broadcasts' and agents' names, ads' headlines. */
async function labelsOf(
  ctx: AppContext,
  scope: Scope,
  by: CostGrouping,
  keys: string[],
): Promise<Map<string, string>> {
  if (by === 'campaign') return broadcastNames(ctx.db, scope, keys);
  if (by === 'agent') {
    const out = new Map<string, string>();
    for (const id of keys.slice(0, 200)) {
      const agent = await findAgentRow(ctx.db, scope, id);
      if (agent) out.set(id, agent.name);
    }
    return out;
  }
  if (by === 'ad') {
    const ads = await adFigures(ctx.db, scope, '0000', '9999');
    return new Map(ads.flatMap((a) => (a.headline ? [[a.source_id, a.headline] as const] : [])));
  }
  return new Map();
}

export async function costsReport(ctx: AppContext, scope: Scope, f: ReportFilters, by: CostGrouping) {
  const card = await getRateCard(ctx, scope);
  const rows = await costRows(ctx, scope, f, by);
  const groups = new Map<string | null, Figures>();
  const totals = zero();
  for (const r of rows) {
    const g = groups.get(r.key) ?? zero();
    add(g, r, card);
    add(totals, r, card);
    groups.set(r.key, g);
  }
  const labels = await labelsOf(
    ctx,
    scope,
    by,
    [...groups.keys()].filter((k): k is string => k !== null),
  );
  const money = (x: Figures) => ({
    messages: x.messages,
    billable: x.billable,
    charged_units: x.charged_units,
    unpriced_units: x.unpriced_units,
    estimated_cost: card.currency ? formatMicros(x.cost_micros) : null,
  });
  return {
    object: 'report' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    group_by: by,
    currency: card.currency,
    totals: money(totals),
    groups: [...groups.entries()]
      .map(([key, x]) => ({
        key,
        label: key ? (labels.get(key) ?? null) : null,
        ...money(x),
        _cost: x.cost_micros,
      }))
      .sort(
        (a, b) => b._cost - a._cost || b.messages - a.messages || String(a.key).localeCompare(String(b.key)),
      )
      .map(({ _cost, ...g }) => g),
  };
}

export function costsCsv(report: Awaited<ReturnType<typeof costsReport>>): string {
  const head = [
    report.group_by,
    'label',
    'messages',
    'billable',
    'charged_units',
    'unpriced_units',
    'estimated_cost',
    'currency',
  ];
  const lines = [
    head,
    ...report.groups.map((g) => [
      g.key,
      g.label,
      g.messages,
      g.billable,
      g.charged_units,
      g.unpriced_units,
      g.estimated_cost,
      report.currency,
    ]),
  ];
  return `${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

const n = (what: string, example: number) => describe(z.number(), what, example);
const figures = {
  messages: n('Priced outbound messages (a status carried their pricing).', 1200),
  billable: n('Of them, those Meta marked billable.', 950),
  charged_units: n('What Meta charges for: billable messages (PMP), or billable conversations (CBP).', 950),
  unpriced_units: n('Charged units the rate card has no price for (market and category, nor `*`).', 0),
  estimated_cost: describe(
    z.string().nullable(),
    'charged units × the rate card, a decimal string in `currency` (null: no rate card).',
    '745.37',
  ),
};

export const costsQuery = {
  group_by: describe(
    z.enum(costGroupings),
    "What the groups are: Meta pricing category (default), market (recipient country), campaign (broadcast), agent (the conversation's), ad (the conversation's click-to-WhatsApp source).",
    'category',
  ).optional(),
};

export const costsReportObject = z.object({
  object: describe(z.literal('report'), 'The type of this object.', 'report'),
  from: describe(z.string(), 'Start of the range (UTC instant, included).', '2026-04-30T18:30:00.000Z'),
  to: describe(z.string(), 'End of the range (UTC instant, excluded).', '2026-05-07T18:30:00.000Z'),
  timezone: describe(z.string(), 'The timezone of dates.', 'Asia/Kolkata'),
  group_by: describe(z.enum(costGroupings), 'The grouping.', 'category'),
  currency: describe(z.string().nullable(), "The rate card's currency (null: no rate card).", 'INR'),
  totals: describe(z.object(figures), 'Over every priced message of the range.'),
  groups: describe(
    z.array(
      z.object({
        key: describe(
          z.string().nullable(),
          'The category, market, broadcast id, agent id or ad id (null: messages with none, e.g. not sent by a broadcast).',
          'marketing',
        ),
        label: describe(z.string().nullable(), "The broadcast's or agent's name, the ad's headline.", null),
        ...figures,
      }),
    ),
    'Most expensive first.',
  ),
});
