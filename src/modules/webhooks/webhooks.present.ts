import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import type { AttemptLogEntry, WebhookDeliveriesTable, WebhookEndpointsTable } from './webhooks.tables.ts';

export function presentEndpoint(row: WebhookEndpointsTable) {
  return {
    ...objectHead(row, 'webhook_endpoint'),
    url: row.url,
    description: row.description,
    events: fromJson<string[]>(row.events, ['*']),
    agent_id: row.agent_id,
    status: row.status,
    disabled_reason: row.disabled_reason as 'manual' | 'gone' | 'failing' | null,
    disabled_at: row.disabled_at,
    previous_secret_expires_at: row.previous_secret_expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function presentDelivery(row: WebhookDeliveriesTable) {
  return {
    ...objectHead(row, 'webhook_delivery'),
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type,
    state: row.state,
    attempt_count: row.attempts,
    attempts: fromJson<AttemptLogEntry[]>(row.attempt_log, []),
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    response_excerpt: row.response_excerpt,
    error: row.error,
    next_retry_at: row.next_retry_at,
    redelivery_of: row.redelivery_of,
    delivered_at: row.delivered_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
