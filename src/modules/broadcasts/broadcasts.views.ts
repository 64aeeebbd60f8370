/**
 * Read-only views of the broadcasts' tables for other modules (docs/architecture.md, "Who owns a
 * table"): the costs report attributes messages to the broadcast that sent them.
 */
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** This workspace's and mode's broadcast messages (`message_id`, `broadcast_id`), a subquery to join by message id. */
export function broadcastMessages(db: Db | Trx, scope: Scope) {
  return tenant(db, scope)
    .selectFrom('broadcast_recipients')
    .select(['message_id', 'broadcast_id'])
    .where('message_id', 'is not', null);
}

/** The names of these broadcasts of this workspace and mode, by id (unknown ids are absent). */
export async function broadcastNames(
  db: Db | Trx,
  scope: Scope,
  ids: string[],
): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await tenant(db, scope)
    .selectFrom('broadcasts')
    .select(['id', 'name'])
    .where('id', 'in', ids.slice(0, 1000))
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
