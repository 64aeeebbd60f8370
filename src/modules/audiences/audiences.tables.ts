declare module '../../platform/db/schema.ts' {
  interface Database {
    audiences: AudiencesTable;
    audience_members: AudienceMembersTable;
  }
}

export interface AudiencesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  description: string | null;
  /** `static`: explicit members; `rule`: the contacts matching `filter` when used. */
  type: 'static' | 'rule';
  /** JSON `AudienceFilter` (rule audiences only). */
  filter: string | null;
  created_at: string;
  updated_at: string;
}

export interface AudienceMembersTable {
  audience_id: string;
  contact_id: string;
  created_at: string;
}
