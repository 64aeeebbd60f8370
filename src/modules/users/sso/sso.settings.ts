import { auditActor, recordAudit } from '../../../platform/audit.ts';
import type { AppContext } from '../../../platform/context.ts';
import { type Scope, scopeColumns, tenant } from '../../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../../platform/errors.ts';
import type { Auth } from '../../../platform/http/route.ts';
import { fromJson, toJson } from '../../../platform/json.ts';
import { resolveRoleFor } from '../roles.service.ts';
import { oidcConfiguration, oidcRedirectUri, providerError, serverOrigin } from './oidc.client.ts';
import {
  certificateExpiry,
  normalizeCertificate,
  samlAcsUrl,
  samlMetadataPath,
  spEntityId,
} from './saml.config.ts';
import type { PutSsoSettings } from './sso.schemas.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

export interface RoleMapping {
  value: string;
  role: string;
}

export function ssoSettingsRow(ctx: AppContext, scope: Scope): Promise<SsoSettingsTable | undefined> {
  return tenant(ctx.db, scope).selectFrom('sso_settings').selectAll().executeTakeFirst();
}

export const startPath = (workspaceId: string, livemode: boolean, protocol: 'oidc' | 'saml' = 'oidc') =>
  `/v1/sso/${workspaceId}/${protocol}/start${livemode ? '' : '?mode=test'}`;

export function presentSsoSettings(ctx: AppContext, scope: Scope, row: SsoSettingsTable | undefined) {
  return {
    object: 'sso_settings' as const,
    enabled: row?.enabled === 1,
    protocol: row?.protocol ?? 'oidc',
    oidc: {
      issuer_url: row?.oidc_issuer_url ?? null,
      client_id: row?.oidc_client_id ?? null,
      client_secret_set: Boolean(row?.oidc_client_secret),
      redirect_uri: oidcRedirectUri(ctx),
    },
    saml: {
      idp_entity_id: row?.saml_idp_entity_id ?? null,
      idp_sso_url: row?.saml_idp_sso_url ?? null,
      idp_certificate: row?.saml_idp_certificate ?? null,
      idp_certificate_expires_at: certificateExpiry(row?.saml_idp_certificate ?? null),
      allow_idp_initiated: row?.saml_allow_idp_initiated === 1,
      sp_entity_id: spEntityId(ctx, scope),
      acs_url: samlAcsUrl(ctx),
      metadata_url: `${serverOrigin(ctx)}${samlMetadataPath(scope.workspaceId, scope.livemode)}`,
    },
    allowed_email_domains: fromJson<string[]>(row?.allowed_email_domains, []),
    email_claim: row?.email_claim ?? 'email',
    role_claim: row?.role_claim ?? null,
    role_mapping: fromJson<RoleMapping[]>(row?.role_mapping, []),
    default_role: row?.default_role ?? 'agent',
    jit_provisioning: row?.jit_provisioning === 1,
    sso_only: row?.sso_only === 1,
    break_glass_user_id: row?.break_glass_user_id ?? null,
    start_url: `${serverOrigin(ctx)}${startPath(scope.workspaceId, scope.livemode, row?.protocol)}`,
    updated_at: row?.updated_at ?? null,
  };
}

export async function getSsoSettings(ctx: AppContext, scope: Scope) {
  return presentSsoSettings(ctx, scope, await ssoSettingsRow(ctx, scope));
}

async function checkBreakGlass(ctx: AppContext, scope: Scope, input: PutSsoSettings) {
  if (!input.sso_only) return;
  if (!input.break_glass_user_id)
    throw invalidField(
      'break_glass_user_id',
      'required with sso_only: an admin who can still sign in with a password if the identity provider is down',
    );
  const user = await tenant(ctx.db, scope).findById('users', input.break_glass_user_id);
  if (!user) throw invalidField('break_glass_user_id', 'is not a user of this workspace and mode');
  if (user.role !== 'admin' || user.password_hash === null)
    throw invalidField('break_glass_user_id', 'must be an admin with a password');
}

/**
 * The roles the settings give: `admin`, `agent` or a role the workspace defines (by id or name,
 * kept as its id), none granting more than the admin saving them holds (roles.service.ts).
 */
async function checkRoles(ctx: AppContext, auth: Auth, input: PutSsoSettings): Promise<PutSsoSettings> {
  const resolve = async (field: string, role: string) => {
    try {
      return await resolveRoleFor(ctx.db, auth, role);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed')
        throw invalidField(field, `no role named ${role}: admin, agent or a role's id or name`);
      throw err;
    }
  };
  return {
    ...input,
    default_role: await resolve('default_role', input.default_role),
    role_mapping: await Promise.all(
      input.role_mapping.map(async (m, i) => ({
        ...m,
        role: await resolve(`role_mapping.${i}.role`, m.role),
      })),
    ),
  };
}

