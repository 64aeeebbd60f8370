declare module '../../platform/db/schema.ts' {
  interface Database {
    imports: ImportsTable;
    import_chunks: ImportChunksTable;
  }
}

export interface ImportsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  /** `csv`: chunks hold the file's text; `json`: chunks hold one JSON row per line. */
  source: 'csv' | 'json';
  /** The CSV's field delimiter, detected from its header line. */
  delimiter: string | null;
  /** JSON array: the contact field each CSV column maps to (`phone`, `attributes.city`, ...). */
  columns: string | null;
  filename: string | null;
  byte_size: number;
  on_conflict: 'skip' | 'update';
  audience_id: string | null;
  /** The workspace's default country at upload, for local phone numbers. */
  default_country: string;
  /** Data rows read so far (the resume point after a crash). */
  rows_done: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  /** JSON array of `{row, field, message}`, capped. */
  errors: string;
  error_count: number;
  actor_type: string;
  actor_id: string | null;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The upload, stored in the same transaction as the import so any worker process can read it. */
export interface ImportChunksTable {
  import_id: string;
  seq: number;
  data: string;
}
