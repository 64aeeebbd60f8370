declare module '../../platform/db/schema.ts' {
  interface Database {
    saved_views: SavedViewsTable;
  }
}

/** A person's saved inbox view: a name and the list's filters, for them alone or shared with the workspace. */
export interface SavedViewsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** Who saved it. */
  user_id: string;
  name: string;
  /** JSON: the filters (`view`, `status`, `channel`, `tag`, `agent`, `assignee`, `priority`, `q`, `date`). */
  filters: string;
  /** 1: every person of the workspace sees it. */
  shared: number;
  created_at: string;
}
