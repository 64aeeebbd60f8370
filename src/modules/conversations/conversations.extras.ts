import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import {
  type ConversationObject,
  getConversation,
  getConversationRow,
  handoffInTx,
  presentConversation,
} from './conversations.service.ts';
import type { ConversationPriority } from './conversations.tables.ts';
import { policyFor } from './routing/policy.service.ts';
import { applySla } from './routing/sla.service.ts';

const system: Actor = { type: 'system', id: null };

/**
 * Sets a conversation's priority (macros and automations' `set_priority`); the same one changes
 * nothing. A new priority matches the SLA policies again (a policy by priority applies now). Nobody
 * unseen: marked urgent while the AI answers it, the conversation goes to a person at once (the
 * handoff policy's `urgent_to_person`), queued for the policy's team with the customer told.
 */
export async function setConversationPriority(
  ctx: AppContext,
  scope: Scope,
  id: string,
  priority: ConversationPriority,
  actor: Actor = system,
): Promise<ConversationObject> {
  await ctx.transaction(async (tx) => {
    const row = await getConversationRow(tx.db, scope, id);
    if (row.priority === priority) return;
    const patch = { priority, updated_at: ctx.clock.now().toISOString() };
    await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
    const updated = { ...row, ...patch };
    await applySla(ctx, tx, scope, updated);
    if (priority !== 'urgent' || updated.status === 'closed' || updated.ai_paused === 1) return;
    // On a call a handoff is a transfer, which the call's own flow decides.
    if (updated.channel === 'voice') return;
    if (!(await policyFor(ctx, tx.db, scope, updated)).policy.urgent_to_person) return;
    await handoffInTx(tx, scope, updated, { reason: 'Marked urgent' }, actor, ctx.clock.now());
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
