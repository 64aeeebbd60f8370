import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** Leads captured in these conversations, counted per conversation. */
export async function leadCounts(
  db: Db | Trx,
  scope: Scope,
  conversationIds: string[],
): Promise<Map<string, number>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await tenant(db, scope)
    .selectFrom('leads')
    .select((eb) => ['conversation_id', eb.fn.countAll<number>().as('n')])
    .where('conversation_id', 'in', conversationIds)
    .groupBy('conversation_id')
    .execute();
  return new Map(rows.map((r) => [r.conversation_id as string, Number(r.n)]));
}
