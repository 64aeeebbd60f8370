declare module '../../platform/db/schema.ts' {
  interface Database {
    provider_inbound: ProviderInboundTable;
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
