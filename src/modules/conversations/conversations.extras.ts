import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import {
  type ConversationObject,
  getConversation,
  getConversationRow,
  presentConversation,
} from './conversations.service.ts';
import type { ConversationPriority } from './conversations.tables.ts';
import { applySla } from './routing/sla.service.ts';

/**
 * Sets a conversation's priority (macros and automations' `set_priority`); the same one changes
 * nothing. A new priority matches the SLA policies again (a policy by priority applies now).
 */
export async function setConversationPriority(
  ctx: AppContext,
  scope: Scope,
  id: string,
  priority: ConversationPriority,
): Promise<ConversationObject> {
  await ctx.transaction(async (tx) => {
    const row = await getConversationRow(tx.db, scope, id);
    if (row.priority === priority) return;
    const patch = { priority, updated_at: ctx.clock.now().toISOString() };
    await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
    await applySla(ctx, tx, scope, { ...row, ...patch });
  });
  return getConversation(ctx, scope, id);
}

/**
 * Stores the customer's satisfaction answer on the conversation and emits `csat.received`, in
 * the caller's transaction (the inbound message or the email link that carried it).
 */
export async function recordCsatInTx(
  tx: Tx,
  scope: Scope,
  conversationId: string,
  answer: { score: number; comment: string | null; at: string },
  contact: { id: string; phone: string | null; name: string | null; email: string | null },
  actor: Actor,
) {
  const row = await getConversationRow(tx.db, scope, conversationId);
  const patch = {
    csat_score: answer.score,
    csat_comment: answer.comment,
    csat_at: answer.at,
    updated_at: answer.at,
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  await tx.emit({ ...scope, type: 'csat.received', actor, data: presentConversation(updated, contact) });
  return updated;
}
