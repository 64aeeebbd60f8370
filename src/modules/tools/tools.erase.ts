import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * The person's tool calls stay counted (tool, status, latency, times) without what was sent or
 * answered: arguments, request and response bodies and the mapped result can all name them.
 */
/** What an erased call's request becomes: the shape every tool call has, with nothing in it. */
const ERASED_REQUEST = JSON.stringify({ method: '', url: '', headers: {}, body: null });

export async function eraseToolCalls(ctx: AppContext, subject: ErasureSubject) {
  for (const ids of inChunks(subject.conversationIds))
    await tenant(ctx.db, subject)
      .updateTable('tool_calls')
      .set({ args: '{}', request: ERASED_REQUEST, response: null, result: null, message: null })
      .where('conversation_id', 'in', ids)
      .execute();
}
