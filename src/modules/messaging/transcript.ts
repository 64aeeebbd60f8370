import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { MessagesTable } from './messaging.tables.ts';

export interface TranscriptLine {
  /** customer, ai (the agent), user (a person of the team), api_key or system. */
  sender: MessagesTable['sender_type'];
  text: string;
  at: string;
}

/** The text of a conversation's messages, oldest first (the last `limit`), without notes or deleted ones. */
export async function conversationTranscript(
  db: Db | Trx,
  scope: Scope,
  conversationId: string,
  limit = 500,
): Promise<TranscriptLine[]> {
  const rows = await tenant(db, scope)
    .selectFrom('messages')
    .select(['sender_type', 'text', 'template', 'created_at', 'type', 'deleted_at'])
    .where('conversation_id', '=', conversationId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows
    .reverse()
    .filter((r) => r.type !== 'note' && !r.deleted_at && (r.text ?? '').trim() !== '')
    .map((r) => ({ sender: r.sender_type, text: r.text as string, at: r.created_at }));
}
