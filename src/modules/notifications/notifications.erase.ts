import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * Mentions in the person's conversations quote private notes about them: they go. So do the
 * email digests' items about their conversations (a title and a line of the message), sent or not:
 * an item names its conversation by its inbox link.
 */
export async function eraseMentions(ctx: AppContext, subject: ErasureSubject) {
  for (const ids of inChunks(subject.conversationIds)) {
    await tenant(ctx.db, subject).deleteFrom('mentions').where('conversation_id', 'in', ids).execute();
    await tenant(ctx.db, subject)
      .deleteFrom('notification_digest_items')
      .where((eb) => eb.or(ids.map((id) => eb('url', 'like', `%/${id}`))))
      .execute();
  }
}
