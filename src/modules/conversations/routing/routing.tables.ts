/** Tables of routing and timers (owned by the conversations module). */
declare module '../../../platform/db/schema.ts' {
  interface Database {
    handoff_settings: HandoffSettingsTable;
    sla_policies: SlaPoliciesTable;
    conversation_timers: ConversationTimersTable;
    conversation_presence: ConversationPresenceTable;
  }
}

/** The workspace's default handoff policy, one row per workspace and mode (none: the built-in). */
export interface HandoffSettingsTable {
  workspace_id: string;
  livemode: number;
  /** JSON `HandoffPolicy`. */
  policy: string;
  updated_at: string;
}

/** SLA policies: response and resolution targets, applied to conversations by `applies_to`. */
export interface SlaPoliciesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  first_response_minutes: number | null;
  next_response_minutes: number | null;
  resolution_minutes: number | null;
  /** 1: targets count in the agent's business hours. */
  business_hours: number;
  /** JSON `{channels?, tags?, priorities?}`. */
  applies_to: string;
  /** 1: the AI's replies meet targets, and the policy applies from the start; 0: from the handoff, people only. */
  counts_ai_replies: number;
  created_at: string;
  updated_at: string;
}

export type ConversationTimerKind =
  | 'handoff'
  | 'snooze'
  | 'sla:first_response'
  | 'sla:next_response'
  | 'sla:resolution';

/**
 * A conversation's pending timer of each kind: its job (to cancel it when what it waits for
 * happens) and what it waits on (`ref`: the handoff time and round, the SLA due time, the snooze end).
 */
export interface ConversationTimersTable {
  conversation_id: string;
  kind: ConversationTimerKind;
  job_name: string;
  job_id: string;
  ref: string;
  due_at: string;
}

/** A person with a conversation open in the inbox (`viewing`) or writing in it (`typing`), until `until`. */
export interface ConversationPresenceTable {
  conversation_id: string;
  user_id: string;
  state: 'viewing' | 'typing';
  until: string;
}
