import type { Db, Trx } from '../../platform/db/database.ts';

/*
 * What the AI agent's jobs write on a conversation, in the transaction they are given (no
 * statement of their own).
 */

/** The agent that answers a conversation that had none (the workspace default took it). */
export async function setConversationAgent(db: Db | Trx, conversationId: string, agentId: string) {
  await db.updateTable('conversations').set({ agent_id: agentId }).where('id', '=', conversationId).execute();
}

/** The AI answered this conversation at least once (for reports); set once. */
export async function markAiHandled(db: Db | Trx, conversationId: string) {
  await db
    .updateTable('conversations')
    .set({ ai_handled: 1 })
    .where('id', '=', conversationId)
    .where('ai_handled', '=', 0)
    .execute();
}

/**
 * Merges values into the conversation's dynamic variables (a workspace tool's `save`). The read
 * and the write are one transaction, so two saves in a row keep both.
 */
export async function mergeConversationVariables(
  ctx: { transaction<T>(fn: (tx: { db: Trx }) => Promise<T>): Promise<T> },
  conversationId: string,
  values: Record<string, string | number | boolean>,
): Promise<void> {
  if (Object.keys(values).length === 0) return;
  await ctx.transaction(async (tx) => {
    const row = await tx.db
      .selectFrom('conversations')
      .select('dynamic_variables')
      .where('id', '=', conversationId)
      .executeTakeFirst();
    if (!row) return;
    const merged = { ...(JSON.parse(row.dynamic_variables || '{}') as Record<string, unknown>), ...values };
    await tx.db
      .updateTable('conversations')
      .set({ dynamic_variables: JSON.stringify(merged) })
      .where('id', '=', conversationId)
      .execute();
  });
}
