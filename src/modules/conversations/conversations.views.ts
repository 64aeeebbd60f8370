/**
 * Read-only views of the conversations table for other modules (docs/architecture.md, "Who owns a
 * table"): set-wise reads by id, and subqueries to embed in the caller's own statement.
 */
import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { ConversationRow } from './conversations.tables.ts';

/**
 * This workspace's and mode's conversations among `ids` (`id`, `contact_id`,
 * `dynamic_variables`), one read per chunk of ids; ids of no conversation are absent.
 */
export async function conversationsByIds(
  db: Db | Trx,
  scope: Scope,
  ids: readonly string[],
): Promise<Array<Pick<ConversationRow, 'id' | 'contact_id' | 'dynamic_variables'>>> {
  const out: Array<Pick<ConversationRow, 'id' | 'contact_id' | 'dynamic_variables'>> = [];
  for (const part of chunked([...ids]))
    out.push(
      ...(await tenant(db, scope)
        .selectFrom('conversations')
        .select(['id', 'contact_id', 'dynamic_variables'])
        .where('id', 'in', part)
        .execute()),
    );
  return out;
}

/** The ids of the agent's conversations in this workspace and mode, as a subquery to embed. */
export function agentConversationIds(db: Db | Trx, scope: Scope, agentId: string) {
  return tenant(db, scope).selectFrom('conversations').select('id').where('agent_id', '=', agentId);
}

/** The contact's conversation with the latest activity (undefined: none), for events not about a conversation. */
export async function latestConversationOfContact(
  db: Db | Trx,
  scope: Scope,
  contactId: string,
): Promise<string | undefined> {
  const row = await tenant(db, scope)
    .selectFrom('conversations')
    .select('id')
    .where('contact_id', '=', contactId)
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
