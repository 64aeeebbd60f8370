import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { WebhookEndpointsTable } from './webhooks.tables.ts';

/** Published when an endpoint is created, changed, disabled or deleted: every process forgets its cache. */
export const WEBHOOK_ENDPOINTS_CHANGED = 'parley:webhook-endpoints:changed';
const TTL_MS = 10_000;

export type EndpointFilter = Pick<WebhookEndpointsTable, 'id' | 'events' | 'agent_id' | 'status'>;

/** An app's endpoints by workspace and mode (kept on the webhooks module's instance). */
export type EndpointCache = Map<string, { endpoints: EndpointFilter[]; expiresAt: number }>;

/** A new cache for one app, cleared whenever any process changes an endpoint. */
export function createEndpointCache(ctx: AppContext): EndpointCache {
  const entries: EndpointCache = new Map();
  ctx.bus.subscribe(WEBHOOK_ENDPOINTS_CHANGED, () => entries.clear());
  return entries;
}

/**
 * The endpoints of a workspace and mode, as the event sink needs them to match events. Every
 * event asks, and endpoints rarely change, so they are kept: a change clears them in every
 * process through the bus, and the time limit bounds a missed message.
 */
export async function endpointsFor(ctx: AppContext, trx: Trx, workspaceId: string, livemode: boolean) {
  const cache = ctx.modules.webhooks.endpoints;
  const key = `${workspaceId}:${livemode ? 1 : 0}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) return hit.endpoints;
  const endpoints = await tenant(trx, { workspaceId, livemode })
    .selectFrom('webhook_endpoints')
    .select(['id', 'events', 'agent_id', 'status'])
    .execute();
  cache.set(key, { endpoints, expiresAt: now + TTL_MS });
  return endpoints;
}

/** Forgets this process's copy at once (a transaction about to emit events reads afresh). */
export function forgetEndpoints(ctx: AppContext) {
  ctx.modules.webhooks.endpoints.clear();
}

export async function endpointsChanged(ctx: AppContext) {
  forgetEndpoints(ctx);
  await ctx.bus.publish(WEBHOOK_ENDPOINTS_CHANGED, '1');
}
