import { sql } from 'kysely';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { afterIdPage } from '../../platform/db/rows.ts';
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

export type CallPageQuery = {
  from: string;
  to: string;
  agentId?: string;
  campaignId?: string;
  assignee?: CallAssignee;
  afterId: string | null;
  limit: number;
};

/** The calls queued in [from, to) after `afterId`, by id; the filters of a CallPageQuery. */
function callRange(db: Db | Trx, scope: Scope, q: CallPageQuery) {
  let sel = tenant(db, scope)
    .selectFrom('calls')
    .where('queued_at', '>=', q.from)
    .where('queued_at', '<', q.to);
  if (q.agentId) sel = sel.where('agent_id', '=', q.agentId);
  if (q.campaignId) sel = sel.where('campaign_id', '=', q.campaignId);
  const a = q.assignee;
  if (a && (a.userId || a.teamId))
    sel = sel.where('conversation_id', 'in', assignedConversationIds(db, scope, a));
  return afterIdPage(sel, q.afterId, q.limit);
}

/**
 * A keyset page of the calls queued in [from, to), by id; optionally one agent's, optionally only
 * those whose conversation is assigned to a person or team (calls themselves are not assigned:
 * docs/reports.md).
 */
export async function reportCallPage(db: Db | Trx, scope: Scope, q: CallPageQuery): Promise<ReportCall[]> {
  return (await callRange(db, scope, q)
    .select([...columns])
    .execute()) as ReportCall[];
}

/**
 * A call as the CSV export writes it: the few fields it shows of the JSON columns (latency,
 * analysis) are read by the database, so a million-row export neither carries nor parses those
 * documents in JS. `analysis_success` is JSON text ('true', 'false', 'null'); `analysis_data` is
 * the data object's JSON, read only when asked for.
 */
export type ExportCall = Omit<ReportCall, 'latency' | 'analysis'> & {
  latency_p50_ms: number | string | null;
  analysis_summary: string | null;
  analysis_success: string | null;
  analysis_sentiment: string | null;
  analysis_engine: string | null;
  analysis_data: string | null;
};

/** `column`'s JSON field `key`: its value as SQL text or number (`->>`), or as JSON text (`->`). */
function jsonField(dialect: Dialect, column: 'latency' | 'analysis', key: string, as: 'value' | 'json') {
  const op = sql.raw(as === 'value' ? '->>' : '->');
  return dialect === 'postgres'
    ? sql<
        string | null
      >`(${sql.ref(column)}::json ${op} ${sql.lit(key)})${sql.raw(as === 'json' ? '::text' : '')}`
    : sql<string | null>`(${sql.ref(column)} ${op} ${sql.lit(key)})`;
}

export async function exportCallPage(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  q: CallPageQuery & { withData: boolean },
): Promise<ExportCall[]> {
  const plain = columns.filter((c) => c !== 'latency' && c !== 'analysis');
  return (await callRange(db, scope, q)
    .select([
      ...plain,
      jsonField(dialect, 'latency', 'p50_ms', 'value').as('latency_p50_ms'),
      jsonField(dialect, 'analysis', 'summary', 'value').as('analysis_summary'),
      jsonField(dialect, 'analysis', 'success', 'json').as('analysis_success'),
      jsonField(dialect, 'analysis', 'sentiment', 'value').as('analysis_sentiment'),
      jsonField(dialect, 'analysis', 'engine', 'value').as('analysis_engine'),
      (q.withData ? jsonField(dialect, 'analysis', 'data', 'json') : sql<null>`null`).as('analysis_data'),
    ])
    .execute()) as ExportCall[];
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
