/** Kysely types of the analysis module's tables, merged into the shared `Database`. */
export interface AnalysisRunsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  agent_id: string;
  from_at: string;
  to_at: string;
  /** queued | running | completed | failed */
  status: 'queued' | 'running' | 'completed' | 'failed';
  total: number;
  done: number;
  failed: number;
  /** Keyset cursors: the last conversation and call analysed (conversations first, then calls). */
  after_conversation: string | null;
  after_call: string | null;
  phase: 'conversations' | 'calls' | 'done';
  error: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    analysis_runs: AnalysisRunsTable;
  }
}
