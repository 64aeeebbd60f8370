/** What the agent answered with, per outbound message: its sources and actions (migration 0530_ai). */
export interface AiRepliesTable {
  message_id: string;
  workspace_id: string;
  livemode: number;
  conversation_id: string;
  agent_id: string;
  /** `builtin`, the LLM provider, or `fallback` when the provider failed. */
  engine: string;
  /** JSON array of {doc_id, chunk_id, title, score}. */
  sources: string;
  /** JSON array of {type, data}. */
  actions: string;
  answered: number;
  /**
   * The built-in agent's dialogue state after this reply (JSON of `DialogueState`, migration
   * 0531): where its booking, move or offer stands, read back at the next turn. Null for other engines.
   */
  dialogue_state: string | null;
  /**
   * An LLM agent's reply (JSON `LlmOutcome`, migration 1474): the model that answered (`provider:name`,
   * `builtin`, or null when none did), how it called tools, the models that failed first and why, retries.
   */
  model_outcome?: string | null;
  /**
   * The model that answered (`provider:name`, `builtin`; migration 1475), and the tokens it read and
   * wrote for this reply, tool rounds included (null: not an LLM's answer, or its server told none).
   */
  model?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  created_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    ai_replies: AiRepliesTable;
  }
}
