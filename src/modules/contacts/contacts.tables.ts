declare module '../../platform/db/schema.ts' {
  interface Database {
    contacts: ContactsTable;
    contact_consents: ContactConsentsTable;
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
  /** Messenger's page-scoped user id (PSID); unique per workspace and mode. Optional on insert. */
  messenger_psid?: string | null;
  /** Instagram's scoped user id (IGSID); unique per workspace and mode. Optional on insert. */
  instagram_igsid?: string | null;
  /** Telegram's chat id of the customer's private chat with the bot; unique per workspace and mode. Optional on insert. */
  telegram_chat_id?: string | null;
  /** JSON object of string, number and boolean values. */
  attributes: string;
  /** JSON array of strings. */
  tags: string;
  dnd: number;
  opted_out: number;
  /** JSON list of the "channel:purpose" pairs the contact stopped (`whatsapp:marketing`); null when none. Optional on insert. */
  consent_stops?: string | null;
  /** The contact this one was merged into (it keeps only what could not move); optional on insert. */
  merged_into?: string | null;
  merged_at?: string | null;
  created_at: string;
  updated_at: string;
}

export type ContactRow = ContactsTable;

export type ConsentPurpose = 'marketing' | 'utility' | 'service';
/** `erased`: the contact's ledger was erased on request (the one row left, purpose and channel `*`). */
export type ConsentStatus = 'granted' | 'revoked' | 'erased';
export type ConsentSource = 'keyword' | 'user_preferences' | 'provider_error' | 'import' | 'api' | 'erasure';

/** One consent change (append-only ledger). */
export interface ContactConsentsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  contact_id: string;
  /** A channel type (`whatsapp`, `sms`, ...), or `*` for an erasure. */
  channel: string;
  purpose: ConsentPurpose | '*';
  status: ConsentStatus;
  source: ConsentSource;
  /** What the source said: the keyword, Meta's detail, the provider error code, the import id, a note. */
  detail: string | null;
  recorded_at: string;
}
