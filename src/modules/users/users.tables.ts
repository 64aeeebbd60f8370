import './roles.tables.ts';
import './users.security.tables.ts';

declare module '../../platform/db/schema.ts' {
  interface Database {
    users: UsersTable;
    teams: TeamsTable;
    team_members: TeamMembersTable;
    user_presence: UserPresenceTable;
    login_throttle: LoginThrottleTable;
  }
}

export interface UsersTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  /** Lower-cased; unique per workspace and mode. */
  email: string;
  /** `admin`, `agent`, or the id of a role the business defined (`role_…`). */
  role: string;
  /** `scrypt$N$r$p$salt$hash`, or null for a user who cannot sign in. Never returned. */
  password_hash: string | null;
  /** Set by hand (`PUT /v1/me/availability`): online | busy | offline; null: from presence. */
  availability: 'online' | 'busy' | 'offline' | null;
  /** Capacity: open conversations this user takes from routing at most (null: no limit). */
  max_open_conversations: number | null;
  /** Moves on with a password change, a role change and a sign-out: older session tokens stop working. */
  session_version: number;
  /** 0: deactivated (by SCIM `active: false`): cannot sign in, gets no conversations. Optional on insert. */
  active?: number;
  /** The identity provider's id for the user (SCIM `externalId`). Optional on insert. */
  external_id?: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  /** JSON `{mode: manual|round_robin|balanced, only_online, max_per_user}`. */
  assignment: string;
  /** Round robin: the member who got the team's last conversation. */
  rr_cursor: string | null;
  created_at: string;
  updated_at: string;
}

/** One row per process holding a live inbox connection of a user; expired rows mean gone. */
export interface UserPresenceTable {
  user_id: string;
  process_id: string;
  expires_at: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  created_at: string;
}

/**
 * Failed sign-ins, per email and client address together (`pair:<email>|<address>`) and per email
 * alone (`email:<email>`), counted in a window that starts with the first failure.
 */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: string;
  /** No attempt for this key is checked before this time (429 with `Retry-After`). */
  next_attempt_at: string | null;
}
