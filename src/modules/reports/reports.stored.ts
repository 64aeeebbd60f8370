import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { fromJson } from '../../platform/json.ts';
import { type ConversationFactRow, conversationFactPage } from '../conversations/index.ts';
import type { ConversationFacts, Facts } from './reports.facts.ts';
import type { ReportFilters } from './reports.filters.ts';
import { keysetPages } from './reports.pages.ts';

/**
 * The facts of conversations as stored (`conversation_facts`, kept by the writes in their
 * transactions), with the definitions of docs/reports.md applied: what the overview, its drill-down
 * and the conversations export read. test/reports/reports-facts-recount.test.ts checks them against a recount
 * from the raw rows on both storages.
 */

const secondsBetween = (a: string, b: string) => Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000);

function reasonsOf(r: ConversationFactRow): string[] {
  if (r.escalations > 0) return fromJson<unknown[]>(r.handoff_reasons, []).map(String);
  return r.handoff_at ? [r.handoff_reason ?? 'unknown'] : [];
}

export function storedFacts(r: ConversationFactRow): Facts {
  const handoff = r.escalations > 0 || r.handoff_at !== null;
  const reopened = Number(r.reopened_24h) === 1;
  const closed = r.status === 'closed';
  const personMessages = Number(r.person_messages);
  return {
    id: r.id,
    created_at: r.created_at,
    messages_in: Number(r.messages_in),
    messages_out: Number(r.messages_out),
    person_messages: personMessages,
    first_response_s:
      r.first_in_at && r.first_response_at ? secondsBetween(r.first_in_at, r.first_response_at) : null,
    human_first_response_s:
      r.first_in_at && r.human_first_response_at
        ? secondsBetween(r.first_in_at, r.human_first_response_at)
        : null,
    resolution_s: closed && r.closed_at ? secondsBetween(r.created_at, r.closed_at) : null,
    handoff,
    handoff_reasons: handoff ? reasonsOf(r) : [],
    reopened_within_24h: reopened,
    ai_resolved: closed && personMessages === 0 && !handoff && !reopened,
    sla_met: r.sla_policy_id ? fromJson<unknown[]>(r.sla_breached, []).length === 0 : null,
    csat_score: r.csat_score === null ? null : Number(r.csat_score),
    leads: Number(r.leads),
    bookings: Number(r.bookings),
  };
}

/** The cohort's filters as the conversations module takes them. */
export const cohortQuery = (f: ReportFilters) => ({
  from: f.from,
  to: f.to,
  channel: f.channel,
  agentId: f.agentId,
  userId: f.userId,
  teamId: f.teamId,
  teamUserIds: f.teamUserIds,
});

/** The facts of the cohort page by page (keyset by id), with each conversation's row: for lists and exports. */
export async function* storedFactPages(
  ctx: AppContext,
  scope: Scope,
  f: ReportFilters,
  pageSize = 1000,
): AsyncGenerator<ConversationFacts[]> {
  const pages = keysetPages(
    (afterId) => conversationFactPage(ctx.db, scope, { ...cohortQuery(f), afterId, limit: pageSize }),
    pageSize,
  );
  for await (const rows of pages) yield rows.map((r) => ({ ...storedFacts(r), row: r }));
}
