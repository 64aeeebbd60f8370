declare module '../../platform/db/schema.ts' {
  interface Database {
    conversation_facts: ConversationFactsTable;
  }
}

/**
 * What reports count about a conversation beyond its own columns, one row per conversation, kept in
 * the transaction of each write that changes it: by triggers (messages, the conversation's own
 * columns; 1101, 1102) and by the reaction `conversations.facts` (events: handoffs, resolves,
 * reopens, leads, bookings; conversations.facts.reactions.ts).
 */
export interface ConversationFactsTable {
  conversation_id: string;
  messages_in: number;
  /** Outbound messages, notes excluded. */
  messages_out: number;
  /** Messages written by a person of the team (sender `user`), notes excluded. */
  person_messages: number;
  first_in_at: string | null;
  /** The first outbound message at or after the first customer message, not a system one. */
  first_response_at: string | null;
  /** The same, written by a person. */
  human_first_response_at: string | null;
  /** `conversation.escalated` events, and their reasons (JSON array). */
  escalations: number;
  handoff_reasons: string;
  last_resolved_at: string | null;
  /** 1: reopened within 24 hours of a resolve. */
  reopened_24h: number;
  leads: number;
  bookings: number;
  // Copied from the conversation by triggers (1102_conversation_facts_cohort), so reports filter
  // and aggregate over this table alone.
  workspace_id: string;
  livemode: number;
  created_at: string;
  channel: string;
  agent_id: string | null;
  status: string;
  assignee_type: 'user' | 'team' | null;
  assignee_id: string | null;
  handoff_at: string | null;
  handoff_reason: string | null;
  csat_score: number | null;
  /** Null: under no SLA policy; 1: no target breached; 0: one breached. */
  sla_met: number | null;
  /** Epoch milliseconds of created_at. */
  created_ms: number;
  /** first_response_at - first_in_at, human_first_response_at - first_in_at (ms, at least 0). */
  first_response_ms: number | null;
  human_first_response_ms: number | null;
  /** The person (user id) who wrote the first response by a person. */
  first_responder_id: string | null;
  /** Replies (outbound, not notes) written by each person: JSON object user id → count. */
  replies_by_user: string;
  /** closed_at - created_at while the conversation is closed (ms, at least 0). */
  resolution_ms: number | null;
}
