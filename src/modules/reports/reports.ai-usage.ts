/**
 * What the AI's models cost (docs/reports.md, "AI usage"): the AI's replies in a range with the
 * tokens their models read and wrote, grouped by model, agent, day or conversation. The tokens are
 * those each reply's answering model reported (tool rounds included); a built-in agent's replies
 * count as replies with no tokens.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { describe, idOf } from '../../platform/http/schemas.ts';
import type { Scope } from '../agents/index.ts';
import { aiReplyUsage } from '../ai/index.ts';
import { conversationAttribution } from '../conversations/index.ts';
import type { ReportFilters } from './reports.filters.ts';

export const usageGroupings = ['model', 'agent', 'day', 'conversation'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

export const aiUsageQuery = {
  group_by: describe(
    z.enum(usageGroupings),
    'Rows per `model` (default; `builtin` and null for the built-in engine), `agent`, `day` (in the timezone) or `conversation`.',
    'model',
  ).optional(),
  conversation_id: idOf('conv', 'Only the replies of this conversation.').optional(),
};

const n = (what: string, example: number) => describe(z.number().int(), what, example);
const figures = {
  replies: n('AI replies.', 120),
  llm_replies: n('Of them, answered by an LLM (a model other than the built-in engine).', 96),
  input_tokens: n('Tokens the models read (prompts, history, knowledge, tool results).', 182_400),
  output_tokens: n('Tokens the models wrote.', 9_620),
};

export const aiUsageReportObject = z.object({
  object: describe(z.literal('report'), 'The type of this object.', 'report'),
  from: describe(z.string(), 'Start of the range (UTC instant, included).', '2026-04-30T18:30:00.000Z'),
  to: describe(z.string(), 'End of the range (UTC instant, excluded).', '2026-05-07T18:30:00.000Z'),
  timezone: describe(z.string(), 'The timezone of dates.', 'Asia/Kolkata'),
  group_by: describe(z.enum(usageGroupings), 'What each row is.', 'model'),
  totals: describe(z.object(figures), 'Over every row.'),
  rows: describe(
    z.array(
      z.object({
        key: describe(
          z.string().nullable(),
          'The model (`provider:name`, `builtin`, null: a built-in agent), agent id, day (YYYY-MM-DD) or conversation id.',
          'openai:gpt-4o-mini',
        ),
        ...figures,
      }),
    ),
    'One row per key, most input tokens first (days in order).',
  ),
});

interface UsageRow {
  key: string | null;
  replies: number | string;
  llm_replies: number | string;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
}

export async function aiUsageReport(
  ctx: AppContext,
  scope: Scope,
  f: ReportFilters,
  by: UsageGrouping,
  conversationId?: string,
) {
  let q = ctx.db
    .selectFrom(aiReplyUsage(ctx.db, scope).as('r'))
    .where('r.created_at', '>=', f.from)
    .where('r.created_at', '<', f.to);
  if (f.agentId) q = q.where('r.agent_id', '=', f.agentId);
  if (f.channel)
    q = q.where('r.conversation_id', 'in', (eb) =>
      eb
        .selectFrom(conversationAttribution(ctx.db, scope).as('c'))
        .select('c.id')
        .where('c.channel', '=', f.channel!),
    );
  if (conversationId) q = q.where('r.conversation_id', '=', conversationId);
  const key = {
    model: sql<string | null>`r.model`,
    agent: sql<string | null>`r.agent_id`,
    conversation: sql<string | null>`r.conversation_id`,
    // Minutes (UTC), made days of the report's timezone below (any offset, both storages alike).
    day: sql<string | null>`substr(r.created_at, 1, 16)`,
  }[by];
  const rows = (await q
    .select([
      key.as('key'),
      sql<number>`count(*)`.as('replies'),
      sql<number>`coalesce(sum(case when r.model is not null and r.model <> 'builtin' then 1 else 0 end), 0)`.as(
        'llm_replies',
      ),
      sql<number | null>`sum(r.input_tokens)`.as('input_tokens'),
      sql<number | null>`sum(r.output_tokens)`.as('output_tokens'),
    ])
    .groupBy(key)
    .execute()) as UsageRow[];
  const out = new Map<
    string | null,
    { replies: number; llm_replies: number; input_tokens: number; output_tokens: number }
  >();
  for (const r of rows) {
    const k = by === 'day' && r.key ? dayOf(`${r.key}:00Z`, f.timezone) : r.key;
    const acc = out.get(k) ?? { replies: 0, llm_replies: 0, input_tokens: 0, output_tokens: 0 };
    acc.replies += Number(r.replies);
    acc.llm_replies += Number(r.llm_replies);
    acc.input_tokens += Number(r.input_tokens ?? 0);
    acc.output_tokens += Number(r.output_tokens ?? 0);
    out.set(k, acc);
  }
  const list = [...out].map(([k, v]) => ({ key: k, ...v }));
  if (by === 'day') list.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  else list.sort((a, b) => b.input_tokens - a.input_tokens || b.replies - a.replies);
  const totals = { replies: 0, llm_replies: 0, input_tokens: 0, output_tokens: 0 };
  for (const r of list) {
    totals.replies += r.replies;
    totals.llm_replies += r.llm_replies;
    totals.input_tokens += r.input_tokens;
    totals.output_tokens += r.output_tokens;
  }
  return {
    object: 'report' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    group_by: by,
    totals,
    rows: list,
  };
}

/** The calendar day of an instant in a timezone (YYYY-MM-DD). */
const dayOf = (iso: string, timezone: string) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
