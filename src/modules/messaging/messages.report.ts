import { sql } from 'kysely';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** Per conversation: its messages counted and the times reports measure from. */
export interface MessageStats {
  conversation_id: string;
  messages_in: number;
  messages_out: number;
  /** Messages written by a person of the team (sender `user`). */
  person_messages: number;
  first_in_at: string | null;
}

/** Message counts of these conversations (notes excluded), one row per conversation with messages. */
export async function messageStats(db: Db | Trx, scope: Scope, ids: string[]): Promise<MessageStats[]> {
  if (ids.length === 0) return [];
  const rows = await tenant(db, scope)
    .selectFrom('messages')
    .select((eb) => [
      'conversation_id',
      eb.fn.sum<number>(sql`case when direction = 'inbound' then 1 else 0 end`).as('messages_in'),
      eb.fn
        .sum<number>(sql`case when direction = 'outbound' and type <> 'note' then 1 else 0 end`)
        .as('messages_out'),
      eb.fn
        .sum<number>(sql`case when sender_type = 'user' and type <> 'note' then 1 else 0 end`)
        .as('person_messages'),
      eb.fn.min<string | null>(sql`case when direction = 'inbound' then created_at end`).as('first_in_at'),
    ])
    .where('conversation_id', 'in', ids)
    .groupBy('conversation_id')
    .execute();
  return rows.map((r) => ({
    conversation_id: r.conversation_id,
    messages_in: Number(r.messages_in ?? 0),
    messages_out: Number(r.messages_out ?? 0),
    person_messages: Number(r.person_messages ?? 0),
    first_in_at: r.first_in_at ?? null,
  }));
}

/** The replies (outbound, not notes) of these conversations, oldest first: who sent each and when. */
export async function replyTimes(
  db: Db | Trx,
  scope: Scope,
  ids: string[],
): Promise<
  Array<{ conversation_id: string; sender_type: string; sender_id: string | null; created_at: string }>
> {
  if (ids.length === 0) return [];
  return tenant(db, scope)
    .selectFrom('messages')
    .select(['conversation_id', 'sender_type', 'sender_id', 'created_at'])
    .where('conversation_id', 'in', ids)
    .where('direction', '=', 'outbound')
    .where('type', '<>', 'note')
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}
