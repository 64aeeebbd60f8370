import { endpointsChanged } from './webhooks.endpoint-cache.ts';
import './webhooks.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField, notFound } from '../../platform/errors.ts';
import { type Page, type PageRequest, paginate, whereEquals } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { toJson } from '../../platform/json.ts';
import { isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';
import { agentExists } from '../agents/index.ts';
import { deliverJob, pendingDelivery } from './webhooks.jobs.ts';
import { presentDelivery, presentEndpoint } from './webhooks.present.ts';
import { generateSecret } from './webhooks.signing.ts';
import type { DeliveryState, WebhookEndpointsTable } from './webhooks.tables.ts';

/**
 * Why a target may not be used, or null: it must be http(s); unless private targets are allowed,
 * a literal loopback, private or link-local address (and `localhost`) is refused here already.
 * Names are checked again after DNS resolution at every delivery. Automation and macro `webhook`
 * actions are checked with the same rule, so they cannot go around it.
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (!allowPrivate) {
    const host = url.hostname.toLowerCase();
    const literal = literalAddress(host);
    if ((literal && isPrivateAddress(literal)) || host === 'localhost' || host.endsWith('.localhost'))
      return 'must not point at a loopback, private, link-local or reserved address. For local development, start the server with PARLEY_WEBHOOK_ALLOW_PRIVATE=1, or run `parley webhooks listen --forward-to <local url>`, which needs no public URL';
  }
  return null;
}

/** The target, normalised; a 400 on `url` when `webhookUrlProblem` finds one. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  const problem = webhookUrlProblem(raw, allowPrivate);
  if (problem) throw invalidField('url', problem);
  return new URL(raw).toString();
}

/** An agent filter must name an agent of this workspace and mode (asked of the agents module). */
async function requireAgent(ctx: AppContext, auth: Auth, agentId: string) {
  let found = false;
  try {
    found = await agentExists(ctx.db, auth, agentId);
  } catch (err) {
    // Without the agents module there are no agents to filter on.
    if (!/no such table|does not exist/i.test((err as Error).message)) throw err;
  }
  if (!found) throw notFound('agent', agentId);
}

export function getEndpointRow(db: Db | Trx, auth: Auth, id: string) {
  return tenant(db, auth).getById('webhook_endpoints', id, 'webhook endpoint');
}

export interface CreateEndpointInput {
  url: string;
  events?: string[];
  agent_id?: string;
  description?: string;
  secret?: string;
}

export async function createEndpoint(ctx: AppContext, auth: Auth, input: CreateEndpointInput) {
  const url = checkWebhookUrl(input.url, ctx.config.webhookAllowPrivate);
  if (input.agent_id) await requireAgent(ctx, auth, input.agent_id);
  const secret = input.secret ?? generateSecret();
  const now = ctx.clock.now().toISOString();
  const row: WebhookEndpointsTable = {
    ...newRow('wh', auth),
    url,
    description: input.description ?? null,
    events: toJson(input.events ?? ['*']),
    agent_id: input.agent_id ?? null,
    status: 'enabled',
    disabled_reason: null,
    disabled_at: null,
    secret: ctx.secrets.seal(secret),
    previous_secret: null,
    previous_secret_expires_at: null,
    failing_since: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('webhook_endpoints').values(row).execute();
  await endpointsChanged(ctx);
  return { ...presentEndpoint(row), secret };
}

export async function listEndpoints(
  ctx: AppContext,
  auth: Auth,
  page: PageRequest,
  filters: { status?: 'enabled' | 'disabled'; agent_id?: string },
): Promise<Page<ReturnType<typeof presentEndpoint>>> {
  const query = tenant(ctx.db, auth).selectFrom('webhook_endpoints').selectAll();
  return paginate(
    whereEquals(query, filters, ['status', 'agent_id']).orderBy('id', 'desc'),
    page,
    presentEndpoint,
  );
}

export async function listAgentEndpoints(
  ctx: AppContext,
  auth: Auth,
  agentId: string,
  page: PageRequest,
  filters: { status?: 'enabled' | 'disabled' },
) {
  await requireAgent(ctx, auth, agentId);
  return listEndpoints(ctx, auth, page, { ...filters, agent_id: agentId });
}

export async function getEndpoint(ctx: AppContext, auth: Auth, id: string) {
  return presentEndpoint(await getEndpointRow(ctx.db, auth, id));
}

export interface UpdateEndpointInput {
  url?: string;
  events?: string[];
  agent_id?: string | null;
  description?: string | null;
  status?: 'enabled' | 'disabled';
}

export async function updateEndpoint(ctx: AppContext, auth: Auth, id: string, input: UpdateEndpointInput) {
  const row = await getEndpointRow(ctx.db, auth, id);
  const now = ctx.clock.now().toISOString();
  const change: Partial<WebhookEndpointsTable> = {};
  if (input.url !== undefined) change.url = checkWebhookUrl(input.url, ctx.config.webhookAllowPrivate);
  if (input.events !== undefined) change.events = toJson(input.events);
  if (input.description !== undefined) change.description = input.description;
  if (input.agent_id !== undefined) {
    if (input.agent_id !== null) await requireAgent(ctx, auth, input.agent_id);
    change.agent_id = input.agent_id;
  }
  if (input.status === 'enabled' && row.status !== 'enabled') {
    Object.assign(change, {
      status: 'enabled',
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
    });
  } else if (input.status === 'disabled' && row.status !== 'disabled') {
    Object.assign(change, { status: 'disabled', disabled_reason: 'manual', disabled_at: now });
  }
  if (Object.keys(change).length === 0) return presentEndpoint(row);
  change.updated_at = now;
  await ctx.db.updateTable('webhook_endpoints').set(change).where('id', '=', row.id).execute();
  await endpointsChanged(ctx);
  return presentEndpoint({ ...row, ...change });
}

/** Deliveries still queued for it are cancelled when their jobs run (the log stays readable). */
export async function deleteEndpoint(ctx: AppContext, auth: Auth, id: string) {
  const row = await getEndpointRow(ctx.db, auth, id);
  await ctx.db.deleteFrom('webhook_endpoints').where('id', '=', row.id).execute();
  await endpointsChanged(ctx);
  return { id: row.id, object: 'webhook_endpoint' as const, deleted: true as const };
}

/** How long the replaced secret keeps signing deliveries after a rotation. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000;

export async function rotateSecret(ctx: AppContext, auth: Auth, id: string, own?: string) {
  const row = await getEndpointRow(ctx.db, auth, id);
  const secret = own ?? generateSecret();
  const now = ctx.clock.now();
  const change = {
    secret: ctx.secrets.seal(secret),
    previous_secret: row.secret,
    previous_secret_expires_at: new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS).toISOString(),
    updated_at: now.toISOString(),
  };
  await ctx.db.updateTable('webhook_endpoints').set(change).where('id', '=', row.id).execute();
  await endpointsChanged(ctx);
  return { ...presentEndpoint({ ...row, ...change }), secret };
}

/** Records a `webhook.test` event, which the event sink delivers to this endpoint only. */
export async function sendTestEvent(ctx: AppContext, auth: Auth, id: string) {
  const row = await getEndpointRow(ctx.db, auth, id);
  const deliveryId = await ctx.transaction(async (tx) => {
    const event = await tx.emit({
      workspaceId: auth.workspaceId,
      livemode: auth.livemode,
      type: 'webhook.test',
      actor: auth.actor,
      data: { ...presentEndpoint(row), message: 'A test event sent from the Parley API.' },
    });
    const d = await tx.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event_id', '=', event.id)
      .where('endpoint_id', '=', row.id)
      .executeTakeFirstOrThrow();
    return d.id;
  });
  return getDelivery(ctx, auth, row.id, deliveryId);
}

export async function getDelivery(ctx: AppContext, auth: Auth, endpointId: string, deliveryId: string) {
  const row = await tenant(ctx.db, auth)
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('id', '=', deliveryId)
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  if (!row) throw notFound('webhook delivery', deliveryId);
  return presentDelivery(row);
}

export async function listDeliveries(
  ctx: AppContext,
  auth: Auth,
  endpointId: string,
  page: PageRequest,
  filters: { state?: DeliveryState; event_id?: string },
) {
  await getEndpointRow(ctx.db, auth, endpointId);
  const query = tenant(ctx.db, auth)
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', endpointId);
  return paginate(
    whereEquals(query, filters, ['state', 'event_id']).orderBy('id', 'desc'),
    page,
    presentDelivery,
  );
}

/**
 * Sends a delivery's event again as a new delivery (same event, so the same `webhook-id`:
 * receivers that de-duplicate keep doing so), with a full retry schedule of its own.
 */
export async function redeliver(ctx: AppContext, auth: Auth, endpointId: string, deliveryId: string) {
  const endpoint = await getEndpointRow(ctx.db, auth, endpointId);
  const original = await getDelivery(ctx, auth, endpointId, deliveryId);
  if (endpoint.status !== 'enabled' && original.event_type !== 'webhook.test') {
    throw new ApiError(
      'conflict',
      'This endpoint is disabled; enable it (PATCH status: enabled) before redelivering.',
    );
  }
  const event = await tenant(ctx.db, auth)
    .selectFrom('events')
    .select('id')
    .where('id', '=', original.event_id)
    .executeTakeFirst();
  if (!event) {
    throw new ApiError(
      'unprocessable',
      `Event ${original.event_id} is older than the 30-day retention and cannot be redelivered.`,
    );
  }
  const now = ctx.clock.now().toISOString();
  const row = pendingDelivery(
    {
      workspace_id: auth.workspaceId,
      livemode: auth.livemode,
      id: original.event_id,
      event: original.event_type,
    },
    endpointId,
    original.id,
    now,
  );
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('webhook_deliveries').values(row).execute();
    await ctx.queue.enqueue(tx.db, deliverJob, { delivery_id: row.id });
  });
  return presentDelivery(row);
}
