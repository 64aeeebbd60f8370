import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * The person's messages stay as counted rows (direction, sender, status, times: reports and
 * conversation counts keep them) and lose their content: text, media, template variables,
 * interactive content, the person's address and provider error texts. Attachments are deleted.
 */
export async function eraseMessages(ctx: AppContext, subject: ErasureSubject) {
  const now = ctx.clock.now().toISOString();
  for (const ids of inChunks(subject.conversationIds)) {
    const scoped = tenant(ctx.db, subject);
    await ctx.db
      .deleteFrom('message_attachments')
      .where(
        'message_id',
        'in',
        scoped.selectFrom('messages').select('id').where('conversation_id', 'in', ids),
      )
      .execute();
    await scoped
      .updateTable('messages')
      .set({
        text: null,
        media: null,
        template: null,
        interactive: null,
        error_message: null,
        // The business's own address stays; the person's goes.
        from_address: sql<string>`case when direction = 'inbound' then '' else from_address end`,
        to_address: sql<string>`case when direction = 'outbound' then '' else to_address end`,
        updated_at: now,
      })
      .where('conversation_id', 'in', ids)
      .execute();
  }
}
