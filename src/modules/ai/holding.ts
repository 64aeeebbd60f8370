import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { toJson } from '../../platform/json.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import { agentConfig } from '../agents/index.ts';
import type { ConversationJob } from '../conversations/index.ts';
import { inboundMessageIdsAfter, recentMessages, replyToConversation } from '../messaging/index.ts';
import { holdingJob } from './ai.jobs.ts';
import { type AiOptions, jobConversation, recordReply, workspaceSender } from './ai.service.ts';
import { detectLocale, replyLocale, say } from './locale.ts';

export const HOLDING_EN = say('en', 'holding');

/**
 * The holding-message job: while the conversation is handed off, a customer whose messages have
 * had no answer (from anyone) for `handoff.holding_message_after_minutes` gets one holding
 * message, once until a person has replied: never silence, never a stream of bot messages.
 * Not due yet: looks again when it is (or after `holdingRecheckMs`).
 */
export async function sendHoldingMessage(
  ctx: AppContext,
  payload: ConversationJob,
  opts: AiOptions,
  job?: JobContext,
) {
  const found = await jobConversation(ctx, payload, (c) => c.ai_paused === 1);
  if (!found?.agentRow) return;
  const { scope, conversation, agentRow } = found;
  const agent = agentConfig(ctx, agentRow);
  const afterMs = agent.handoff.holding_message_after_minutes * 60_000;
  const recent = await recentMessages(ctx.db, scope, conversation.id, 200);
  const seen = new Set(recent.map((m) => m.id));
  const newestSeen = recent[0]?.created_at ?? '';
  /**
   * Ends this job in one transaction with `write`. A customer message stored while this job ran
   * found the `ai-holding` singleton taken, so its own look was dropped: completing the job first
   * (which waits for such a message's transaction to commit) and then looking for messages this
   * run did not see gives that message a new look instead of silence.
   */
  const finish = (write?: (tx: Tx) => Promise<void>, recheckMs?: number) =>
    ctx.transaction(async (tx) => {
      await job?.completeWith?.(tx.db);
      await write?.(tx);
      let delayMs = recheckMs;
      if (delayMs === undefined) {
        const unseen = (
          await inboundMessageIdsAfter(tx.db, conversation.id, newestSeen, { orAt: true })
        ).some((m) => !seen.has(m.id));
        if (unseen) delayMs = Math.min(afterMs, opts.holdingRecheckMs ?? afterMs);
      }
      if (delayMs !== undefined) {
        await ctx.queue.enqueue(tx.db, holdingJob, payload, {
          singletonKey: `ai-holding:${conversation.id}`,
          delayMs,
        });
      }
    });
  // Newest first: the customer's messages after the latest answer from anyone.
  const lastOut = recent.findIndex((m) => m.direction !== 'inbound');
  const waiting = recent.slice(0, lastOut < 0 ? recent.length : lastOut);
  if (waiting.length === 0) return finish();
  const lastPerson = recent.find(
    (m) => m.direction !== 'inbound' && (m.sender_type === 'user' || m.sender_type === 'api_key'),
  );
  const held = await tenant(ctx.db, scope)
    .selectFrom('ai_replies')
    .select('message_id')
    .where('conversation_id', '=', conversation.id)
    .where('engine', '=', 'holding')
    .where('created_at', '>', lastPerson?.created_at ?? '')
    .executeTakeFirst();
  if (held) return finish();
  const now = ctx.clock.now();
  const dueAt = Date.parse(waiting[waiting.length - 1].created_at) + afterMs;
  if (dueAt > now.getTime()) {
    // Not due yet: look again when it is.
    const wait = dueAt - now.getTime();
    return finish(undefined, Math.min(wait, opts.holdingRecheckMs ?? wait));
  }
  const sender = await workspaceSender(ctx, scope, agent.id);
  const text =
    agent.handoff.holding_message ??
    say(replyLocale(detectLocale(waiting.map((m) => m.text ?? '').join('\n')), agent.languages), 'holding');
  try {
    await replyToConversation(ctx, sender, conversation.id, {
      type: 'text',
      text,
      // Recorded with the message: the AI, answering later, knows it is no answer.
      written: (db, messageId) =>
        recordReply(db, scope, messageId, conversation, agent.id, {
          engine: 'holding',
          sources: toJson([]),
          actions: toJson([]),
          answered: 1,
          created_at: now.toISOString(),
        }),
    });
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn(
        { conversationId: conversation.id, code: err.code, msg: err.message },
        'Holding message not sent',
      );
      return finish();
    }
    throw err;
  }
  await finish();
}
