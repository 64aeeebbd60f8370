import { Counter } from 'prom-client';
import type { Module } from '../module.ts';
import { registerAdapter } from './adapters.ts';
import type { ChannelConfig, ProviderPlugin } from './channel-adapter.ts';
import { createEmailAdapter } from './email/email.adapter.ts';
import { emailHookRoutes } from './email/email.routes.ts';
import { createMetaAdapter, createMetaDirectAdapter } from './meta/meta-direct.adapter.ts';
import { metaDirectHookRoutes } from './meta/meta-direct.routes.ts';
import { deadLetterCounter } from './providers.dead-letter.ts';
import { eraseProviderPayloads } from './providers.erase.ts';
import { type PendingInbound, purgeProcessedInbound, registerInboundJobs } from './providers.inbound.ts';
import { providersMigrations } from './providers.migrations.ts';
import { telegramProvider } from './telegram/index.ts';
import { createTwilioAdapter } from './twilio/twilio.adapter.ts';
import { twilioHookRoutes } from './twilio/twilio.routes.ts';
import { watchGraphVersion } from './whatsapp/graph-versions.ts';
import { createWhatsAppAdapter } from './whatsapp/whatsapp.adapter.ts';
import { channelHealthRoutes } from './whatsapp/whatsapp.health.routes.ts';
import { whatsappHookRoutes } from './whatsapp/whatsapp.routes.ts';
import {
  enqueueScheduledSyncs,
  registerScheduledTemplateSync,
  SYNC_EVERY_MS,
  templateSyncRoutes,
} from './whatsapp/whatsapp.sync.ts';
import { registerTemplateSync } from './whatsapp/whatsapp.templates.ts';

/**
 * Providers that bring everything in their folder (adapter, hook routes): registering one is one
 * line here. (Meta, Twilio and SMTP predate this and are wired by hand below.)
 */
const plugged: ProviderPlugin[] = [telegramProvider];

/** The providers module's state for one app. */
export interface ProvidersInstance {
  /** Channels named by hook URLs, kept a few seconds (hook requests read theirs on every call). */
  hookChannels: Map<string, { at: number; channel: ChannelConfig }>;
  /** Verified payloads waiting to be stored together in the next transaction. */
  pendingInbound: { queue: PendingInbound[] | undefined };
  /** Stored payloads that could not be processed (providers.dead-letter.ts). */
  deadLetters: ReturnType<typeof deadLetterCounter>;
  /** Verified provider requests refused by routing (an SMS to a voice line with no SMS channel). */
  refusedInbound: Counter<'reason'>;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    providers: ProvidersInstance;
  }
}

/** The real channels: Meta's WhatsApp Cloud API, Twilio SMS and SMTP email, with their webhook routes. */
export const providersModule: Module = {
  name: 'providers',
  erase: eraseProviderPayloads,
  migrations: providersMigrations,
  routes: [
    ...whatsappHookRoutes,
    ...metaDirectHookRoutes,
    ...twilioHookRoutes,
    ...emailHookRoutes,
    ...templateSyncRoutes,
    ...channelHealthRoutes,
    ...plugged.flatMap((p) => p.routes),
  ],
  setup(ctx) {
    const base = (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
    const graph = {
      graphUrl: ctx.config.metaGraphUrl,
      version: ctx.config.metaGraphVersion,
      // Unset but in a test (config.testing), read at each request.
      get timeoutMs() {
        return ctx.config.testing?.graphTimeoutMs;
      },
    };
    // One `meta` adapter: WhatsApp channels on the Cloud API, Messenger and Instagram on the Send API.
    registerAdapter(ctx, createMetaAdapter(createWhatsAppAdapter(graph), createMetaDirectAdapter(graph)));
    registerAdapter(
      ctx,
      createTwilioAdapter({
        apiUrl: ctx.config.twilioApiUrl,
        statusCallbackUrl: (channel) => `${base}/hooks/twilio/${channel.id}/status`,
      }),
    );
    registerAdapter(ctx, createEmailAdapter());
    for (const p of plugged) registerAdapter(ctx, p.adapter(ctx));
    registerInboundJobs(ctx);
    watchGraphVersion(ctx);
    registerScheduledTemplateSync(ctx);
    registerTemplateSync(ctx);
    const instance: ProvidersInstance = {
      hookChannels: new Map(),
      pendingInbound: { queue: undefined },
      deadLetters: deadLetterCounter(),
      refusedInbound: new Counter({
        name: 'parley_inbound_refused_total',
        help: 'Verified provider requests refused by routing, by reason (sms_to_voice_channel: an SMS to a voice line whose number has no SMS channel).',
        labelNames: ['reason'],
        registers: [],
      }),
    };
    return instance;
  },
  metrics(ctx) {
    return [ctx.modules.providers.deadLetters, ctx.modules.providers.refusedInbound];
  },
  startWorker(ctx) {
    const timer = setInterval(() => {
      purgeProcessedInbound(ctx).catch((err) => ctx.logger.warn({ err }, 'provider inbound purge failed'));
    }, 3_600_000);
    timer.unref();
    const sync = setInterval(() => {
      enqueueScheduledSyncs(ctx).catch((err) => ctx.logger.warn({ err }, 'template sync scheduling failed'));
    }, SYNC_EVERY_MS);
    sync.unref();
    return () => {
      clearInterval(timer);
      clearInterval(sync);
    };
  },
};
