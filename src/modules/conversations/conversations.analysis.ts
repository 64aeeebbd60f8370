import type { Db, Trx } from '../../platform/db/database.ts';
import { afterIdPage } from '../../platform/db/rows.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { toJson } from '../../platform/json.ts';
import type { ConversationAnalysis } from './conversations.service.ts';

/** Stores what came of a conversation (the analysis module computes it). */
export async function setConversationAnalysis(
  db: Db | Trx,
  scope: Scope,
  id: string,
  analysis: ConversationAnalysis,
) {
  await tenant(db, scope).updateById('conversations', id, { analysis: toJson(analysis) });
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
  const closed = tenant(db, scope)
    .selectFrom('conversations')
    .select('id')
    .where('agent_id', '=', q.agentId)
    .where('status', '=', 'closed')
    .where('closed_at', '>=', q.from)
    .where('closed_at', '<', q.to);
  const rows = await afterIdPage(closed, q.afterId, q.limit).execute();
  return rows.map((r) => r.id);
}
