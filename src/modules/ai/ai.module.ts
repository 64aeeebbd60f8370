import { onInboundMessage } from '../messaging/hooks.ts';
import type { Module } from '../module.ts';
import { replyJob } from './ai.jobs.ts';
import { aiMigrations } from './ai.migrations.ts';
import { aiRoutes } from './ai.routes.ts';
import { type AiOptions, answerConversation, attach, onInbound } from './ai.service.ts';

/** The AI agent: answers inbound messages (debounced per conversation), the playground and copilot. */
export function createAiModule(options: Partial<AiOptions> = {}): Module {
  const opts: AiOptions = {
    replyDebounceMs: options.replyDebounceMs ?? 2000,
    llm: { timeoutMs: 20_000, maxSteps: 5, ...options.llm },
  };
  let detach: (() => void) | undefined;
  return {
    name: 'ai',
    migrations: aiMigrations,
    routes: aiRoutes(opts),
    setup(ctx) {
      detach = attach(ctx, opts);
      onInboundMessage(onInbound);
      ctx.queue.register(replyJob, (payload, job) => answerConversation(ctx, payload, opts, job));
    },
    startWorker() {
      return () => detach?.();
    },
  };
}

export const aiModule = createAiModule();
