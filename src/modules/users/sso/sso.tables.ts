/** Per workspace and mode: how its people sign in with their identity provider (docs/sso.md). */
export interface SsoSettingsTable {
  workspace_id: string;
  livemode: number;
  /** 1: the sign-in with the identity provider is on. */
  enabled: number;
  protocol: 'oidc' | 'saml';
  oidc_issuer_url: string | null;
  oidc_client_id: string | null;
  /** The OIDC client secret, sealed with the server's secret key (never returned). */
  oidc_client_secret: string | null;
  /** JSON list of lower-case email domains whose people may sign in. */
  allowed_email_domains: string;
  /** The claim (or SAML attribute) read as the email. */
  email_claim: string;
  /** The claim (or SAML attribute) whose values pick a role; null: no mapping. */
  role_claim: string | null;
  /** JSON list of `{value, role}`: the first value found in the role claim gives its role. */
  role_mapping: string;
  /** The role of a person created at their first sign-in when no mapping matches. */
  default_role: string;
  /** 1: a person of an allowed domain without a user gets one at their first sign-in. */
  jit_provisioning: number;
  /** 1: passwords no longer sign in, except the break-glass admin's. */
  sso_only: number;
  break_glass_user_id: string | null;
  /** SAML: the identity provider's entity id (the Issuer of its responses). */
  saml_idp_entity_id: string | null;
  /** SAML: where the AuthnRequest is sent (HTTP-Redirect binding). */
  saml_idp_sso_url: string | null;
  /** SAML: the PEM certificate whose key signs the provider's responses or assertions (public). */
  saml_idp_certificate: string | null;
  /** 1: an assertion the provider sends unasked (IdP-initiated, no InResponseTo) is accepted. */
  saml_allow_idp_initiated: number;
  created_at: string;
  updated_at: string;
}

/**
 * A sign-in under way at the identity provider: what the callback checks (state, nonce, PKCE
 * verifier), single-use and short-lived. The id is the sha256 of the state sent to the provider.
 */
export interface SsoLoginsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  protocol: 'oidc' | 'saml';
  /** Sealed JSON `{nonce, code_verifier}` (OIDC) or `{request_id}` (SAML). */
  secrets: string;
  expires_at: string;
  created_at: string;
}

/**
 * A sign-in the identity provider vouched for, waiting for the inbox to take its session
 * (`POST /v1/auth/sso/exchange`): the code crosses the browser once, never the session token.
 */
export interface SsoHandoffsTable {
  /** sha256 of the one-time code. */
  id: string;
  user_id: string;
  workspace_id: string;
  livemode: number;
  method: 'oidc' | 'saml';
  expires_at: string;
  created_at: string;
}

/**
 * A SAML assertion already used to sign in, kept until its NotOnOrAfter so that the same
 * assertion posted again is refused. The id is the sha256 of the workspace, mode and assertion ID.
 */
export interface SsoSamlAssertionsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  expires_at: string;
  created_at: string;
}

declare module '../../../platform/db/schema.ts' {
  interface Database {
    sso_settings: SsoSettingsTable;
    sso_logins: SsoLoginsTable;
    sso_handoffs: SsoHandoffsTable;
    sso_saml_assertions: SsoSamlAssertionsTable;
  }
}
