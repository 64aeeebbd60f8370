declare module '../../platform/db/schema.ts' {
  interface Database {
    workspaces: WorkspacesTable;
  }
}

/**
 * A tenant: its plan, limit overrides and the country its local phone numbers belong to. Owned
 * by this module; other modules read a workspace's terms through `workspaceTerms`, and the
 * platform's authentication reads it beside the key or session it checks.
 */
export interface WorkspacesTable {
  id: string;
  name: string;
  plan: string;
  default_country: string;
  /** JSON: per-workspace overrides of the plan's limits. */
  limits: string | null;
  created_at: string;
  updated_at: string;
}
