import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../agents/index.ts';
import { campaignName } from '../campaigns/index.ts';
import type { ReportCall } from '../voice/index.ts';
import { callPages, campaignRecipients } from './reports.calls.ts';
import type { ConversationFacts } from './reports.facts.ts';
import { bucketOf, type Interval, type ReportFilters } from './reports.filters.ts';
import { bucketFinder, firstResponseBuckets } from './reports.overview.ts';
import { storedFactPages } from './reports.stored.ts';

/**
 * The rows behind a figure of a report (the Reports page's drill-down): the same pages and the
 * same facts the figure is counted from, kept when they match what was clicked, so a list always
 * has as many rows as the figure says (up to `limit` shown, `total` counted).
 */
export interface ConversationDrill {
  interval: Interval;
  /** A series bucket start, as the overview gives it. */
  at?: string;
  figure: 'conversations' | 'ai_resolved' | 'handoffs' | 'first_response' | 'csat';
  /** handoffs: only this reason. */
  reason?: string;
  /** first_response: the histogram bucket (its `up_to_s`, or `longer`). */
  bucket?: string;
  /** csat: only this score. */
  score?: number;
  limit: number;
}

function bucketIndex(seconds: number): number {
  const i = firstResponseBuckets.findIndex((b) => seconds <= b);
  return i === -1 ? firstResponseBuckets.length : i;
}

function matches(f: ConversationFacts, d: ConversationDrill, inBucket: (iso: string) => boolean): boolean {
  if (!inBucket(f.created_at)) return false;
  switch (d.figure) {
    case 'conversations':
      return true;
    case 'ai_resolved':
      return f.ai_resolved;
    case 'handoffs':
      return f.handoff && (d.reason === undefined || f.handoff_reasons.includes(d.reason));
    case 'first_response': {
      if (f.first_response_s === null) return false;
      if (d.bucket === undefined) return true;
      const want =
        d.bucket === 'longer'
          ? firstResponseBuckets.length
          : firstResponseBuckets.indexOf(Number(d.bucket) as never);
      return bucketIndex(f.first_response_s) === want;
    }
    case 'csat':
      return f.csat_score !== null && (d.score === undefined || f.csat_score === d.score);
  }
}

const conversationRow = (f: ConversationFacts) => ({
  id: f.row.id,
  channel: f.row.channel,
  status: f.row.status,
  contact_address: f.row.contact_address,
  agent_id: f.row.agent_id,
  assignee_id: f.row.assignee_id,
  created_at: f.row.created_at,
  first_response_s: f.first_response_s,
  ai_resolved: f.ai_resolved,
  handoff_reasons: f.handoff_reasons,
  csat_score: f.row.csat_score,
});

export async function drillConversations(
  ctx: AppContext,
  scope: Scope,
  f: ReportFilters,
  d: ConversationDrill,
) {
  const data: Array<ReturnType<typeof conversationRow>> = [];
  let total = 0;
  const at = d.at;
  const bucket = bucketFinder(f, d.interval);
  const wanted = at ? bucketOf(at, d.interval, f.timezone) : '';
  const inBucket = at ? (iso: string) => bucket(iso) === wanted : () => true;
  for await (const page of storedFactPages(ctx, scope, f)) {
    for (const facts of page) {
      if (!matches(facts, d, inBucket)) continue;
      total++;
      if (data.length < d.limit) data.push(conversationRow(facts));
    }
  }
  return { object: 'list' as const, from: f.from, to: f.to, timezone: f.timezone, total, data };
}

export interface CallDrill {
  status?: string;
  ended_reason?: string;
  answered_by?: string;
  limit: number;
}

const callRow = (c: ReportCall) => ({
  id: c.id,
  conversation_id: c.conversation_id,
  agent_id: c.agent_id,
  campaign_id: c.campaign_id,
  direction: c.direction,
  to_address: c.to_address,
  from_address: c.from_address,
  status: c.status,
  ended_reason: c.ended_reason,
  answered_by: c.answered_by,
  duration_seconds: c.duration_seconds,
  queued_at: c.queued_at,
});

/** The calls behind a count of the calls report (`none` matches a call without the value). */
export async function drillCalls(ctx: AppContext, scope: Scope, f: ReportFilters, d: CallDrill) {
  const data: Array<ReturnType<typeof callRow>> = [];
  let total = 0;
  const same = (want: string | undefined, v: string | null) => want === undefined || want === (v ?? 'none');
  for await (const page of callPages(ctx, scope, f)) {
    for (const c of page) {
      if (
        !same(d.status, c.status) ||
        !same(d.ended_reason, c.ended_reason) ||
        !same(d.answered_by, c.answered_by)
      )
        continue;
      total++;
      if (data.length < d.limit) data.push(callRow(c));
    }
  }
  return { object: 'list' as const, from: f.from, to: f.to, timezone: f.timezone, total, data };
}

export const funnelStages = ['total', 'attempted', 'answered', 'completed', 'success'] as const;
export type FunnelStage = (typeof funnelStages)[number];

/** The recipients of a campaign in one stage of its funnel (the same tests as the funnel's). */
export async function drillCampaign(
  ctx: AppContext,
  scope: Scope,
  campaignId: string,
  stage: FunnelStage,
  limit: number,
) {
  await campaignName(ctx.db, scope, campaignId);
  const data: Array<Record<string, unknown>> = [];
  let total = 0;
  for await (const { r, analysis } of campaignRecipients(ctx, scope, campaignId)) {
    const answered = r.result === 'answered' || r.result === 'sent';
    const inStage =
      stage === 'total' ||
      (stage === 'attempted' && r.attempts > 0) ||
      (stage === 'answered' && answered) ||
      (stage === 'completed' && answered && r.state === 'completed') ||
      (stage === 'success' && answered && analysis?.success === true);
    if (!inStage) continue;
    total++;
    if (data.length < limit)
      data.push({
        id: r.id,
        contact_id: r.contact_id,
        phone: r.phone,
        state: r.state,
        result: r.result,
        attempts: r.attempts,
        outcome: r.outcome,
        last_call_id: r.last_call_id,
      });
  }
  return { object: 'list' as const, campaign_id: campaignId, stage, total, data };
}
