import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../agents/index.ts';
import { average, type ConversationFacts, conversationFacts, percentile, rate } from './reports.facts.ts';
import { bucketOf, bucketsBetween, type Interval, type ReportFilters } from './reports.filters.ts';

/** Sums and samples of a set of conversations: the totals, or one point of a series. */
class Tally {
  conversations = 0;
  messages_in = 0;
  messages_out = 0;
  ai_resolved = 0;
  handoffs = 0;
  leads = 0;
  bookings = 0;
  firstResponse: number[] = [];
  humanFirstResponse: number[] = [];
  resolution: number[] = [];
  csat: number[] = [];
  slaApplies = 0;
  slaMet = 0;

  add(f: ConversationFacts) {
    this.conversations++;
    this.messages_in += f.messages_in;
    this.messages_out += f.messages_out;
    if (f.ai_resolved) this.ai_resolved++;
    if (f.handoff) this.handoffs++;
    this.leads += f.leads;
    this.bookings += f.bookings;
    if (f.first_response_s !== null) this.firstResponse.push(f.first_response_s);
    if (f.human_first_response_s !== null) this.humanFirstResponse.push(f.human_first_response_s);
    if (f.resolution_s !== null) this.resolution.push(f.resolution_s);
    if (f.row.csat_score !== null) this.csat.push(f.row.csat_score);
    if (f.sla_met !== null) {
      this.slaApplies++;
      if (f.sla_met) this.slaMet++;
    }
  }

  figures() {
    return {
      conversations: this.conversations,
      messages_in: this.messages_in,
      messages_out: this.messages_out,
      ai_resolved: this.ai_resolved,
      ai_resolution_rate: rate(this.ai_resolved, this.conversations),
      handoffs: this.handoffs,
      handoff_rate: rate(this.handoffs, this.conversations),
      first_response_p50_s: percentile(this.firstResponse, 0.5),
      first_response_p90_s: percentile(this.firstResponse, 0.9),
      human_first_response_p50_s: percentile(this.humanFirstResponse, 0.5),
      resolution_p50_s: percentile(this.resolution, 0.5),
      csat_avg: average(this.csat),
      csat_responses: this.csat.length,
      sla_met_rate: rate(this.slaMet, this.slaApplies),
      leads: this.leads,
      bookings: this.bookings,
    };
  }
}

/** Upper bounds (seconds) of the first-response histogram buckets; the last is open. */
export const firstResponseBuckets = [10, 30, 60, 300, 900, 3600, 14_400, 86_400] as const;

function histogram(values: number[]) {
  const counts = new Array(firstResponseBuckets.length + 1).fill(0) as number[];
  for (const v of values) {
    const i = firstResponseBuckets.findIndex((b) => v <= b);
    counts[i === -1 ? firstResponseBuckets.length : i]!++;
  }
  return counts.map((count, i) => ({
    up_to_s: i < firstResponseBuckets.length ? firstResponseBuckets[i]! : null,
    count,
  }));
}

export async function overviewReport(ctx: AppContext, scope: Scope, f: ReportFilters, interval: Interval) {
  const totals = new Tally();
  const points = new Map<string, Tally>();
  for (const at of bucketsBetween(f.from, f.to, interval, f.timezone)) points.set(at, new Tally());
  const reasons = new Map<string, number>();
  const csatScores = new Map<number, number>();
  for await (const page of conversationFacts(ctx, scope, f)) {
    for (const facts of page) {
      totals.add(facts);
      const at = bucketOf(facts.row.created_at, interval, f.timezone);
      if (!points.has(at)) points.set(at, new Tally());
      points.get(at)?.add(facts);
      for (const r of facts.handoff_reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      if (facts.row.csat_score !== null)
        csatScores.set(facts.row.csat_score, (csatScores.get(facts.row.csat_score) ?? 0) + 1);
    }
  }
  return {
    object: 'report' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    interval,
    totals: totals.figures(),
    series: [...points.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([at, t]) => ({ at, ...t.figures() })),
    first_response_histogram: histogram(totals.firstResponse),
    handoffs_by_reason: [...reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => ({ reason, count })),
    csat_distribution: [1, 2, 3, 4, 5].map((score) => ({ score, count: csatScores.get(score) ?? 0 })),
  };
}
