import type { ProviderPlugin } from '../channel-adapter.ts';
import { createTelegramAdapter } from './telegram.adapter.ts';
import { telegramHookRoutes } from './telegram.routes.ts';

/** Telegram bots (the Bot API): the adapter and its webhook, registered by the providers module. */
export const telegramProvider: ProviderPlugin = {
  adapter: (ctx) =>
    createTelegramAdapter({
      apiUrl: ctx.config.telegramApiUrl,
      get timeoutMs() {
        return ctx.config.testing?.graphTimeoutMs;
      },
    }),
  routes: telegramHookRoutes,
};
