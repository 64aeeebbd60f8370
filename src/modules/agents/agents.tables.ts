import type { ModelProvider } from './model-settings.ts';

/** Kysely types of the agents module's tables, merged into the shared `Database`. */
export interface AgentsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  status: 'active' | 'paused';
  /** E.164; unique among the live agents of one workspace and mode. */
  phone_number: string | null;
  instructions: string;
  greeting: string | null;
  /** JSON array of language tags. */
  languages: string;
  /** A provider of `modelPresets` (model-settings.ts): a protocol or a preset of one. */
  model_provider: ModelProvider;
  model_name: string;
  model_base_url: string | null;
  /** The provider API key sealed with `ctx.secrets` (never returned by the API). */
  model_api_key: string | null;
  /** JSON `{tool_calling, timeout_ms, fallbacks}` (fallbacks' keys sealed); null: the defaults. */
  model_options: string | null;
  /** JSON array of tool names. */
  tools: string;
  /** JSON `{keywords, max_unanswered}`. */
  handoff: string;
  /** JSON handoff policy override (fields given win over the workspace's); null: the workspace's. */
  handoff_policy: string | null;
  /** JSON `{timezone, hours, address, services, holidays, buffer_minutes}`. */
  business: string;
  /** JSON array of `{key, label, required}`. */
  lead_fields: string;
  /** JSON voice settings for calls (`StoredVoiceSettings`, engine keys sealed); null: the defaults. */
  voice: string | null;
  /** JSON booking settings `{require_contact}`; null: the defaults. */
  booking: string | null;
  /** JSON analysis plan `{summary, structured, success_criteria}`; null: the defaults. */
  analysis: string | null;
  /** Set by DELETE: the row stays so leads, bookings and conversations keep their history. */
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    agents: AgentsTable;
  }
}
