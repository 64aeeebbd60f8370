import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import type { Trx } from '../../../platform/db/database.ts';
import { defineJob } from '../../../platform/queue/queue.ts';
import { handoffInTx } from '../conversations.service.ts';
import { lockConversation } from '../conversations.writes.ts';

/**
 * Messenger and Instagram: the AI may answer only within 24 hours of the customer's last message,
 * a person for 7 days (Meta's HUMAN_AGENT tag). So when the 24 hours are about to close on a
 * customer message nobody answered, the AI hands the conversation to people, who still have the
 * 7 days. One job per customer message's window end (a singleton per conversation and window
 * end), run at `windowEnd - before`; it hands off only when that window is still the
 * conversation's (no later customer message moved it), the conversation is open, the AI is not
 * paused already and the customer's message is still the last word. Both storages' queues run it
 * at least once; the checks, in one transaction, make the handoff happen exactly once.
 */
export const windowHandoffJob = defineJob({
  name: 'conversations.window_handoff',
  payload: z.object({ conversationId: z.string(), windowEnd: z.string() }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 30_000,
});

/** The reason a window handoff records (`handoff_reason`, `conversation.escalated`'s `reason`). */
export const WINDOW_HANDOFF_REASON = 'messaging_window_closing';

/** Schedules the pre-close handoff of a customer message's window, in the caller's transaction. */
export async function scheduleWindowHandoff(
  ctx: AppContext,
  db: Trx,
  conversationId: string,
  windowEnd: string,
  beforeMinutes: number,
): Promise<void> {
  if (!(beforeMinutes > 0)) return;
  const runAt = new Date(Date.parse(windowEnd) - beforeMinutes * 60_000);
  await ctx.queue.enqueue(
    db,
    windowHandoffJob,
    { conversationId, windowEnd },
    { runAt, singletonKey: `${conversationId}:${windowEnd}` },
  );
}

export async function runWindowHandoff(
  ctx: AppContext,
  payload: { conversationId: string; windowEnd: string },
): Promise<void> {
  await ctx.transaction(async (tx) => {
    // Two runs of the job (a retry racing a slow first run) take turns: the second sees the handoff.
    await lockConversation(tx.db, payload.conversationId);
    const row = await tx.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', payload.conversationId)
      .executeTakeFirst();
    if (!row || row.window_expires_at !== payload.windowEnd) return;
    if (row.status === 'closed' || row.ai_paused === 1 || row.last_message_sender !== 'customer') return;
    const scope = { workspaceId: row.workspace_id, livemode: row.livemode === 1 };
    await handoffInTx(
      tx,
      scope,
      row,
      { reason: WINDOW_HANDOFF_REASON },
      { type: 'ai', id: row.agent_id },
      ctx.clock.now(),
    );
  });
}

export function registerWindowHandoff(ctx: AppContext) {
  ctx.queue.register(windowHandoffJob, (payload) => runWindowHandoff(ctx, payload));
}
