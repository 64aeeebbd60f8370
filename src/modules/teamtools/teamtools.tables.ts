declare module '../../platform/db/schema.ts' {
  interface Database {
    canned_responses: CannedResponsesTable;
    macros: MacrosTable;
    automations: AutomationsTable;
    automation_runs: AutomationRunsTable;
    csat_settings: CsatSettingsTable;
    csat_requests: CsatRequestsTable;
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
  /** booking.starts_in: minutes before the booking's start it runs (null for other events). */
  minutes: number | null;
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

export interface CsatSettingsTable {
  workspace_id: string;
  livemode: number;
  /** '' for the workspace's settings, else the agent whose settings these are. */
  agent_id: string;
  enabled: number;
  question: string;
  scale: number;
  send_on: string;
  updated_at: string;
}

export interface CsatRequestsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  conversation_id: string;
  /** The `conversation.resolved` event that asked (one question per resolve). */
  event_id: string;
  contact_id: string;
  agent_id: string | null;
  channel: string;
  /** pending: asked, no answer yet; answered; skipped: not sent (`skip_reason`). */
  status: 'pending' | 'answered' | 'skipped';
  skip_reason: string | null;
  /** For the email link (`/v1/csat/respond/{token}`). */
  token: string;
  score: number | null;
  comment: string | null;
  answered_at: string | null;
  created_at: string;
  updated_at: string;
}
