/** Kysely types of the webhooks module's tables, merged into the shared `Database`. */
export interface WebhookEndpointsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  url: string;
  description: string | null;
  /** JSON array of event types, or `["*"]`. */
  events: string;
  /** Only events whose `data.agent_id` is this agent (null: every event). */
  agent_id: string | null;
  status: 'enabled' | 'disabled';
  /** Why it was disabled: `manual`, `gone` (the receiver answered 410) or `failing` (5 days of failures). */
  disabled_reason: string | null;
  disabled_at: string | null;
  /** The `whsec_` secret, sealed with `ctx.secrets` (we must sign with it, so it cannot be hashed). */
  secret: string;
  /** The secret before the last rotation, sealed; still signs until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  /** Start of the current run of failed attempts (null after any success). */
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

/** One attempt as the delivery log shows it. */
export interface AttemptLogEntry {
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export type DeliveryState = 'pending' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

/** One event to one endpoint, with the outcome of its latest attempt. */
export interface WebhookDeliveriesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  state: DeliveryState;
  /** Attempts made so far. */
  attempts: number;
  /** JSON array of every attempt `{at, status_code, duration_ms, error}`, oldest first (null: none yet). */
  attempt_log: string | null;
  status_code: number | null;
  duration_ms: number | null;
  /** The first KB of the receiver's last answer. */
  response_excerpt: string | null;
  error: string | null;
  next_retry_at: string | null;
  /** The delivery this one re-sends (`POST .../redeliver`). */
  redelivery_of: string | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    webhook_endpoints: WebhookEndpointsTable;
    webhook_deliveries: WebhookDeliveriesTable;
  }
}
