import { handoffNoticeJob, outOfHoursJob } from '../conversations/index.ts';
import type { Module } from '../module.ts';
import { eraseAiReplies } from './ai.erase.ts';
import { autoResolveJob, holdingJob, replyJob } from './ai.jobs.ts';
import { aiMigrations } from './ai.migrations.ts';
import { aiRoutes } from './ai.routes.ts';
import { type AiOptions, answerConversation, answerSink, handBackSink } from './ai.service.ts';
import { autoResolve } from './auto-resolve.ts';
import { sendHoldingMessage } from './holding.ts';
import { routeAiSdkWarnings } from './llm-warnings.ts';
import { sendHandoffNotice, sendOutOfHoursNotice } from './out-of-hours.ts';

/** The AI agent: answers inbound messages (debounced per conversation), the playground and copilot. */
export function createAiModule(options: Partial<AiOptions> = {}): Module {
  const opts: AiOptions = {
    replyDebounceMs: options.replyDebounceMs ?? 2000,
    ...(options.replyBurstCapMs !== undefined ? { replyBurstCapMs: options.replyBurstCapMs } : {}),
    ...(options.holdingRecheckMs !== undefined ? { holdingRecheckMs: options.holdingRecheckMs } : {}),
    llm: { timeoutMs: 20_000, maxSteps: 5, ...options.llm },
  };
  return {
    name: 'ai',
    erase: eraseAiReplies,
    migrations: aiMigrations,
    routes: aiRoutes(opts),
    setup(ctx) {
      routeAiSdkWarnings(ctx.logger);
      // A customer's message stored: the reply job (debounced per conversation) or the holding look.
      ctx.reactions.add({
        name: 'ai.answer',
        hears: ['message.received'],
        step: 'follow',
        run: answerSink(ctx, opts),
      });
      ctx.queue.register(replyJob, (payload, job) => answerConversation(ctx, payload, opts, job));
      ctx.queue.register(holdingJob, (payload, job) => sendHoldingMessage(ctx, payload, opts, job));
      ctx.queue.register(outOfHoursJob, (payload) => sendOutOfHoursNotice(ctx, payload));
      ctx.reactions.add({
        name: 'ai.hand_back',
        hears: ['conversation.handoff_resolved', 'conversation.handoff_timeout'],
        step: 'record',
        run: handBackSink(ctx),
      });
      ctx.queue.register(autoResolveJob, (payload) => autoResolve(ctx, payload));
      ctx.queue.register(handoffNoticeJob, (payload) => sendHandoffNotice(ctx, payload));
    },
  };
}

export const aiModule = createAiModule();
