import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { validationFailed } from '../../platform/errors.ts';
import { type Auth, ok } from '../../platform/http/route.ts';
import { describe } from '../../platform/http/schemas.ts';
import { isIsoDateOrInstant } from '../../platform/time.ts';
import { defaultAgent, getAgentRow, parseBusiness, type Scope } from '../agents/index.ts';
import { listUserNames, teamMembers } from '../users/index.ts';

export const intervals = ['hour', 'day', 'week'] as const;
export type Interval = (typeof intervals)[number];
export const MAX_DAYS = 400;

const dateOrInstant = (what: string, example: string) =>
  describe(
    z.string().refine((s) => isIsoDateOrInstant(s), 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time'),
    what,
    example,
  ).optional();

export const reportFilterFields = {
  from: dateOrInstant(
    'Start of the range: a date (its midnight in the workspace timezone) or a date-time. Default: 7 days before `to`.',
    '2026-05-01',
  ),
  to: dateOrInstant(
    'End of the range: a date (included: up to the next midnight in the workspace timezone) or a date-time (excluded). Default: now.',
    '2026-05-07',
  ),
  channel: describe(
    z.enum(['whatsapp', 'sms', 'email', 'voice']),
    'Only this channel.',
    'whatsapp',
  ).optional(),
  agent_id: describe(
    z.string().min(1).max(64),
    'Only conversations and calls of this agent.',
    'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  team_id: describe(
    z.string().min(1).max(64),
    'Only conversations assigned to this team or its members.',
    'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  user_id: describe(
    z.string().min(1).max(64),
    'Only conversations assigned to this person.',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  timezone: describe(
    z.string().refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA timezone'),
    "The timezone of dates and series buckets. Default: the workspace's (its default agent's business timezone, else UTC).",
    'Asia/Kolkata',
  ).optional(),
};
export const reportFilterQuery = z.object(reportFilterFields);
export type ReportFilterInput = z.output<typeof reportFilterQuery>;

export interface ReportFilters {
  from: string;
  to: string;
  timezone: string;
  channel?: string;
  agentId?: string;
  teamId?: string;
  teamUserIds?: string[];
  userId?: string;
}

async function workspaceTimezone(ctx: AppContext, scope: Scope): Promise<string> {
  const agent = await defaultAgent(ctx.db, scope);
  return agent ? parseBusiness(agent).timezone : 'UTC';
}

function instant(s: string, zone: string, end: boolean): DateTime {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const day = DateTime.fromISO(s, { zone });
    return end ? day.plus({ days: 1 }) : day;
  }
  return DateTime.fromISO(s, { zone }).isValid
    ? DateTime.fromISO(s, { zone })
    : DateTime.fromJSDate(new Date(s));
}

async function checkIds(ctx: AppContext, scope: Scope, q: ReportFilterInput, out: ReportFilters) {
  const errors: Array<{ field: string; message: string }> = [];
  if (q.agent_id && !(await getAgentRow(ctx.db, scope, q.agent_id).catch(() => null)))
    errors.push({ field: 'agent_id', message: 'is not an agent of this workspace' });
  if (q.team_id) {
    const members = await teamMembers(ctx.db, scope, q.team_id);
    if (!members) errors.push({ field: 'team_id', message: 'is not a team of this workspace' });
    else out.teamUserIds = members;
  }
  if (q.user_id) {
    const users = await listUserNames(ctx.db, scope);
    if (!users.some((u) => u.id === q.user_id))
      errors.push({ field: 'user_id', message: 'is not a user of this workspace' });
  }
  if (errors.length) throw validationFailed(errors);
}

/** The filters checked and resolved: the range in UTC instants, ids known to the workspace. */
export async function resolveFilters(
  ctx: AppContext,
  scope: Scope,
  q: ReportFilterInput,
): Promise<ReportFilters> {
  const timezone = q.timezone ?? (await workspaceTimezone(ctx, scope));
  const to = q.to ? instant(q.to, timezone, true) : DateTime.fromJSDate(ctx.clock.now());
  const from = q.from ? instant(q.from, timezone, false) : to.minus({ days: 7 });
  if (!(from < to)) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
  if (to.diff(from, 'days').days > MAX_DAYS)
    throw validationFailed([{ field: 'to', message: `the range may span ${MAX_DAYS} days at most` }]);
  const out: ReportFilters = {
    from: from.toUTC().toISO() as string,
    to: to.toUTC().toISO() as string,
    timezone,
    channel: q.channel,
    agentId: q.agent_id,
    teamId: q.team_id,
    userId: q.user_id,
  };
  await checkIds(ctx, scope, q, out);
  return out;
}

/** The start of the bucket an instant falls in, in the timezone (weeks start on Monday). */
export function bucketOf(iso: string, interval: Interval, zone: string): string {
  return DateTime.fromISO(iso, { zone }).startOf(interval).toISO() as string;
}

/** Every bucket start from `from` to `to`, so series have no gaps. */
export function bucketsBetween(from: string, to: string, interval: Interval, zone: string): string[] {
  const out: string[] = [];
  let at = DateTime.fromISO(from, { zone }).startOf(interval);
  const end = DateTime.fromISO(to, { zone });
  while (at < end && out.length < 20_000) {
    out.push(at.toISO() as string);
    at = at.plus({ [interval]: 1 });
  }
  return out;
}

/**
 * The handler of a report route: resolves the query's filters, then answers 200 with what `report`
 * makes of them (the query is passed on for the route's own fields).
 */
export function filteredReport<Q extends ReportFilterInput>(
  report: (ctx: AppContext, auth: Auth, f: ReportFilters, query: Q) => Promise<unknown>,
) {
  return ok<unknown, Q, unknown>(async ({ ctx, auth, query }) =>
    report(ctx, auth, await resolveFilters(ctx, auth, query), query),
  );
}
