import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { toJson } from '../../platform/json.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';

/** Stores what came of a call (the analysis module computes it). */
export async function setCallAnalysis(
  db: Db | Trx,
  scope: Scope,
  id: string,
  analysis: ConversationAnalysis,
): Promise<void> {
  await tenant(db, scope)
    .updateTable('calls')
    .set({ analysis: toJson(analysis) })
    .where('id', '=', id)
    .execute();
}

/** Ids of an agent's calls that ended in [from, to), after `afterId` (keyset pages of `limit`). */
export async function endedCallIds(
  db: Db | Trx,
  scope: Scope,
  q: { agentId: string; from: string; to: string; afterId: string | null; limit: number },
): Promise<string[]> {
  let sel = tenant(db, scope)
    .selectFrom('calls')
    .select('id')
    .where('agent_id', '=', q.agentId)
    .where('ended_at', '>=', q.from)
    .where('ended_at', '<', q.to);
  if (q.afterId) sel = sel.where('id', '>', q.afterId);
  const rows = await sel.orderBy('id', 'asc').limit(q.limit).execute();
  return rows.map((r) => r.id);
}
