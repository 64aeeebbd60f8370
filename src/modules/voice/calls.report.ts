import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
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

/** A keyset page of the calls queued in [from, to), by id; optionally one agent's. */
export async function reportCallPage(
  db: Db | Trx,
  scope: Scope,
  q: { from: string; to: string; agentId?: string; afterId: string | null; limit: number },
): Promise<ReportCall[]> {
  let sel = tenant(db, scope)
    .selectFrom('calls')
    .select([...columns])
    .where('queued_at', '>=', q.from)
    .where('queued_at', '<', q.to);
  if (q.agentId) sel = sel.where('agent_id', '=', q.agentId);
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
