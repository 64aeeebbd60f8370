import { IANAZone } from 'luxon';
import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../agents/index.ts';
import {
  type CohortGroup,
  cohortAggregates,
  FIRST_RESPONSE_LIMITS,
  type SeriesKey,
} from '../conversations/index.ts';
import { rate } from './reports.facts.ts';
import { bucketsBetween, type Interval, type ReportFilters } from './reports.filters.ts';
import { cohortQuery } from './reports.stored.ts';

/** Upper bounds (seconds) of the first-response histogram buckets; the last is open. */
export const firstResponseBuckets = FIRST_RESPONSE_LIMITS;

/** A nearest-rank percentile in ms, in seconds to 0.1 s (as percentileOfSorted rounds). */
const seconds = (ms: number | null) => (ms === null ? null : Math.round((ms / 1000) * 10) / 10);

/** The figures of a group of the cohort (docs/reports.md). */
function figures(g: CohortGroup | undefined) {
  return {
    conversations: g?.conversations ?? 0,
    messages_in: g?.messages_in ?? 0,
    messages_out: g?.messages_out ?? 0,
    ai_resolved: g?.ai_resolved ?? 0,
    ai_resolution_rate: rate(g?.ai_resolved ?? 0, g?.conversations ?? 0),
    handoffs: g?.handoffs ?? 0,
    handoff_rate: rate(g?.handoffs ?? 0, g?.conversations ?? 0),
    first_response_p50_s: seconds(g?.fr50 ?? null),
    first_response_p90_s: seconds(g?.fr90 ?? null),
    human_first_response_p50_s: seconds(g?.hfr50 ?? null),
    resolution_p50_s: seconds(g?.res50 ?? null),
    csat_avg: g?.csat_n ? Math.round((g.csat_sum / g.csat_n) * 100) / 100 : null,
    csat_responses: g?.csat_n ?? 0,
    sla_met_rate: rate(g?.sla_met ?? 0, g?.sla_applies ?? 0),
    leads: g?.leads ?? 0,
    bookings: g?.bookings ?? 0,
  };
}

/**
 * Which bucket of the series each instant falls in: the buckets' starts in the timezone, found
 * once, then a binary search per conversation (no timezone arithmetic per row).
 */
export function bucketFinder(f: Pick<ReportFilters, 'from' | 'to' | 'timezone'>, interval: Interval) {
  const starts = bucketsBetween(f.from, f.to, interval, f.timezone);
  const ms = starts.map((at) => Date.parse(at));
  return (iso: string): string => {
    const t = Date.parse(iso);
    let lo = 0;
    let hi = ms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((ms[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] as string;
  };
}

const DAY_MS = 86_400_000;
const SAMPLE_MS = 6 * 3_600_000;

/**
 * The series key of each bucket start, and the timezone's offsets over the range as the SQL
 * aggregate takes them (SeriesKey): a row's key is worked out from its creation instant and the
 * offset in force then, which equals the key of the bucket start it follows.
 */
export function seriesKeys(f: Pick<ReportFilters, 'from' | 'to' | 'timezone'>, interval: Interval) {
  const zone = IANAZone.create(f.timezone);
  const offsetAt = (ms: number) => zone.offset(ms) * 60_000;
  const starts = bucketsBetween(f.from, f.to, interval, f.timezone);
  const lo = Math.min(Date.parse(f.from), starts.length ? Date.parse(starts[0]!) : Number.POSITIVE_INFINITY);
  const hi = Date.parse(f.to);
  const offsets: Array<[number | null, number]> = [];
  let prev = offsetAt(lo);
  for (let a = lo; a < hi; a += SAMPLE_MS) {
    const b = Math.min(a + SAMPLE_MS, hi);
    if (offsetAt(b) === prev) continue;
    // The first millisecond of the new offset, between two samples.
    let l = a;
    let h = b;
    while (h - l > 1) {
      const mid = Math.floor((l + h) / 2);
      if (offsetAt(mid) === prev) l = mid;
      else h = mid;
    }
    offsets.push([h, prev]);
    prev = offsetAt(h);
  }
  offsets.push([null, prev]);
  const keyOf = (ms: number) => {
    const off = offsetAt(ms);
    const local = ms + off;
    if (interval === 'hour') return Math.floor(local / 3_600_000) * 3_600_000 - off;
    const day = Math.floor(local / DAY_MS);
    return interval === 'day' ? day : Math.floor((day + 3) / 7);
  };
  return { series: { interval, offsets } satisfies SeriesKey, starts, keyOf };
}

export async function overviewReport(ctx: AppContext, scope: Scope, f: ReportFilters, interval: Interval) {
  const { series, starts, keyOf } = seriesKeys(f, interval);
  const { groups, reasons } = await cohortAggregates(ctx.db, ctx.dialect, scope, cohortQuery(f), series);
  const total = groups.find((g) => g.key === null);
  const byKey = new Map(groups.filter((g) => g.key !== null).map((g) => [g.key as number, g]));
  return {
    object: 'report' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    interval,
    totals: figures(total),
    series: starts.map((at) => ({ at, ...figures(byKey.get(keyOf(Date.parse(at)))) })),
    first_response_histogram: [...firstResponseBuckets, null].map((up_to_s, i) => ({
      up_to_s,
      count: total?.histogram[i] ?? 0,
    })),
    handoffs_by_reason: reasons
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
      .map(({ reason, count }) => ({ reason, count })),
    csat_distribution: [1, 2, 3, 4, 5].map((score, i) => ({ score, count: total?.csat[i] ?? 0 })),
  };
}
