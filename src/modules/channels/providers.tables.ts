declare module '../../platform/db/schema.ts' {
  interface Database {
    provider_inbound: ProviderInboundTable;
    channel_health: ChannelHealthTable;
  }
}

/**
 * Verified provider webhooks, stored raw before any processing so nothing verified is lost;
 * `body_sha256` is unique per channel, so a provider's retry of the same payload is stored once.
 */
export interface ProviderInboundTable {
  id: string;
  channel_id: string;
  workspace_id: string;
  livemode: number;
  provider: string;
  /** What the payload is: `whatsapp`, `sms`, `status` (Twilio status callback), `email`. */
  kind: string;
  content_type: string;
  /** The exact bytes as UTF-8 text. */
  raw_body: string;
  body_sha256: string;
  received_at: string;
  processed_at: string | null;
  error: string | null;
}

/**
 * A WhatsApp channel's account health as Meta last reported it (webhooks and the channel doctor's
 * reads): one row per channel, updated in place; `events` keeps the latest changes as they came.
 */
export interface ChannelHealthTable {
  channel_id: string;
  workspace_id: string;
  livemode: number;
  /** GREEN, YELLOW, RED, UNKNOWN. */
  quality: string | null;
  /** Messaging limit tier: TIER_250 ... TIER_UNLIMITED, TIER_NOT_SET. */
  tier: string | null;
  /** Display name review: APPROVED, PENDING, DEFERRED, REJECTED. */
  name_status: string | null;
  verified_name: string | null;
  /** ACTIVE, DISABLE, SCHEDULE_FOR_DISABLE, DELETED. */
  account_status: string | null;
  violation: string | null;
  /** JSON array of {type, expires?}. */
  restrictions: string;
  /** JSON array of the latest changes ({field, event, at, value}), newest first, at most 20. */
  events: string;
  updated_at: string;
}
