import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { toJson } from '../../platform/json.ts';
import type { ConversationAnalysis } from './conversations.service.ts';

/** Stores what came of a conversation (the analysis module computes it). */
export async function setConversationAnalysis(
  db: Db | Trx,
  scope: Scope,
  id: string,
  analysis: ConversationAnalysis,
): Promise<void> {
  await tenant(db, scope)
    .updateTable('conversations')
    .set({ analysis: toJson(analysis) })
    .where('id', '=', id)
    .execute();
}

/**
 * Ids of an agent's closed conversations last closed in [from, to), oldest first, after `afterId`
 * (keyset pages of `limit`): what a range re-analysis walks over.
 */
export async function closedConversationIds(
  db: Db | Trx,
  scope: Scope,
  q: { agentId: string; from: string; to: string; afterId: string | null; limit: number },
): Promise<string[]> {
  let sel = tenant(db, scope)
    .selectFrom('conversations')
    .select('id')
    .where('agent_id', '=', q.agentId)
    .where('status', '=', 'closed')
    .where('closed_at', '>=', q.from)
    .where('closed_at', '<', q.to);
  if (q.afterId) sel = sel.where('id', '>', q.afterId);
  const rows = await sel.orderBy('id', 'asc').limit(q.limit).execute();
  return rows.map((r) => r.id);
}
