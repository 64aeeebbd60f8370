import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../agents/index.ts';
import { listUserNames } from '../users/index.ts';
import { average, type ConversationFacts, conversationFacts, percentile } from './reports.facts.ts';
import type { ReportFilters } from './reports.filters.ts';

interface PersonTally {
  handled: number;
  replies: number;
  firstResponse: number[];
  csat: number[];
}

function addFacts(per: Map<string, PersonTally>, facts: ConversationFacts) {
  const assignee = facts.row.assignee_type === 'user' ? facts.row.assignee_id : null;
  const touched = new Set([assignee, facts.first_responder_id].filter((x): x is string => x !== null));
  for (const id of touched) {
    const p = per.get(id);
    if (!p) continue;
    p.handled++;
    if (id === facts.first_responder_id && facts.human_first_response_s !== null)
      p.firstResponse.push(facts.human_first_response_s);
    if (id === assignee && facts.row.csat_score !== null) p.csat.push(facts.row.csat_score);
  }
  for (const [id, n] of facts.replies_by_user) {
    const p = per.get(id);
    if (p) p.replies += n;
  }
}

/**
 * Per person: conversations handled (assigned to them, or first answered by them), their replies
 * in those conversations, their first-response times and the CSAT of the conversations assigned to them.
 */
export async function usersReport(ctx: AppContext, scope: Scope, f: ReportFilters) {
  const users = await listUserNames(ctx.db, scope);
  const per = new Map(
    users.map((u): [string, PersonTally] => [u.id, { handled: 0, replies: 0, firstResponse: [], csat: [] }]),
  );
  for await (const page of conversationFacts(ctx, scope, f)) {
    for (const facts of page) addFacts(per, facts);
  }
  return {
    object: 'list' as const,
    from: f.from,
    to: f.to,
    timezone: f.timezone,
    data: users.map((u) => {
      const p = per.get(u.id)!;
      return {
        user_id: u.id,
        name: u.name,
        email: u.email,
        handled: p.handled,
        replies: p.replies,
        first_response_p50_s: percentile(p.firstResponse, 0.5),
        first_response_p90_s: percentile(p.firstResponse, 0.9),
        csat_avg: average(p.csat),
        csat_responses: p.csat.length,
      };
    }),
  };
}
