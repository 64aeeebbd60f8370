declare module '../../platform/db/schema.ts' {
  interface Database {
    roles: RolesTable;
    scim_tokens: ScimTokensTable;
  }
}

/**
 * A role a business defines (`/v1/roles`). The built-in `admin` and `agent` are not rows: a user's
 * `role` column holds `admin`, `agent` or the id of one of these rows.
 */
export interface RolesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** Unique per workspace and mode, case-insensitively; never `admin` or `agent`. */
  name: string;
  description: string | null;
  /** JSON array of scopes, as API keys carry them (`conversations:*`, `reports:read`, ...). */
  permissions: string;
  /** Which conversations its people see: all | team (their teams' and their teammates') | assigned (their own). */
  visibility: 'all' | 'team' | 'assigned';
  /** 1: customers' phone numbers and email addresses are shown masked. */
  mask_contact_details: number;
  created_at: string;
  updated_at: string;
}

/** A bearer token an identity provider provisions users and teams with (`/scim/v2`). Shown once. */
export interface ScimTokensTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string | null;
  /** SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  /** The first characters, to tell tokens apart. */
  prefix: string;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
}
