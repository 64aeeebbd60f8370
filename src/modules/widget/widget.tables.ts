declare module '../../platform/db/schema.ts' {
  interface Database {
    widget_visitors: WidgetVisitorsTable;
    widget_sessions: WidgetSessionsTable;
    widget_sends: WidgetSendsTable;
    widget_events: WidgetEventsTable;
  }
}

/** A website visitor of one web channel: their contact, and who they proved to be (a JWT's `sub`). */
export interface WidgetVisitorsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  channel_id: string;
  contact_id: string;
  /** The verified identity's `sub` (null: anonymous); one visitor per channel and subject. */
  subject: string | null;
  /** When the visitor accepted the channel's consent line. */
  consented_at: string | null;
  /** "Continue on WhatsApp": the code (`WEB-` and 6 letters or digits) that joins their WhatsApp contact; single use. */
  join_code: string | null;
  join_code_expires_at: string | null;
  created_at: string;
  last_seen_at: string;
}

/** A visitor's opaque session token, by its SHA-256 (the token itself is never stored). */
export interface WidgetSessionsTable {
  token_hash: string;
  visitor_id: string;
  created_at: string;
  /** When the token was last used (written at most hourly); null: not since `created_at`. Optional on insert. */
  last_used_at?: string | null;
}

/** A visitor's send by its idempotency key: the message it stored (null while it is being stored). */
export interface WidgetSendsTable {
  visitor_id: string;
  idempotency_key: string;
  message_id: string | null;
  created_at: string;
}

/** What a visitor's stream carries, in order (`wev_` ids sort by time), replayed after `Last-Event-ID`. */
export interface WidgetEventsTable {
  id: string;
  visitor_id: string;
  /** `message` (theirs or a reply), `message.updated`. */
  type: string;
  data: string;
  created_at: string;
}
