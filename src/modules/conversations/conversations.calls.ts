/** What the voice module writes on the conversations its calls live in. */
import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { ConversationRow } from './conversations.tables.ts';

/**
 * A message stored elsewhere in the thread (a call's transcript turn) becomes the conversation's
 * last message; a customer's also its last inbound one. In the caller's transaction.
 */
export async function noteLastMessage(
  db: Db | Trx,
  conversationId: string,
  m: { text: string; at: string; sender: 'customer' | 'ai' },
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({
      last_message: m.text.slice(0, 200),
      last_message_at: m.at,
      last_message_sender: m.sender,
      ...(m.sender === 'customer' ? { last_inbound_at: m.at } : {}),
      updated_at: m.at,
    })
    .where('id', '=', conversationId)
    .execute();
}

/**
 * Writes back the call context of stored conversations (dynamic variables, identifier, agent,
 * status and its close time, as new calls left them): one update per 500 rows.
 */
export async function saveCallContexts(db: Db | Trx, rows: ConversationRow[]): Promise<void> {
  for (const part of chunked(rows)) {
    const when = <K extends keyof ConversationRow>(field: K) =>
      sql<ConversationRow[K]>`case id ${sql.join(
        part.map((row) => sql`when ${row.id} then ${row[field]}`),
        sql` `,
      )} end`;
    await db
      .updateTable('conversations')
      .set({
        dynamic_variables: when('dynamic_variables'),
        identifier: when('identifier'),
        agent_id: when('agent_id'),
        status: when('status'),
        closed_at: when('closed_at'),
        updated_at: when('updated_at'),
      })
      .where(
        'id',
        'in',
        part.map((row) => row.id),
      )
      .execute();
  }
}
