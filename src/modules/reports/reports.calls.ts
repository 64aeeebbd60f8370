import type { AppContext } from '../../platform/context.ts';
import { fromJson } from '../../platform/json.ts';
import type { Scope } from '../agents/index.ts';
import { campaignName, campaignRecipientPage } from '../campaigns/index.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';
import { type CallPageQuery, callAnalyses, exportCallPage, reportCallPage } from '../voice/index.ts';
import { percentile } from './reports.facts.ts';
import type { ReportFilters } from './reports.filters.ts';
import { keysetPages } from './reports.pages.ts';

/** The calls' part of the report filters (other channels than voice have no calls). */
function callQuery(f: ReportFilters, afterId: string | null, limit: number): CallPageQuery | null {
  if (f.channel && f.channel !== 'voice') return null;
  // A call counts for the person or team its conversation is assigned to (docs/reports.md).
  return {
    from: f.from,
    to: f.to,
    agentId: f.agentId,
    assignee: { userId: f.userId, teamId: f.teamId, teamUserIds: f.teamUserIds },
    afterId,
    limit,
  };
}

/** Every call queued in the range (the agent filter applies; other channels than voice have none). */
export async function* callPages(ctx: AppContext, scope: Scope, f: ReportFilters, pageSize = 1000) {
  if (!callQuery(f, null, pageSize)) return;
  yield* keysetPages((afterId) => reportCallPage(ctx.db, scope, callQuery(f, afterId, pageSize)!), pageSize);
}

/** The same calls as the CSV export writes them (ExportCall). */
export async function* callExportPages(
  ctx: AppContext,
  scope: Scope,
  f: ReportFilters,
  withData: boolean,
  pageSize: number,
) {
  if (!callQuery(f, null, pageSize)) return;
  yield* keysetPages(
    (afterId) =>
      exportCallPage(ctx.db, ctx.dialect, scope, { ...callQuery(f, afterId, pageSize)!, withData }),
    pageSize,
  );
}

const bump = (m: Record<string, number>, k: string | null) => {
  const key = k ?? 'none';
  m[key] = (m[key] ?? 0) + 1;
};

export async function callsReport(ctx: AppContext, scope: Scope, f: ReportFilters) {
  const byStatus: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  const byAnsweredBy: Record<string, number> = {};
  const durations: number[] = [];
  const p50s: number[] = [];
  const p95s: number[] = [];
  let total = 0;
  let transfers = 0;
  let seconds = 0;
  let successes = 0;
  for await (const page of callPages(ctx, scope, f)) {
    for (const c of page) {
      total++;
      bump(byStatus, c.status);
      bump(byReason, c.ended_reason);
      bump(byAnsweredBy, c.answered_by);
      if (c.duration_seconds !== null) {
        durations.push(c.duration_seconds);
        seconds += c.duration_seconds;
      }
      const lat = fromJson<{ p50_ms?: number | null; p95_ms?: number | null }>(c.latency, {});
      if (typeof lat.p50_ms === 'number') p50s.push(lat.p50_ms);
      if (typeof lat.p95_ms === 'number') p95s.push(lat.p95_ms);
      if (c.transfer_started_at !== null || c.ended_reason === 'transferred') transfers++;
      if (fromJson<ConversationAnalysis | null>(c.analysis ?? null, null)?.success === true) successes++;
    }
  }
  return {
    object: 'calls_report' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    total,
    by_status: byStatus,
    by_ended_reason: byReason,
    by_answered_by: byAnsweredBy,
    duration_p50_s: percentile(durations, 0.5),
    duration_p90_s: percentile(durations, 0.9),
    turn_latency_p50_ms: percentile(p50s, 0.5),
    turn_latency_p95_ms: percentile(p95s, 0.95),
    transfers,
    successes,
    minutes: Math.round((seconds / 60) * 100) / 100,
  };
}

type Funnel = { total: number; attempted: number; answered: number; completed: number; success: number };
type RecipientBits = { attempts: number; result: string | null; state: string; outcome: string | null };

function countRecipient(
  funnel: Funnel,
  outcomes: Record<string, number>,
  r: RecipientBits,
  analysis: ConversationAnalysis | null,
) {
  funnel.total++;
  if (r.attempts > 0) funnel.attempted++;
  const answered = r.result === 'answered' || r.result === 'sent';
  if (answered) funnel.answered++;
  if (r.state === 'completed' && answered) funnel.completed++;
  if (answered && analysis?.success === true) funnel.success++;
  if (r.outcome) bump(outcomes, r.outcome);
}

/** A campaign's recipients one by one (pages of 1,000), each with its last call's analysis. */
export async function* campaignRecipients(ctx: AppContext, scope: Scope, campaignId: string) {
  let afterId: string | null = null;
  for (;;) {
    const page = await campaignRecipientPage(ctx.db, scope, campaignId, afterId, 1000);
    const analyses = await callAnalyses(
      ctx.db,
      scope,
      page.map((r) => r.last_call_id).filter((id): id is string => id !== null),
    );
    for (const r of page) {
      const analysis = r.last_call_id ? (analyses.get(r.last_call_id) ?? null) : null;
      yield { r, analysis: fromJson<ConversationAnalysis | null>(analysis, null) };
    }
    if (page.length < 1000) return;
    afterId = page[page.length - 1]!.id;
  }
}

/** A campaign's funnel: total → attempted → answered → completed → success. */
export async function campaignReport(ctx: AppContext, scope: Scope, campaignId: string) {
  const campaign = await campaignName(ctx.db, scope, campaignId);
  const funnel: Funnel = { total: 0, attempted: 0, answered: 0, completed: 0, success: 0 };
  const outcomes: Record<string, number> = {};
  for await (const { r, analysis } of campaignRecipients(ctx, scope, campaignId))
    countRecipient(funnel, outcomes, r, analysis);
  return { object: 'campaign_report' as const, campaign, funnel, outcomes };
}
