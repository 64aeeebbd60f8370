import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import {
  autoResolveAfterMinutes,
  type ConversationRow,
  closeConversation,
  getConversationRow,
} from '../conversations/index.ts';
import { recentMessages } from '../messaging/index.ts';
import { autoResolveJob } from './ai.jobs.ts';
import { aiActor } from './ai.tools.ts';

type AutoResolve = Scope & {
  conversationId: string;
  messageId: string;
  agentId: string;
  dueAt: string;
};

/**
 * After an AI reply, in its transaction (counted from the reply's time): with `auto_resolve_after_minutes` set (the
 * agent's handoff policy over the workspace's), the conversation is looked at again then.
 */
export async function armAutoResolve(
  ctx: AppContext,
  db: Trx,
  scope: Scope,
  conversation: Pick<ConversationRow, 'id' | 'agent_id' | 'channel_id'>,
  agentId: string,
  reply: { id: string; created_at: string },
) {
  const minutes = await autoResolveAfterMinutes(ctx, db, scope, conversation);
  if (!minutes) return;
  const messageId = reply.id;
  const due = new Date(Date.parse(reply.created_at) + minutes * 60_000);
  await ctx.queue.enqueue(
    db,
    autoResolveJob,
    { ...scope, conversationId: conversation.id, messageId, agentId, dueAt: due.toISOString() },
    { runAt: due },
  );
}

/**
 * The auto-resolve job: the conversation is resolved (as the AI, with `conversation.resolved` and
 * what follows it: CSAT, reports) when it is still active, not handed off, and the AI's reply is
 * still its last message: the customer stayed silent and nobody else wrote.
 */
export async function autoResolve(ctx: AppContext, p: AutoResolve) {
  const now = ctx.clock.now().getTime();
  const due = Date.parse(p.dueAt);
  if (now < due) {
    // The queue's clock ran ahead of the app's: look again (within a second) until it is due.
    await ctx.transaction((tx) =>
      ctx.queue.enqueue(tx.db, autoResolveJob, p, {
        runAt: new Date(p.dueAt),
        delayMs: Math.min(due - now, 1000),
      }),
    );
    return;
  }
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  const row = await getConversationRow(ctx.db, scope, p.conversationId).catch(() => undefined);
  if (row?.status !== 'active' || row.ai_paused === 1) return;
  const [last] = await recentMessages(ctx.db, scope, row.id, 1);
  if (last?.id !== p.messageId) return;
  await closeConversation(ctx, scope, row.id, aiActor(p.agentId));
}
