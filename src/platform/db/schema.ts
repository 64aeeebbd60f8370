/**
 * The database's tables as Kysely sees them. Each module adds its own tables to `Database` by
 * declaration merging (`declare module '.../schema.ts' { interface Database { ... } }`) in its
 * `*.tables.ts` file, so a newcomer finds a feature's table beside its routes.
 *
 * Storage conventions, the same on SQLite and PostgreSQL: ids and timestamps are text
 * (ISO 8601 UTC with milliseconds, so they sort as text), booleans are integers 0/1, JSON is text.
 */
export interface Database {
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  events: EventsTable;
  jobs: JobsTable;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string | null;
  /** The first characters of the key, shown so a person can tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  key_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface IdempotencyKeysTable {
  workspace_id: string;
  livemode: number;
  key: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  created_at: string;
}

export interface EventsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  type: string;
  actor_type: string;
  actor_id: string | null;
  object_type: string | null;
  object_id: string | null;
  /** JSON: the object's state when the event was recorded. */
  data: string;
  created_at: string;
}

/** The embedded job queue (SQLite only; PostgreSQL uses pg-boss's own tables). */
export interface JobsTable {
  id: string;
  queue: string;
  payload: string;
  state: 'queued' | 'active' | 'completed' | 'failed';
  run_at: string;
  attempts: number;
  max_attempts: number;
  locked_until: string | null;
  /** `host:pid` of the process that claimed the active job (null before migration 0006). */
  locked_by: string | null;
  last_error: string | null;
  singleton_key: string | null;
  created_at: string;
  updated_at: string;
}
