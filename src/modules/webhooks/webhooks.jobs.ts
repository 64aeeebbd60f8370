import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { scopeOf } from '../../platform/db/scope.ts';
import { eventFromRow, type ParleyEvent, type Tx } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import { presentEvent } from '../events/index.ts';
import { endpointsChanged, endpointsFor, forgetEndpoints } from './webhooks.endpoint-cache.ts';
import { sendWebhook } from './webhooks.http.ts';
import { presentEndpoint } from './webhooks.present.ts';
import { signatureHeaders } from './webhooks.signing.ts';
import './webhooks.tables.ts';
import { chunked } from '../../platform/chunked.ts';
import type { Reaction } from '../../platform/reactions.ts';
import type { AttemptLogEntry, WebhookDeliveriesTable, WebhookEndpointsTable } from './webhooks.tables.ts';

/**
 * One delivery attempt per job. Retries are scheduled by the handler itself (a new delayed job
 * per attempt), so the delivery log shows the exact time of the next attempt. The job's own
 * retries only cover a worker that died or a database error mid-attempt: the attempt runs again
 * (at least once, with the same `webhook-id`).
 */
export const deliverJob = defineJob({
  name: 'webhooks.deliver',
  payload: z.object({ delivery_id: z.string() }),
  maxAttempts: 5,
  backoffMs: () => 1000,
  timeoutMs: 30_000,
  concurrency: 32,
});

export interface DeliveryOptions {
  /** Delay before attempt n+1 after attempt n failed; its length + 1 is the number of attempts. */
  retryScheduleMs: number[];
  /** Bound on one attempt, connection to last byte read. */
  timeoutMs: number;
  /** An endpoint whose every attempt failed for this long is disabled. */
  disableAfterMs: number;
  /** How much of a receiver's answer the log keeps. */
  excerptBytes: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const defaultDeliveryOptions: DeliveryOptions = {
  retryScheduleMs: [5_000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
  timeoutMs: 10_000,
  disableAfterMs: 5 * 24 * HOUR,
  excerptBytes: 1024,
};

/** ±10% jitter, so endpoints that failed together are not all retried in the same instant. */
export function retryDelay(schedule: number[], attempt: number, random = Math.random): number | null {
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.9 + random() * 0.2));
}

/** Whether an endpoint receives an event: its subscription, its agent filter, its status. */
export function endpointMatches(
  endpoint: Pick<WebhookEndpointsTable, 'id' | 'events' | 'agent_id' | 'status'>,
  event: Pick<ParleyEvent, 'event' | 'data'>,
): boolean {
  // A test event goes to the endpoint under test only, enabled or not.
  if (event.event === 'webhook.test') return event.data.id === endpoint.id;
  if (endpoint.status !== 'enabled') return false;
  const types = fromJson<string[]>(endpoint.events, ['*']);
  const family = `${event.event.split('.')[0]}.*`;
  if (!types.includes('*') && !types.includes(event.event) && !types.includes(family)) return false;
  return endpoint.agent_id === null || event.data.agent_id === endpoint.agent_id;
}

/**
 * Runs inside the transaction that records each event: the deliveries and their jobs commit
 * with the event or not at all.
 */
/** A delivery of an event to an endpoint, not yet attempted (a redelivery names the original). */
export function pendingDelivery(
  event: { workspace_id: string; livemode: boolean; id: string; event: string },
  endpointId: string,
  redeliveryOf: string | null,
  now: string,
): WebhookDeliveriesTable {
  return {
    id: newId('dlv'),
    workspace_id: event.workspace_id,
    livemode: event.livemode ? 1 : 0,
    endpoint_id: endpointId,
    event_id: event.id,
    event_type: event.event,
    state: 'pending',
    attempts: 0,
    attempt_log: null,
    status_code: null,
    duration_ms: null,
    response_excerpt: null,
    error: null,
    next_retry_at: null,
    redelivery_of: redeliveryOf,
    delivered_at: null,
    created_at: now,
    updated_at: now,
  };
}

