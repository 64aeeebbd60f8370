/** A signed-in inbox session: listed and revocable per user (`GET /v1/me/sessions`). */
export interface UserSessionsTable {
  id: string;
  user_id: string;
  workspace_id: string;
  livemode: number;
  /** The client address and browser it was opened from. */
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A user's second factor (TOTP, RFC 6238) and their unused recovery codes. */
export interface UserTwoFactorTable {
  user_id: string;
  /** The TOTP secret, sealed with the server's secret key. */
  secret: string;
  /** Null while enrolling (the code not confirmed yet). */
  enabled_at: string | null;
  /** The time step of the last code accepted: a code is accepted once (no replay). */
  last_step: number;
  /** JSON list of sha256 hex hashes of the unused recovery codes. */
  recovery_codes: string;
  created_at: string;
}

/** Per workspace and mode: whether every inbox user must use a second factor. */
export interface AuthSettingsTable {
  workspace_id: string;
  livemode: number;
  require_two_factor: number;
  updated_at: string;
}

declare module '../../platform/db/schema.ts' {
  interface Database {
    user_sessions: UserSessionsTable;
    user_two_factor: UserTwoFactorTable;
    auth_settings: AuthSettingsTable;
  }
}
