declare module '../../platform/db/schema.ts' {
  interface Database {
    campaigns: CampaignsTable;
    campaign_recipients: CampaignRecipientsTable;
    campaign_counts: CampaignCountsTable;
    campaign_outcome_counts: CampaignOutcomeCountsTable;
  }
}

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'canceled';

export interface CampaignsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  type: 'voice' | 'whatsapp';
  agent_id: string | null;
  voice_flow_id: string | null;
  template_name: string | null;
  template_language: string | null;
  /** JSON object or array: the template's variables (values may hold `{{contact fields}}`). */
  template_variables: string | null;
  audience_id: string;
  from_address: string | null;
  start_at: string | null;
  end_at: string | null;
  /** JSON array of windows, or null for the legal defaults. */
  windows: string | null;
  /** `recipient` or an IANA zone. */
  timezone: string;
  max_attempts: number;
  retry_delay_minutes: number;
  /** JSON array of results that are retried. */
  retry_on: string;
  calls_per_second: number;
  max_concurrency: number | null;
  ignore_dnd: number;
  /** JSON object: dynamic variables given to every call. */
  dynamic_variables: string;
  status: CampaignStatus;
  actor_type: string;
  actor_id: string | null;
  /** Set once every recipient row exists. */
  expanded_at: string | null;
  /** The earliest time (wall clock) the next dial may be queued for (pacing at `calls_per_second`). */
  pace_cursor: string | null;
  /** When the last dial was placed (wall clock): the next waits `1000 / calls_per_second` ms after it. */
  last_dial_at: string | null;
  started_at: string | null;
  paused_at: string | null;
  canceled_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * `pending` (waiting for its time, its window or a retry), `scheduled` (a dial job is queued),
 * `in_progress` (a call is live or a message is being handed over), then final: `completed`
 * (with the last attempt's `result`), `skipped` (DND, opted out, no number), `expired` (the
 * campaign's end passed first) or `canceled`.
 */
export type RecipientState =
  | 'pending'
  | 'scheduled'
  | 'in_progress'
  | 'completed'
  | 'skipped'
  | 'expired'
  | 'canceled';
export type RecipientResult = 'answered' | 'voicemail' | 'no_answer' | 'busy' | 'failed' | 'sent';

export interface CampaignRecipientsTable {
  id: string;
  campaign_id: string;
  workspace_id: string;
  livemode: number;
  contact_id: string;
  phone: string | null;
  /** The zones the number may be in, comma-separated (all must be open to dial). */
  timezones: string;
  timezone_source: string;
  country: string | null;
  state: RecipientState;
  result: RecipientResult | null;
  attempts: number;
  next_attempt_at: string | null;
  /** Marks the rows one scheduling pass claimed (kept for inspection; not indexed, not read by the pass). */
  claim_token: string | null;
  last_call_id: string | null;
  message_id: string | null;
  outcome: string | null;
  duration_seconds: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * A campaign's recipients counted by state, completed ones by result; kept by every statement
 * that moves a recipient, in its transaction (see counts.ts).
 */
export interface CampaignCountsTable {
  campaign_id: string;
  total: number;
  pending: number;
  scheduled: number;
  in_progress: number;
  completed: number;
  answered: number;
  voicemail: number;
  no_answer: number;
  busy: number;
  failed: number;
  sent: number;
  skipped: number;
  expired: number;
  canceled: number;
  /** Sum of the recipients' attempts. */
  attempts: number;
  /** Completed answered recipients with a known duration, and the sum of those durations. */
  answered_timed: number;
  answered_seconds: number;
  /**
   * When the pace lets the next dial a pass queues be due (wall clock): written by the pass with
   * its counters, on this row and not the campaign's, which every dial holds while it places its call.
   */
  pace_cursor: string | null;
}

/** Completed recipients of a campaign by outcome (a flow's end outcome). */
export interface CampaignOutcomeCountsTable {
  campaign_id: string;
  outcome: string;
  n: number;
}
