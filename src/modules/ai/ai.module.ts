import { outOfHoursJob } from '../conversations/index.ts';
import type { Module } from '../module.ts';
import { eraseAiReplies } from './ai.erase.ts';
import { holdingJob, replyJob } from './ai.jobs.ts';
import { aiMigrations } from './ai.migrations.ts';
import { aiRoutes } from './ai.routes.ts';
import { type AiOptions, answerConversation, onInbound } from './ai.service.ts';
import { sendHoldingMessage } from './holding.ts';
import { sendOutOfHoursNotice } from './out-of-hours.ts';

/** The AI agent: answers inbound messages (debounced per conversation), the playground and copilot. */
export function createAiModule(options: Partial<AiOptions> = {}): Module {
  const opts: AiOptions = {
    replyDebounceMs: options.replyDebounceMs ?? 2000,
    ...(options.holdingRecheckMs !== undefined ? { holdingRecheckMs: options.holdingRecheckMs } : {}),
    llm: { timeoutMs: 20_000, maxSteps: 5, ...options.llm },
  };
  return {
    name: 'ai',
    erase: eraseAiReplies,
    migrations: aiMigrations,
    routes: aiRoutes(opts),
    setup(ctx) {
      ctx.modules.messaging.hooks.inboundMessage.add((tx, e) => onInbound(ctx, opts, tx, e));
      ctx.queue.register(replyJob, (payload, job) => answerConversation(ctx, payload, opts, job));
      ctx.queue.register(holdingJob, (payload, job) => sendHoldingMessage(ctx, payload, opts, job));
      ctx.queue.register(outOfHoursJob, (payload) => sendOutOfHoursNotice(ctx, payload));
    },
  };
}

export const aiModule = createAiModule();