export function webhookSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    const rows: WebhookDeliveriesTable[] = [];
    for (const event of events) {
      // Endpoints are cached per workspace and mode, so this is a lookup, not a query, per event.
      const endpoints = await endpointsFor(ctx, trx, event.workspace_id, event.livemode);
      for (const e of endpoints) {
        if (!endpointMatches(e, event)) continue;
        rows.push(pendingDelivery(event, e.id, null, event.timestamp));
      }
    }
    if (rows.length === 0) return;
    for (const part of chunked(rows)) await trx.insertInto('webhook_deliveries').values(part).execute();
    await ctx.queue.enqueueMany(
      trx,
      deliverJob,
      rows.map((row) => ({ payload: { delivery_id: row.id } })),
    );
  };
}

function openSecret(ctx: AppContext, sealed: string): string {
  const cache = ctx.modules.webhooks.openedSecrets;
  let secret = cache.get(sealed);
  if (secret === undefined) {
    if (cache.size > 5000) cache.clear();
    secret = ctx.secrets.open(sealed);
    cache.set(sealed, secret);
  }
  return secret;
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/** The retry schedule makes 8 attempts; a delivery redelivered by hand keeps its own log. */
const MAX_LOGGED_ATTEMPTS = 50;

/** Makes one attempt of a delivery and records it; schedules the next one or disables the endpoint. */
export async function attemptDelivery(
  ctx: AppContext,
  opts: DeliveryOptions,
  deliveryId: string,
): Promise<void> {
  const row = await ctx.db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .leftJoin('events as ev', 'ev.id', 'd.event_id')
    .select([
      'd.id',
      'd.state',
      'd.attempts',
      'd.attempt_log',
      'd.event_type',
      'e.id as endpoint_id',
      'e.url',
      'e.status',
      'e.secret',
      'e.previous_secret',
      'e.previous_secret_expires_at',
      'e.failing_since',
      'ev.id as event_id',
      'ev.workspace_id',
      'ev.livemode',
      'ev.type',
      'ev.actor_type',
      'ev.actor_id',
      'ev.data',
      'ev.created_at',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
  // Gone (purged) or already settled: a job that ran twice does not deliver twice.
  if (!row || finished.has(row.state)) return;

  const settle = (change: Partial<WebhookDeliveriesTable>) =>
    ctx.db
      .updateTable('webhook_deliveries')
      .set({ ...change, next_retry_at: null, updated_at: ctx.clock.now().toISOString() })
      .where('id', '=', deliveryId)
      .execute();
  if (!row.endpoint_id || !row.url || !row.secret) {
    await settle({ state: 'cancelled', error: 'The endpoint was deleted before this delivery was sent.' });
    return;
  }
  if (row.status !== 'enabled' && row.event_type !== 'webhook.test') {
    await settle({ state: 'cancelled', error: 'The endpoint was disabled before this delivery was sent.' });
    return;
  }
  if (!row.event_id || row.data === null || row.type === null) {
    await settle({ state: 'failed', error: 'The event is no longer retained.' });
    return;
  }

  const event = eventFromRow({
    id: row.event_id,
    workspace_id: row.workspace_id!,
    livemode: row.livemode!,
    type: row.type,
    actor_type: row.actor_type!,
    actor_id: row.actor_id,
    data: row.data,
    created_at: row.created_at!,
  });
  const body = JSON.stringify(presentEvent(event));
  const at = ctx.clock.now();
  const secrets = [openSecret(ctx, row.secret)];
  if (
    row.previous_secret &&
    row.previous_secret_expires_at &&
    row.previous_secret_expires_at > at.toISOString()
  ) {
    secrets.push(openSecret(ctx, row.previous_secret));
  }
  const attempt = row.attempts + 1;
  const result = await sendWebhook({
    url: row.url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Parley-Webhooks/1.0',
      'x-parley-event': event.event,
      'x-parley-delivery': deliveryId,
      'x-parley-attempt': String(attempt),
      ...signatureHeaders(secrets, event.id, at, body),
    },
    allowPrivate: ctx.config.webhookAllowPrivate,
    timeoutMs: opts.timeoutMs,
    excerptBytes: opts.excerptBytes,
  });

  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const log = fromJson<AttemptLogEntry[]>(row.attempt_log, []);
  log.push({
    at: at.toISOString(),
    status_code: result.statusCode,
    duration_ms: result.durationMs,
    error: result.error,
  });
  const outcome = {
    attempts: attempt,
    attempt_log: JSON.stringify(log.slice(-MAX_LOGGED_ATTEMPTS)),
    status_code: result.statusCode,
    duration_ms: result.durationMs,
    response_excerpt: result.excerpt,
    error: result.error,
    updated_at: nowIso,
  };
  const gone = result.statusCode === 410;
  const delay = result.ok || gone ? null : retryDelay(opts.retryScheduleMs, attempt);
  const attemptOutcome = result.ok ? 'succeeded' : gone ? 'gone' : delay === null ? 'failed' : 'retrying';
  ctx.metrics.webhookDeliveries.inc({ outcome: attemptOutcome });
  ctx.metrics.webhookDuration.observe({ outcome: attemptOutcome }, result.durationMs / 1000);
  if (result.ok) {
    await ctx.db
      .updateTable('webhook_deliveries')
      .set({ ...outcome, state: 'succeeded', next_retry_at: null, delivered_at: nowIso })
      .where('id', '=', deliveryId)
      .execute();
    if (row.failing_since !== null) {
      await ctx.db
        .updateTable('webhook_endpoints')
        .set({ failing_since: null })
        .where('id', '=', row.endpoint_id)
        .execute();
    }
    return;
  }

  const failingSince = row.failing_since ?? nowIso;
  const failingTooLong = now.getTime() - Date.parse(failingSince) >= opts.disableAfterMs;
  const endpointId = row.endpoint_id;
  await ctx.transaction(async (tx) => {
    await tx.db
      .updateTable('webhook_deliveries')
      .set({
        ...outcome,
        state: delay === null ? 'failed' : 'retrying',
        next_retry_at: delay === null ? null : new Date(now.getTime() + delay).toISOString(),
      })
      .where('id', '=', deliveryId)
      .execute();
    if (delay !== null)
      await ctx.queue.enqueue(tx.db, deliverJob, { delivery_id: deliveryId }, { delayMs: delay });
    if (row.failing_since === null) {
      await tx.db
        .updateTable('webhook_endpoints')
        .set({ failing_since: nowIso })
        .where('id', '=', endpointId)
        .execute();
    }
    if (gone || failingTooLong) {
      // The disabled event is matched against the endpoints as this transaction sees them.
      forgetEndpoints(ctx);
      const reason = gone ? 'gone' : 'failing';
      const disabled = await disableEndpoint(tx, endpointId, reason, nowIso);
      tx.afterCommit(() => {
        // Once per endpoint: deliveries to it stop until someone enables it again.
        if (disabled)
          ctx.logger.warn(
            {
              workspaceId: disabled.workspace_id,
              endpointId,
              reason,
              failingSince,
              status: result.statusCode,
            },
            'webhook endpoint disabled',
          );
        return endpointsChanged(ctx);
      });
    }
  });
}

/** Disables an enabled endpoint and records `webhook_endpoint.disabled` (once); the row when it did. */
async function disableEndpoint(tx: Tx, endpointId: string, reason: 'gone' | 'failing', nowIso: string) {
  const updated = await tx.db
    .updateTable('webhook_endpoints')
    .set({ status: 'disabled', disabled_reason: reason, disabled_at: nowIso, updated_at: nowIso })
    .where('id', '=', endpointId)
    .where('status', '=', 'enabled')
    .returningAll()
    .executeTakeFirst();
  if (!updated) return undefined;
  await tx.emit({
    ...scopeOf(updated),
    type: 'webhook_endpoint.disabled',
    actor: { type: 'system', id: null },
    data: presentEndpoint(updated),
  });
  return updated;
}
