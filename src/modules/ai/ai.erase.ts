import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/** The AI's records of its replies to the person keep the engine and whether it answered, not what it used or noted. */
export async function eraseAiReplies(ctx: AppContext, subject: ErasureSubject) {
  for (const ids of inChunks(subject.conversationIds))
    await tenant(ctx.db, subject)
      .updateTable('ai_replies')
      .set({ sources: '[]', actions: '[]', dialogue_state: null, model_outcome: null })
      .where('conversation_id', 'in', ids)
      .execute();
}
