declare module '../../platform/db/schema.ts' {
  interface Database {
    voice_flows: VoiceFlowsTable;
  }
}

/** A scripted call: a validated graph of nodes (JSON as text on both storages). */
export interface VoiceFlowsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  language: string;
  timezone: string;
  start_node: string;
  /** JSON object: node id -> node. */
  nodes: string;
  /** JSON object: default variables. */
  variables: string;
  /** The `whsec_` secret that signs webhook actions, sealed with `ctx.secrets`. */
  webhook_secret: string;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}
