import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/** Mentions in the person's conversations quote private notes about them: they go. */
export async function eraseMentions(ctx: AppContext, subject: ErasureSubject) {
  for (const ids of inChunks(subject.conversationIds))
    await tenant(ctx.db, subject).deleteFrom('mentions').where('conversation_id', 'in', ids).execute();
}
