/** Kysely types of the leads module's tables, merged into the shared `Database`. */
export type LeadStatus = 'new' | 'qualified' | 'converted' | 'lost';

export interface LeadsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  contact_id: string | null;
  conversation_id: string | null;
  agent_id: string | null;
  name: string | null;
  /** E.164. */
  phone: string | null;
  email: string | null;
  intent: string | null;
  /** Where the lead came from: `ai`, `api`, or what the caller says. */
  source: string;
  status: LeadStatus;
  /** JSON object of the agent's `lead_fields` and any others. */
  fields: string;
  created_at: string;
  updated_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    leads: LeadsTable;
  }
}
