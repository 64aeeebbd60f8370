import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { ConversationFactsTable } from './conversations.facts.tables.ts';
import {
  type ConversationReportQuery,
  type ReportConversation,
  reportColumns,
} from './conversations.report.ts';

/** What the overview reads of a conversation: a few of its columns and its stored facts. */
export interface ConversationFactRow extends Pick<ConversationFactsTable, (typeof factColumns)[number]> {
  id: string;
  created_at: string;
  status: string;
  closed_at: string | null;
  handoff_at: string | null;
  handoff_reason: string | null;
  csat_score: number | null;
  sla_policy_id: string | null;
  sla_breached: string;
}

const factColumns = [
  'messages_in',
  'messages_out',
  'person_messages',
  'first_in_at',
  'first_response_at',
  'human_first_response_at',
  'escalations',
  'handoff_reasons',
  'reopened_24h',
  'leads',
  'bookings',
] as const;

/**
 * The facts rows of the conversations created in [from, to) that match the filters (on the
 * columns the facts row copies from its conversation), joined with their conversation.
 */
function cohort(db: Db | Trx, scope: Scope, q: Omit<ConversationReportQuery, 'afterId' | 'limit'>) {
  const col = <C extends string>(c: C) => `conversation_facts.${c}` as const;
  let sel = tenant(db, scope)
    .selectFrom('conversation_facts')
    .where(col('created_at'), '>=', q.from)
    .where(col('created_at'), '<', q.to);
  if (q.channel) sel = sel.where(col('channel'), '=', q.channel);
  if (q.agentId) sel = sel.where(col('agent_id'), '=', q.agentId);
  if (q.userId) sel = sel.where(col('assignee_type'), '=', 'user').where(col('assignee_id'), '=', q.userId);
  if (q.teamId) {
    const team = q.teamId;
    const members = q.teamUserIds ?? [];
    sel = sel.where((eb) =>
      eb.or([
        eb.and([eb(col('assignee_type'), '=', 'team'), eb(col('assignee_id'), '=', team)]),
        ...(members.length
          ? [eb.and([eb(col('assignee_type'), '=', 'user'), eb(col('assignee_id'), 'in', members)])]
          : []),
      ]),
    );
  }
  return sel.innerJoin('conversations', 'conversations.id', 'conversation_facts.conversation_id');
}

/** A keyset page (by id) of the cohort, with every column reports show of a conversation (exports, drill-down). */
export async function conversationFactPage(
  db: Db | Trx,
  scope: Scope,
  q: ConversationReportQuery,
): Promise<Array<ReportConversation & ConversationFactRow>> {
  let sel = cohort(db, scope, q).select([
    ...reportColumns.map((c) => `conversations.${c}` as const),
    ...factColumns.map((c) => `conversation_facts.${c}` as const),
  ]);
  if (q.afterId) sel = sel.where('conversation_facts.conversation_id', '>', q.afterId);
  return sel.orderBy('conversation_facts.conversation_id', 'asc').limit(q.limit).execute() as Promise<
    Array<ReportConversation & ConversationFactRow>
  >;
}
