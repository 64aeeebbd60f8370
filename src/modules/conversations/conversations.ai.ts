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
