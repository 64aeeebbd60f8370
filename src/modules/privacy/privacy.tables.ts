/** An erasure of a person (a contact deleted or erased): the job's state, and afterwards its record. */
export interface ContactErasuresTable {
  id: string;
  workspace_id: string;
  livemode: number;
  contact_id: string;
  /** Why, for an explicit request (`POST /v1/contacts/{id}/erase`); null for a plain delete. */
  reason: string | null;
  status: 'running' | 'completed';
  /**
   * Sealed JSON `{phone, email, name}`: what identifies the person, needed to find them in raw
   * payloads while the job runs; cleared when it completes (the record then names no one).
   */
  subject: string | null;
  /** JSON list of the modules whose part finished: a resumed job starts after them. */
  steps_done: string;
  actor_type: string;
  actor_id: string | null;
  created_at: string;
  completed_at: string | null;
}

/** A workspace mode's retention: days per kind of record (null: kept until deleted). */
export interface RetentionSettingsTable {
  workspace_id: string;
  livemode: number;
  messages_days: number | null;
  recordings_days: number | null;
  transcripts_days: number | null;
  events_days: number | null;
  deliveries_days: number | null;
  audit_log_days: number | null;
  /** JSON `{messages: n, ...}`: what the last daily run deleted here. */
  last_run_deleted: string | null;
  last_run_at: string | null;
  updated_at: string;
}

/** One daily retention run: the first job to claim the day runs it, any other does nothing. */
export interface RetentionRunsTable {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  job_id: string;
  started_at: string;
  completed_at: string | null;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    contact_erasures: ContactErasuresTable;
    retention_settings: RetentionSettingsTable;
    retention_runs: RetentionRunsTable;
  }
}
