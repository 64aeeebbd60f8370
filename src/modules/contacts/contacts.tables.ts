declare module '../../platform/db/schema.ts' {
  interface Database {
    contacts: ContactsTable;
  }
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** E.164, or null for an email-only contact. Unique per workspace and mode. */
  phone: string | null;
  name: string | null;
  email: string | null;
  /** WhatsApp's business-scoped user id (BSUID), when Meta gave one; unique per workspace and mode. Optional on insert. */
  whatsapp_user_id?: string | null;
  /** JSON object of string, number and boolean values. */
  attributes: string;
  /** JSON array of strings. */
  tags: string;
  dnd: number;
  opted_out: number;
  /** The contact this one was merged into (it keeps only what could not move); optional on insert. */
  merged_into?: string | null;
  merged_at?: string | null;
  created_at: string;
  updated_at: string;
}

export type ContactRow = ContactsTable;