/** Replaces the workspace's SSO settings; a client secret left out is kept. */
export async function putSsoSettings(ctx: AppContext, auth: Auth, input: PutSsoSettings, ip: string) {
  const before = await ssoSettingsRow(ctx, auth);
  if (input.enabled && input.protocol === 'oidc' && !input.oidc)
    throw invalidField('oidc', 'required when enabled with protocol oidc');
  if (input.enabled && input.protocol === 'saml' && !input.saml)
    throw invalidField('saml', 'required when enabled with protocol saml');
  const certificate = samlCertificate(input);
  if (input.enabled && !input.allowed_email_domains.length)
    throw invalidField('allowed_email_domains', 'list at least one domain when enabled');
  if (input.sso_only && !input.enabled) throw invalidField('sso_only', 'needs enabled: true');
  input = await checkRoles(ctx, auth, input);
  await checkBreakGlass(ctx, auth, input);
  const sealed = input.oidc?.client_secret
    ? ctx.secrets.seal(input.oidc.client_secret)
    : input.oidc && input.oidc.issuer_url === before?.oidc_issuer_url
      ? (before?.oidc_client_secret ?? null)
      : null;
  if (input.enabled && input.protocol === 'oidc' && input.oidc) await checkDiscovery(ctx, input.oidc, sealed);
  const now = ctx.clock.now().toISOString();
  const values = {
    enabled: input.enabled ? 1 : 0,
    protocol: input.protocol,
    oidc_issuer_url: input.oidc?.issuer_url ?? null,
    oidc_client_id: input.oidc?.client_id ?? null,
    oidc_client_secret: input.oidc ? sealed : null,
    allowed_email_domains: toJson([...new Set(input.allowed_email_domains)]),
    email_claim: input.email_claim,
    role_claim: input.role_claim,
    role_mapping: toJson(input.role_mapping),
    default_role: input.default_role,
    jit_provisioning: input.jit_provisioning ? 1 : 0,
    sso_only: input.sso_only ? 1 : 0,
    break_glass_user_id: input.break_glass_user_id,
    saml_idp_entity_id: input.saml?.idp_entity_id ?? null,
    saml_idp_sso_url: input.saml?.idp_sso_url ?? null,
    saml_idp_certificate: certificate,
    saml_allow_idp_initiated: input.saml?.allow_idp_initiated ? 1 : 0,
    updated_at: now,
  };
  await ctx.transaction(async (tx) => {
    await tx.db
      .insertInto('sso_settings')
      .values({ ...scopeColumns(auth), ...values, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doUpdateSet(values))
      .execute();
    await recordAudit(tx.db, {
      workspaceId: auth.workspaceId,
      livemode: auth.livemode,
      actor: auditActor(auth),
      action: 'sso.settings_changed',
      objectType: 'sso_settings',
      objectId: auth.workspaceId,
      ip,
      details: { changed: changedFields(before, values, Boolean(input.oidc?.client_secret)) },
      at: now,
    });
  });
  return getSsoSettings(ctx, auth);
}

/** The names of the settings that changed (a new secret is named, never shown). */
function changedFields(
  before: SsoSettingsTable | undefined,
  after: Omit<SsoSettingsTable, 'workspace_id' | 'livemode' | 'created_at'>,
  newSecret: boolean,
): string[] {
  const names = Object.keys(after).filter(
    (k) =>
      k !== 'updated_at' &&
      k !== 'oidc_client_secret' &&
      before?.[k as keyof SsoSettingsTable] !== after[k as keyof typeof after],
  );
  if (newSecret || (before?.oidc_client_secret ?? null) !== after.oidc_client_secret)
    names.push('oidc_client_secret');
  return names;
}

/** The IdP certificate as PEM; one that is no X.509 certificate is a 400. */
function samlCertificate(input: PutSsoSettings): string | null {
  if (!input.saml) return null;
  try {
    return normalizeCertificate(input.saml.idp_certificate).pem;
  } catch (err) {
    throw invalidField(
      'saml.idp_certificate',
      `is not an X.509 certificate in PEM (${(err as Error).message.slice(0, 200)})`,
    );
  }
}

async function checkDiscovery(
  ctx: AppContext,
  oidc: NonNullable<PutSsoSettings['oidc']>,
  sealedSecret: string | null,
) {
  try {
    await oidcConfiguration(ctx, {
      issuerUrl: oidc.issuer_url,
      clientId: oidc.client_id,
      clientSecret: sealedSecret ? ctx.secrets.open(sealedSecret) : null,
    });
  } catch (err) {
    throw invalidField('oidc.issuer_url', `its discovery document could not be read: ${providerError(err)}`);
  }
}
