import type { AppContext } from '../../platform/context.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { inChunks } from '../../platform/erasure.ts';
import { type MessageObject, presentMessage } from './messages.present.ts';

export interface ExportedAttachment {
  id: string;
  message_id: string;
  filename: string | null;
  mime_type: string;
  content: Buffer;
}

/**
 * The files Parley kept of these conversations' messages (a person's data export), a few at a
 * time (keyset on the id), so only one page of file contents is held at once.
 */
export async function* attachmentsOfConversations(
  ctx: AppContext,
  scope: Scope,
  conversationIds: string[],
): AsyncGenerator<ExportedAttachment> {
  for (const ids of inChunks(conversationIds, 200)) {
    let after = '';
    for (;;) {
      const rows = await tenant(ctx.db, scope)
        .selectFrom('message_attachments')
        .select(['id', 'message_id', 'filename', 'mime_type', 'content_base64'])
        .where(
          'message_id',
          'in',
          tenant(ctx.db, scope).selectFrom('messages').select('id').where('conversation_id', 'in', ids),
        )
        .where('id', '>', after)
        .orderBy('id')
        .limit(10)
        .execute();
      for (const r of rows)
        yield {
          id: r.id,
          message_id: r.message_id,
          filename: r.filename,
          mime_type: r.mime_type,
          content: Buffer.from(r.content_base64, 'base64'),
        };
      if (rows.length < 10) break;
      after = rows[rows.length - 1]!.id;
    }
  }
}

/**
 * A page of the conversation's messages after `after` (oldest first), without a total: a
 * person's export walks 100,000 messages a page at a time and must not count them at each page.
 */
export async function messagesAfter(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  after: string,
  limit: number,
): Promise<MessageObject[]> {
  const rows = await tenant(ctx.db, scope)
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(presentMessage);
}
