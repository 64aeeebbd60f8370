declare module '../../platform/db/schema.ts' {
  interface Database {
    conversations: ConversationsTable;
    conversation_counts: ConversationCountsTable;
  }
}

export type ConversationStatus = 'active' | 'snoozed' | 'closed';

/** One thread per contact and channel. `last_message*` are denormalised so the list needs no join on messages. */
export interface ConversationsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** The channel type: whatsapp | sms | email. */
  channel: string;
  channel_id: string;
  contact_id: string;
  /** The customer's address on this channel (E.164 phone, or email). */
  contact_address: string;
  agent_id: string | null;
  status: ConversationStatus;
  ai_handled: number;
  ai_paused: number;
  handoff_reason: string | null;
  /** When the current handoff began (null when the AI is not paused for one). */
  handoff_at: string | null;
  /** When the AI was last paused for a handoff (kept after the handoff ends; null: never). */
  last_handoff_at: string | null;
  /** JSON actor `{type, id}` that handed the conversation off. */
  handoff_by: string | null;
  /** During a handoff: since when the customer has waited for a person (null once one replied). */
  waiting_since: string | null;
  assignee_type: 'user' | 'team' | null;
  assignee_id: string | null;
  /** JSON array of strings. */
  tags: string;
  last_message: string | null;
  last_message_at: string | null;
  /** Who wrote the latest message: customer | ai | user | api_key | system. */
  last_message_sender: string | null;
  /** Last customer message time; with WhatsApp it opens the 24-hour window. */
  last_inbound_at: string | null;
  window_expires_at: string | null;
  snoozed_until: string | null;
  closed_at: string | null;
  /** JSON object: variables from the batch create, for agents and templates. */
  dynamic_variables: string;
  identifier: string | null;
  /** low | normal | high | urgent. */
  priority: ConversationPriority;
  /** The SLA policy that applies (null: none), its due times, and the JSON list of breached targets. */
  sla_policy_id: string | null;
  first_response_due_at: string | null;
  next_response_due_at: string | null;
  resolution_due_at: string | null;
  sla_breached: string;
  /** The customer's satisfaction answer (1-5), its comment and when it came (null until answered). */
  csat_score: number | null;
  csat_comment: string | null;
  csat_at: string | null;
  /** JSON analysis `{summary, data, success, sentiment, engine, computed_at, error?}`; null until run. */
  analysis: string | null;
  /** Since when it waits in its team's queue for a member (null: not queued). */
  queued_at: string | null;
  /** Times the current handoff was reassigned after its reply timer ran out. */
  handoff_reassignments: number;
  /** When a person first replied (SLA first response; since the handoff when the policy counts only people). */
  first_response_at: string | null;
  /** The person the last reassignment took it from: not given back to them by the queue until the next round. */
  handoff_taken_from: string | null;
  /** The customer's first message no reply (AI or person) has answered yet (null: none waits). */
  unanswered_since: string | null;
  /** JSON ConversationSource: the click-to-WhatsApp ad or post that brought the customer (null: none). Optional on insert. */
  source?: string | null;
  /** The source's ad or post id (Meta `source_id`), to group by. Optional on insert. */
  source_id?: string | null;
  /** When the referral came. Optional on insert. */
  source_at?: string | null;
  created_at: string;
  updated_at: string;
}

export type ConversationPriority = 'low' | 'normal' | 'high' | 'urgent';

export type ConversationRow = ConversationsTable;

/** Conversations per workspace, mode and status, kept by triggers (see 0211_conversation_counts). */
export interface ConversationCountsTable {
  workspace_id: string;
  livemode: number;
  status: ConversationStatus;
  slot: number;
  n: number;
}

/** What a job about a conversation carries to find it again. */
export interface ConversationJob {
  workspaceId: string;
  livemode: boolean;
  conversationId: string;
}
