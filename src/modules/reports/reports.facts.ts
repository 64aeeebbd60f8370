import type { AppContext } from '../../platform/context.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { fromJson } from '../../platform/json.ts';
import { bookingCounts } from '../bookings/index.ts';
import { type ReportConversation, reportConversationPage } from '../conversations/index.ts';
import { leadCounts } from '../leads/index.ts';
import { type MessageStats, messageStats, replyTimes } from '../messaging/index.ts';
import type { ReportFilters } from './reports.filters.ts';

/**
 * The facts reports count about one conversation, worked out from its rows (docs/reports.md
 * defines each). Built page by page (keyset by id), so a range of any size is read in bounded memory.
 */
export interface ConversationFacts {
  row: ReportConversation;
  messages_in: number;
  messages_out: number;
  person_messages: number;
  first_response_s: number | null;
  human_first_response_s: number | null;
  /** The first person who replied (user id), for per-person figures. */
  first_responder_id: string | null;
  /** Replies written by each person (user id → count). */
  replies_by_user: Map<string, number>;
  resolution_s: number | null;
  handoff: boolean;
  handoff_reasons: string[];
  reopened_within_24h: boolean;
  ai_resolved: boolean;
  sla_met: boolean | null;
  leads: number;
  bookings: number;
}

const DAY_MS = 86_400_000;
const secondsBetween = (a: string, b: string) => Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000);

interface Lifecycle {
  escalations: string[];
  resolves: string[];
  reopens: string[];
}

async function lifecycles(ctx: AppContext, scope: Scope, ids: string[]): Promise<Map<string, Lifecycle>> {
  const out = new Map<string, Lifecycle>();
  for (const id of ids) out.set(id, { escalations: [], resolves: [], reopens: [] });
  if (ids.length === 0) return out;
  const rows = await tenant(ctx.db, scope)
    .selectFrom('events')
    .select(['type', 'object_id', 'data', 'created_at'])
    .where('object_id', 'in', ids)
    .where('type', 'in', ['conversation.escalated', 'conversation.resolved', 'conversation.reopened'])
    .execute();
  for (const r of rows) {
    const l = out.get(r.object_id as string);
    if (!l) continue;
    if (r.type === 'conversation.escalated')
      l.escalations.push(String(fromJson<{ reason?: unknown }>(r.data, {}).reason ?? 'unknown'));
    else if (r.type === 'conversation.resolved') l.resolves.push(r.created_at);
    else l.reopens.push(r.created_at);
  }
  return out;
}

const reopenedWithinDay = (l: Lifecycle) =>
  l.resolves.some((res) =>
    l.reopens.some((re) => Date.parse(re) >= Date.parse(res) && Date.parse(re) - Date.parse(res) <= DAY_MS),
  );

function firstReplies(replies: Awaited<ReturnType<typeof replyTimes>>, firstIn: Map<string, string | null>) {
  const any = new Map<string, string>();
  const person = new Map<string, { at: string; id: string | null }>();
  const byUser = new Map<string, Map<string, number>>();
  for (const r of replies) {
    if (r.sender_type === 'user' && r.sender_id) {
      const m = byUser.get(r.conversation_id) ?? new Map<string, number>();
      m.set(r.sender_id, (m.get(r.sender_id) ?? 0) + 1);
      byUser.set(r.conversation_id, m);
    }
    const since = firstIn.get(r.conversation_id);
    if (!since || r.created_at < since || r.sender_type === 'system') continue;
    if (!any.has(r.conversation_id)) any.set(r.conversation_id, r.created_at);
    if (r.sender_type === 'user' && !person.has(r.conversation_id))
      person.set(r.conversation_id, { at: r.created_at, id: r.sender_id });
  }
  return { any, person, byUser };
}

/** The facts of one page of conversations. */
async function factsOf(
  ctx: AppContext,
  scope: Scope,
  rows: ReportConversation[],
): Promise<ConversationFacts[]> {
  const ids = rows.map((r) => r.id);
  const [stats, replies, life, leads, bookings] = await Promise.all([
    messageStats(ctx.db, scope, ids),
    replyTimes(ctx.db, scope, ids),
    lifecycles(ctx, scope, ids),
    leadCounts(ctx.db, scope, ids),
    bookingCounts(ctx.db, scope, ids),
  ]);
  const byId = new Map(stats.map((s) => [s.conversation_id, s]));
  const firstIn = new Map(stats.map((s) => [s.conversation_id, s.first_in_at]));
  const first = firstReplies(replies, firstIn);
  return rows.map((row) =>
    factOf(row, byId.get(row.id), life.get(row.id) as Lifecycle, first, {
      leads: leads.get(row.id) ?? 0,
      bookings: bookings.get(row.id) ?? 0,
    }),
  );
}

function factOf(
  row: ReportConversation,
  s: MessageStats | undefined,
  l: Lifecycle,
  first: ReturnType<typeof firstReplies>,
  counts: { leads: number; bookings: number },
): ConversationFacts {
  const since = s?.first_in_at ?? null;
  const anyAt = first.any.get(row.id);
  const person = first.person.get(row.id);
  const handoff = l.escalations.length > 0 || row.handoff_at !== null;
  const reopened = reopenedWithinDay(l);
  const personMessages = s?.person_messages ?? 0;
  const breached = fromJson<string[]>(row.sla_breached, []);
  const closed = row.status === 'closed';
  return {
    row,
    messages_in: s?.messages_in ?? 0,
    messages_out: s?.messages_out ?? 0,
    person_messages: personMessages,
    first_response_s: since && anyAt ? secondsBetween(since, anyAt) : null,
    human_first_response_s: since && person ? secondsBetween(since, person.at) : null,
    first_responder_id: person?.id ?? null,
    replies_by_user: first.byUser.get(row.id) ?? new Map(),
    resolution_s: closed && row.closed_at ? secondsBetween(row.created_at, row.closed_at) : null,
    handoff,
    handoff_reasons: handoffReasons(row, l),
    reopened_within_24h: reopened,
    ai_resolved: closed && personMessages === 0 && !handoff && !reopened,
    sla_met: row.sla_policy_id ? breached.length === 0 : null,
    ...counts,
  };
}

const handoffReasons = (row: ReportConversation, l: Lifecycle) =>
  l.escalations.length ? l.escalations : row.handoff_at ? [row.handoff_reason ?? 'unknown'] : [];

/** Every conversation created in the range that matches the filters, with its facts, page by page. */
export async function* conversationFacts(
  ctx: AppContext,
  scope: Scope,
  f: ReportFilters,
  pageSize = 500,
): AsyncGenerator<ConversationFacts[]> {
  let afterId: string | null = null;
  // Calls are conversations on the voice channel: the channel filter applies as it is.
  for (;;) {
    const rows = await reportConversationPage(ctx.db, scope, {
      from: f.from,
      to: f.to,
      channel: f.channel,
      agentId: f.agentId,
      userId: f.userId,
      teamId: f.teamId,
      teamUserIds: f.teamUserIds,
      afterId,
      limit: pageSize,
    });
    if (rows.length === 0) return;
    yield await factsOf(ctx, scope, rows);
    if (rows.length < pageSize) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

/** Nearest-rank percentile (p in 0..1) of the values; null for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const v = sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
  return Math.round(v * 10) / 10;
}

export const rate = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10000) / 10000;
export const average = (values: number[]) =>
  values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100;
