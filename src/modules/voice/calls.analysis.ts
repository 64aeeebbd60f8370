import type { Db, Trx } from '../../platform/db/database.ts';
import { afterIdPage } from '../../platform/db/rows.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { toJson } from '../../platform/json.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';

/** Stores what came of a call (the analysis module computes it). */
export async function setCallAnalysis(
  db: Db | Trx,
  scope: Scope,
  id: string,
  analysis: ConversationAnalysis,
) {
  await tenant(db, scope).updateById('calls', id, { analysis: toJson(analysis) });
}

/** Ids of an agent's calls that ended in [from, to), after `afterId` (keyset pages of `limit`). */
export async function endedCallIds(
  db: Db | Trx,
  scope: Scope,
  q: { agentId: string; from: string; to: string; afterId: string | null; limit: number },
): Promise<string[]> {
  const ended = tenant(db, scope)
    .selectFrom('calls')
    .select('id')
    .where('agent_id', '=', q.agentId)
    .where('ended_at', '>=', q.from)
    .where('ended_at', '<', q.to);
  const rows = await afterIdPage(ended, q.afterId, q.limit).execute();
  return rows.map((r) => r.id);
}
