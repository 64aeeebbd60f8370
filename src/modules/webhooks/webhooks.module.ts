import type { AppContext } from '../../platform/context.ts';
import type { Module } from '../module.ts';
import { createEndpointCache, type EndpointCache } from './webhooks.endpoint-cache.ts';
import { eraseDeliveryRecords } from './webhooks.erase.ts';
import {
  attemptDelivery,
  type DeliveryOptions,
  defaultDeliveryOptions,
  deliverJob,
  webhookSink,
} from './webhooks.jobs.ts';
import { webhooksMigrations } from './webhooks.migrations.ts';
import { purgeOldDeliveries } from './webhooks.retention.ts';
import { webhookRoutes } from './webhooks.routes.ts';

/** The webhooks module's state for one app. */
export interface WebhooksInstance {
  /** Endpoints by workspace and mode, as the event sink matches events against them. */
  endpoints: EndpointCache;
  /** Opened signing secrets by their sealed text: unsealing costs a cipher per delivery, endpoints are few. */
  openedSecrets: Map<string, string>;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    webhooks: WebhooksInstance;
  }
}

/** Deliveries are kept as long as the events they deliver. */
const DELIVERY_RETENTION_MS = 30 * 86_400_000;

export async function purgeDeliveries(ctx: AppContext): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - DELIVERY_RETENTION_MS).toISOString();
  const r = await ctx.db.deleteFrom('webhook_deliveries').where('created_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The webhooks module; tests pass a fast retry schedule and short timeouts. */
export function createWebhooksModule(options: Partial<DeliveryOptions> = {}): Module {
  const opts: DeliveryOptions = { ...defaultDeliveryOptions, ...options };
  return {
    name: 'webhooks',
    erase: eraseDeliveryRecords,
    retain: { deliveries: purgeOldDeliveries },
    migrations: webhooksMigrations,
    routes: webhookRoutes,
    setup(ctx): WebhooksInstance {
      ctx.reactions.add({ name: 'webhooks.deliveries', hears: ['*'], step: 'record', run: webhookSink(ctx) });
      ctx.queue.register(deliverJob, (payload) => attemptDelivery(ctx, opts, payload.delivery_id));
      return { endpoints: createEndpointCache(ctx), openedSecrets: new Map() };
    },
    startWorker(ctx) {
      const run = () =>
        purgeDeliveries(ctx).catch((err) => ctx.logger.warn({ err }, 'webhook delivery purge failed'));
      void run();
      const timer = setInterval(run, 3_600_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export const webhooksModule = createWebhooksModule();
