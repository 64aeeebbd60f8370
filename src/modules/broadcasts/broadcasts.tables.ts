declare module '../../platform/db/schema.ts' {
  interface Database {
    broadcasts: BroadcastsTable;
    broadcast_recipients: BroadcastRecipientsTable;
  }
}

/** `scheduled` until its send time, `sending` while recipients are expanded and handed over. */
export type BroadcastStatus = 'scheduled' | 'sending' | 'completed' | 'cancelled' | 'failed';

export interface BroadcastsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  template_name: string;
  template_language: string;
  /** JSON object: the broadcast's template variables (values may hold `{{contact fields}}`). */
  variables: string;
  /** Where the recipients come from. */
  source: 'audience' | 'contact_ids' | 'phones';
  audience_id: string | null;
  /** JSON array of contact ids or E.164 phones (the `contact_ids` and `phones` sources). */
  source_list: string | null;
  from_address: string | null;
  send_at: string | null;
  status: BroadcastStatus;
  /** The actor that created it; its sends are made as this actor. */
  actor_type: string;
  actor_id: string | null;
  error_code: string | null;
  error_message: string | null;
  /** Set once every recipient row exists. */
  expanded_at: string | null;
  /** Until when a recipient held back by Meta's per-user marketing limit (131049) is retried. Optional on insert. */
  valid_until?: string | null;
  /** Something to look at before it sends (its template turned marketing). Optional on insert. */
  warning?: string | null;
  /** Held back by the WhatsApp messaging tier (unique users per 24 hours) until then. Optional on insert. */
  paced_until?: string | null;
  started_at: string | null;
  cancelled_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * `pending` (not yet handed over), `sending` (claimed by a worker), `queued` (a message exists:
 * its status is the recipient's), or final without a message: `skipped`, `failed`, `cancelled`.
 */
export type RecipientState =
  | 'pending'
  | 'sending'
  | 'queued'
  | 'skipped'
  | 'failed'
  | 'cancelled'
  /** Meta held its message back (131049): sent again at `retry_at`. */
  | 'deferred';

export interface BroadcastRecipientsTable {
  id: string;
  broadcast_id: string;
  workspace_id: string;
  livemode: number;
  contact_id: string;
  phone: string | null;
  status: RecipientState;
  message_id: string | null;
  error_code: string | null;
  error_message: string | null;
  claimed_at: string | null;
  /** How many times Meta's per-user marketing limit (131049) held its message back and it was deferred. Optional on insert. */
  deferrals?: number;
  /** When a deferred recipient is sent again. Optional on insert. */
  retry_at?: string | null;
  created_at: string;
  updated_at: string;
}
