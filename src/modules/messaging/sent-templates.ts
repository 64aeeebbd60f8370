import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';

/**
 * The newest outbound template message to `to` since `since` (optionally by one sender): how a
 * bulk send (broadcast, campaign) finds the message a run that died mid-send left, so that the
 * recipient completes with it instead of being sent twice.
 */
export async function latestTemplateSent(
  db: Db | Trx,
  scope: Scope,
  q: { to: string; since: string; sender?: Actor },
): Promise<{ id: string; templateName: string | null } | undefined> {
  let query = tenant(db, scope)
    .selectFrom('messages')
    .select(['id', 'template'])
    .where('direction', '=', 'outbound')
    .where('type', '=', 'template')
    .where('to_address', '=', q.to)
    .where('created_at', '>=', q.since);
  if (q.sender) {
    query = query.where('sender_type', '=', q.sender.type);
    query =
      q.sender.id === null
        ? query.where('sender_id', 'is', null)
        : query.where('sender_id', '=', q.sender.id);
  }
  const row = await query.orderBy('created_at', 'desc').executeTakeFirst();
  return row && { id: row.id, templateName: fromJson<{ name?: string }>(row.template, {}).name ?? null };
}
