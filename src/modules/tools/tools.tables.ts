/** Kysely types of the tools module's tables, merged into the shared `Database`. */

export interface ToolsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** Unique in the workspace and mode: what the model and the records call it. */
  name: string;
  /** JSON of the tool's definition (see tools.schemas.ts `toolDefinition`), without its name. */
  definition: string;
  created_at: string;
  updated_at: string;
}

/** A workspace's secrets for tool requests (`{{secret.name}}`), sealed with the server key. */
export interface ToolSecretsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  /** SecretBox-sealed value; never returned. */
  sealed: string;
  created_at: string;
  updated_at: string;
}

/** The workspace's tool key (signs every tool request) and its private-network allowance. */
export interface ToolSettingsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** SecretBox-sealed Standard Webhooks secret (`whsec_…`). */
  signing_secret: string;
  /** When the key was last shown (its first read, or its rotation); null: not shown yet. */
  signing_secret_shown_at: string | null;
  /** JSON array of host names or addresses a tool may reach on a private network. */
  allowed_private_hosts: string;
  created_at: string;
  updated_at: string;
}

/** `started`: a write call recorded before its request left, not finished yet (or cut by a crash). */
export type ToolCallStatus = 'ok' | 'failed' | 'mocked' | 'skipped' | 'replayed' | 'started';

/** One run of a tool: what was asked, what came back (both with secrets masked), how long it took. */
export interface ToolCallsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  tool_id: string;
  tool_name: string;
  conversation_id: string | null;
  agent_id: string | null;
  /** Where it ran: `chat`, `voice`, `test` (POST /v1/tools/{id}/test), `playground`. */
  source: string;
  effect: string;
  status: ToolCallStatus;
  /** Null when it succeeded; else timeout, http_error, blocked_address, too_large, bad_content_type, ... */
  code: string | null;
  message: string | null;
  attempts: number;
  latency_ms: number;
  /** JSON: the arguments the model (or the rules) gave. */
  args: string;
  /** JSON: method, url, headers and body as sent, secrets masked. */
  request: string;
  /** JSON: status, content type and body excerpt, secrets masked; null when nothing answered. */
  response: string | null;
  /** JSON: the mapped result the agent saw; null when it failed. */
  result: string | null;
  /**
   * A live write call's key (the reply it belongs to, the tool and its turn in that reply): a job
   * that runs again finds the call made before instead of making a new one. Null for the others.
   */
  call_key: string | null;
  created_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    tools: ToolsTable;
    tool_secrets: ToolSecretsTable;
    tool_settings: ToolSettingsTable;
    tool_calls: ToolCallsTable;
  }
}
