import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { assignedConversationIds, type ConversationAssignee } from '../conversations/index.ts';
import type { CallRow } from './voice.tables.ts';

export type ReportCall = Pick<
  CallRow,
  | 'id'
  | 'conversation_id'
  | 'contact_id'
  | 'agent_id'
  | 'campaign_id'
  | 'direction'
  | 'from_address'
  | 'to_address'
  | 'status'
  | 'answered_by'
  | 'ended_reason'
  | 'duration_seconds'
  | 'transfer_started_at'
  | 'latency'
  | 'analysis'
  | 'queued_at'
  | 'answered_at'
  | 'ended_at'
>;

const columns = [
  'id',
  'conversation_id',
  'contact_id',
  'agent_id',
  'campaign_id',
  'direction',
  'from_address',
  'to_address',
  'status',
  'answered_by',
  'ended_reason',
  'duration_seconds',
  'transfer_started_at',
  'latency',
  'analysis',
  'queued_at',
  'answered_at',
  'ended_at',
] as const;

/** Whose calls: those whose conversation is assigned to the user, or to the team or one of its members. */
export type CallAssignee = ConversationAssignee;

/**
 * A keyset page of the calls queued in [from, to), by id; optionally one agent's, optionally only
 * those whose conversation is assigned to a person or team (calls themselves are not assigned:
 * docs/reports.md).
 */
export async function reportCallPage(
  db: Db | Trx,
  scope: Scope,
  q: {
    from: string;
    to: string;
    agentId?: string;
    campaignId?: string;
    assignee?: CallAssignee;
    afterId: string | null;
    limit: number;
  },
): Promise<ReportCall[]> {
  let sel = tenant(db, scope)
    .selectFrom('calls')
    .select([...columns])
    .where('queued_at', '>=', q.from)
    .where('queued_at', '<', q.to);
  if (q.agentId) sel = sel.where('agent_id', '=', q.agentId);
  if (q.campaignId) sel = sel.where('campaign_id', '=', q.campaignId);
  const a = q.assignee;
  if (a && (a.userId || a.teamId))
    sel = sel.where('conversation_id', 'in', assignedConversationIds(db, scope, a));
  if (q.afterId) sel = sel.where('id', '>', q.afterId);
  return (await sel.orderBy('id', 'asc').limit(q.limit).execute()) as ReportCall[];
}

/** The analyses of these calls, by id. */
export async function callAnalyses(
  db: Db | Trx,
  scope: Scope,
  ids: string[],
): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await tenant(db, scope)
    .selectFrom('calls')
    .select(['id', 'analysis'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.analysis ?? null]));
}
