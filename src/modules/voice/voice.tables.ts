declare module '../../platform/db/schema.ts' {
  interface Database {
    calls: CallsTable;
    call_owners: CallOwnersTable;
  }
}

export const callStatuses = [
  'queued',
  'dialing',
  'ringing',
  'in_progress',
  'completed',
  'busy',
  'no_answer',
  'failed',
  'canceled',
  'voicemail',
] as const;
export type CallStatus = (typeof callStatuses)[number];

/** The closed list of `ended_reason` values (docs/voice.md explains each). */
export const endedReasons = [
  'customer_ended_call',
  'agent_ended_call',
  'flow_ended',
  'transferred',
  'voicemail',
  'no_answer',
  'busy',
  'invalid_number',
  'failed_to_connect',
  'silence_timeout',
  'max_duration',
  'canceled',
  'stt_error',
  'tts_error',
  'llm_error',
  'provider_error',
  'server_shutdown',
  'server_lost',
  'call_screener',
] as const;
export type EndedReason = (typeof endedReasons)[number];

/** Statuses that hold one of the workspace's concurrent-call slots. */
export const activeStatuses = ['queued', 'dialing', 'ringing', 'in_progress'] as const satisfies CallStatus[];

/** One phone or web call. JSON columns are text on both storages. */
export interface CallsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  conversation_id: string | null;
  contact_id: string | null;
  agent_id: string | null;
  voice_flow_id: string | null;
  campaign_id: string | null;
  direction: 'inbound' | 'outbound';
  /** `phone` (through a carrier) or `web` (joined over the media WebSocket). */
  transport: 'phone' | 'web';
  channel_id: string | null;
  provider: string;
  provider_call_id: string | null;
  from_address: string | null;
  to_address: string | null;
  status: CallStatus;
  answered_by: string | null;
  ended_reason: string | null;
  /** JSON object. */
  dynamic_variables: string;
  identifier: string | null;
  ignore_dnd: number;
  /** JSON of the sandbox callee's script (test mode), or null. */
  sandbox: string | null;
  /** JSON array of transcript entries. */
  transcript: string;
  recording_url: string | null;
  /** When a transfer to another number began (cleared if the carrier refused it). */
  transfer_started_at: string | null;
  /**
   * The process holding the live call (calls.owners.ts), and when it claimed it; its liveness is
   * its `call_owners` row (processes of before that table renewed `owner_seen_at` per call).
   */
  owner?: string | null;
  owner_seen_at?: string | null;
  /** JSON `{turns, p50_ms, p95_ms, ...}`. */
  latency: string;
  /** JSON analysis `{summary, data, success, sentiment, engine, computed_at, error?}`; null until run. */
  analysis?: string | null;
  error_code: string | null;
  error_message: string | null;
  duration_seconds: number | null;
  queued_at: string;
  dialed_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  created_at: string;
  updated_at: string;
}

export type CallRow = CallsTable;

/**
 * The processes that hold live calls, each with when it last said it lives (calls.owners.ts): one
 * row a process renews, not one per call.
 */
export interface CallOwnersTable {
  /** `CallOwnership.id`: host, pid and a random part. */
  id: string;
  seen_at: string;
}
