declare module '../../platform/db/schema.ts' {
  interface Database {
    notification_settings: NotificationSettingsTable;
    push_subscriptions: PushSubscriptionsTable;
    mentions: MentionsTable;
    push_keys: PushKeysTable;
    notification_digest_items: NotificationDigestItemsTable;
    notification_digests: NotificationDigestsTable;
  }
}

/** A person's notification preferences (absent: the defaults). */
export interface NotificationSettingsTable {
  user_id: string;
  workspace_id: string;
  livemode: number;
  /** JSON `{events: {assigned, mentioned, handoff, waiting, sla}, in_app, browser, push}`. */
  settings: string;
  updated_at: string;
}

/** A browser that receives Web Push for a person (RFC 8030 endpoint, RFC 8291 keys). */
export interface PushSubscriptionsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  user_agent: string | null;
  created_at: string;
  /** The last delivery's failure, for the settings page (null: the last one worked). */
  last_error: string | null;
}

/** A person named with @ in a private note. */
export interface MentionsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  user_id: string;
  conversation_id: string;
  message_id: string;
  /** Who wrote the note (a user id), or null for an API key. */
  by_user_id: string | null;
  excerpt: string;
  created_at: string;
  read_at: string | null;
}

/** The server's VAPID key pair (RFC 8292), made on first start; the private key sealed. */
export interface PushKeysTable {
  id: string;
  public_key: string;
  private_key_sealed: string;
  created_at: string;
}

/** A notification waiting for a person's email digest (`digest_id` set once a digest took it). */
export interface NotificationDigestItemsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  url: string;
  created_at: string;
  digest_id: string | null;
}

/** One email digest: the items it took, sent once (`sent_at`), or why the last attempt failed. */
export interface NotificationDigestsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  user_id: string;
  item_count: number;
  created_at: string;
  /** When a worker took it to send (a claim older than 10 minutes without `sent_at` was abandoned). */
  claimed_at: string | null;
  sent_at: string | null;
  error: string | null;
}
