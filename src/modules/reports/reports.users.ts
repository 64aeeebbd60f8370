import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../agents/index.ts';
import { cohortPeople } from '../conversations/index.ts';
import { listUserNames } from '../users/index.ts';
import type { ReportFilters } from './reports.filters.ts';
import { cohortQuery } from './reports.stored.ts';

/** A nearest-rank percentile in ms, in seconds to 0.1 s. */
const seconds = (ms: number | null) => (ms === null ? null : Math.round((ms / 1000) * 10) / 10);

/**
 * Per person: conversations handled (assigned to them, or first answered by them), their replies
 * in those conversations, their first-response times and the CSAT of the conversations assigned to
 * them; aggregated in SQL from the stored facts of the cohort (docs/reports.md).
 */
export async function usersReport(ctx: AppContext, scope: Scope, f: ReportFilters) {
  const [users, per] = await Promise.all([
    listUserNames(ctx.db, scope),
    cohortPeople(ctx.db, ctx.dialect, scope, cohortQuery(f)),
  ]);
  return {
    object: 'list' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    data: users.map((u) => {
      const p = per.get(u.id);
      return {
        user_id: u.id,
        name: u.name,
        email: u.email,
        handled: p?.handled ?? 0,
        replies: p?.replies ?? 0,
        first_response_p50_s: seconds(p?.fr50 ?? null),
        first_response_p90_s: seconds(p?.fr90 ?? null),
        csat_avg: p?.csat_n ? Math.round((p.csat_sum / p.csat_n) * 100) / 100 : null,
        csat_responses: p?.csat_n ?? 0,
      };
    }),
  };
}
