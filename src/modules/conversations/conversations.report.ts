import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Database } from '../../platform/db/schema.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { ConversationRow } from './conversations.tables.ts';

/** The columns of a conversation that reports read. */
export const reportColumns = [
  'id',
  'created_at',
  'channel',
  'contact_id',
  'contact_address',
  'agent_id',
  'status',
  'closed_at',
  'assignee_type',
  'assignee_id',
  'handoff_at',
  'handoff_reason',
  'sla_policy_id',
  'sla_breached',
  'csat_score',
  'csat_comment',
  'csat_at',
  'analysis',
] as const;

/** What reports read of a conversation. */
export type ReportConversation = Pick<ConversationRow, (typeof reportColumns)[number]>;

export interface ConversationReportQuery {
  from: string;
  to: string;
  channel?: string;
  agentId?: string;
  /** Assigned to this user. */
  userId?: string;
  /** Assigned to this team or to one of these users (its members). */
  teamId?: string;
  teamUserIds?: string[];
  afterId: string | null;
  limit: number;
}

/** Whose conversations: assigned to a user, or to a team or one of its members. */
export interface ConversationAssignee {
  userId?: string;
  teamId?: string;
  teamUserIds?: string[];
}

export function whereAssigned<O>(
  sel: SelectQueryBuilder<Database, 'conversations', O>,
  a: ConversationAssignee,
): SelectQueryBuilder<Database, 'conversations', O> {
  let out = sel;
  if (a.userId) out = out.where('assignee_type', '=', 'user').where('assignee_id', '=', a.userId);
  if (a.teamId) {
    const team = a.teamId;
    const members = a.teamUserIds ?? [];
    out = out.where((eb: ExpressionBuilder<Database, 'conversations'>) =>
      eb.or([
        eb.and([eb('assignee_type', '=', 'team'), eb('assignee_id', '=', team)]),
        ...(members.length
          ? [eb.and([eb('assignee_type', '=', 'user'), eb('assignee_id', 'in', members)])]
          : []),
      ]),
    );
  }
  return out;
}

/**
 * The ids of the conversations assigned to a person or team, as a subquery (reports count a call
 * for the person or team of its conversation: docs/reports.md).
 */
export function assignedConversationIds(db: Db | Trx, scope: Scope, a: ConversationAssignee) {
  return whereAssigned(tenant(db, scope).selectFrom('conversations').select('id'), a);
}
