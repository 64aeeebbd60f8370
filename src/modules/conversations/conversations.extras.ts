import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { type ConversationObject, getConversation, getConversationRow } from './conversations.service.ts';
import type { ConversationPriority } from './conversations.tables.ts';

/** Sets a conversation's priority (macros and automations' `set_priority`); the same one changes nothing. */
export async function setConversationPriority(
  ctx: AppContext,
  scope: Scope,
  id: string,
  priority: ConversationPriority,
): Promise<ConversationObject> {
  const row = await getConversationRow(ctx.db, scope, id);
  if (row.priority !== priority)
    await ctx.db
      .updateTable('conversations')
      .set({ priority, updated_at: ctx.clock.now().toISOString() })
      .where('id', '=', row.id)
      .execute();
  return getConversation(ctx, scope, id);
}
