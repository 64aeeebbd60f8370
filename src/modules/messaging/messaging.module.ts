import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import type { Module } from '../module.ts';
import { conversationMessageRoutes } from './conversation-messages.routes.ts';
import { ingestInbound, purgeEarlyStatuses } from './inbound.service.ts';
import { keepInboundMedia } from './media.service.ts';
import { messageByProviderId, templateById } from './messages.views.ts';
import { eraseMessages } from './messaging.erase.ts';
import { customerProfileJob, keepMediaJob, sandboxAdvanceJob, sendJob } from './messaging.jobs.ts';
import { messagingMigrations } from './messaging.migrations.ts';
import { purgeOldMessages } from './messaging.retention.ts';
import { messagingRoutes } from './messaging.routes.ts';
import type { SendWriter } from './messaging.service.ts';
import { paymentRoutes } from './payments.routes.ts';
import { readCustomerProfile } from './profiles.ts';
import { searchRoutes } from './search.routes.ts';
import { runSandboxAdvanceBatch, runSendBatch } from './send.job.ts';
import { createSendWriter } from './send-batch.ts';
import { setTemplateStatus } from './templates.service.ts';
import { adoptTemplates, applyTemplateChange } from './templates.sync.ts';

/** The messaging module's state for one app. */
export interface MessagingInstance {
  /** Writes plain sends of many requests together (see send-batch.ts). */
  sendWriter: SendWriter;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Fills a canned response for a reply (`canned_response_id`; provided by the teamtools module, above this one). */
    cannedText: (scope: Scope, conversationId: string, cannedId: string, actor: Actor) => Promise<string>;
  }
}

declare module '../../platform/context.ts' {
  interface AppModules {
    messaging: MessagingInstance;
  }
}

export const messagingModule: Module = {
  name: 'messaging',
  erase: eraseMessages,
  retain: { messages: purgeOldMessages },
  migrations: messagingMigrations,
  routes: [...messagingRoutes, ...conversationMessageRoutes, ...searchRoutes, ...paymentRoutes],
  setup(ctx: AppContext): MessagingInstance {
    ctx.queue.registerBatch(sendJob, (items) => runSendBatch(ctx, items));
    ctx.queue.registerBatch(sandboxAdvanceJob, (items) => runSandboxAdvanceBatch(ctx, items));
    ctx.queue.register(keepMediaJob, (payload, job) => keepInboundMedia(ctx, payload.messageId, job));
    ctx.queue.register(customerProfileJob, (payload) => readCustomerProfile(ctx, payload));
    return { sendWriter: createSendWriter(ctx) };
  },
  // Channels sit below messaging: they hand what providers send to this receiver.
  provides: (ctx) => ({
    inboundReceiver: {
      ingest: async (channel, batch) => {
        await ingestInbound(ctx, channel, batch);
      },
      purgeEarlyStatuses: (days) => purgeEarlyStatuses(ctx, days),
      templateStatus: async (scope, ref, status, reason) => {
        await setTemplateStatus(ctx, scope, ref, status, reason);
      },
      sentTo: async (channelId, providerMessageId) =>
        (await messageByProviderId(ctx.db, channelId, providerMessageId))?.to_address,
      template: (scope, id) => templateById(ctx.db, scope, id),
      adoptTemplates: (scope, templates) => adoptTemplates(ctx, scope, templates),
      templateChanged: (scope, ref, change) => applyTemplateChange(ctx, scope, ref, change),
    },
  }),
};
