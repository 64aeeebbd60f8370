/** Tables of routing and timers (owned by the conversations module). */
declare module '../../../platform/db/schema.ts' {
  interface Database {
    handoff_settings: HandoffSettingsTable;
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
