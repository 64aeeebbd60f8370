declare module '../../platform/db/schema.ts' {
  interface Database {
    canned_responses: CannedResponsesTable;
    macros: MacrosTable;
    automations: AutomationsTable;
    automation_runs: AutomationRunsTable;
  }
}

export interface CannedResponsesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** What the inbox composer matches after `/` (unique per workspace and mode). */
  short_code: string;
  title: string;
  /** Text with `{{contact.name}}`-style variables, filled in when sent. */
  content: string;
  created_at: string;
  updated_at: string;
}

export interface MacrosTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  /** JSON `Action[]`. */
  actions: string;
  created_at: string;
  updated_at: string;
}

export interface AutomationsTable extends MacrosTable {
  active: number;
  event: string;
  /** JSON `Condition[]`. */
  conditions: string;
}

export interface AutomationRunsTable {
  automation_id: string;
  event_id: string;
  conversation_id: string | null;
  /** Index of the next action to run: advanced before each action runs (each runs at most once). */
  next_action: number;
  /** JSON `ActionResult[]`. */
  results: string;
  created_at: string;
  updated_at: string;
}
