import { X509Certificate } from 'node:crypto';
import { generateServiceProviderMetadata, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { AppContext } from '../../../platform/context.ts';
import type { Scope } from '../../../platform/db/scope.ts';
import { serverOrigin } from './oidc.client.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

/** How much the identity provider's clock may differ from ours (NotBefore, NotOnOrAfter). */
export const CLOCK_SKEW_MS = 60_000;

export const samlAcsPath = '/v1/sso/saml/acs';
export const samlAcsUrl = (ctx: AppContext) => `${serverOrigin(ctx)}${samlAcsPath}`;

export const samlMetadataPath = (workspaceId: string, livemode: boolean) =>
  `/v1/sso/${workspaceId}/saml/metadata${livemode ? '' : '?mode=test'}`;

/**
 * Parley's entity id for a workspace and mode: its metadata URL (unique per workspace and mode,
 * so the Audience of an assertion names which workspace it is for).
 */
export const spEntityId = (ctx: AppContext, scope: Scope) =>
  `${serverOrigin(ctx)}${samlMetadataPath(scope.workspaceId, scope.livemode)}`;

/** The workspace and mode an entity id of this server names, or undefined. */
export function scopeOfEntityId(ctx: AppContext, entityId: string): Scope | undefined {
  const prefix = `${serverOrigin(ctx)}/v1/sso/`;
  if (!entityId.startsWith(prefix)) return undefined;
  const m = /^(ws_[0-9A-Z]{26})\/saml\/metadata(\?mode=test)?$/.exec(entityId.slice(prefix.length));
  return m ? { workspaceId: m[1]!, livemode: !m[2] } : undefined;
}

/**
 * A certificate as PEM, from PEM or the base64 body alone (as IdP metadata shows it); throws
 * when it is not an X.509 certificate.
 */
export function normalizeCertificate(input: string): { pem: string; expiresAt: string } {
  const body = input
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
    .trim();
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw new Error('not base64 between the PEM lines');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const cert = new X509Certificate(pem);
  return { pem, expiresAt: new Date(cert.validTo).toISOString() };
}

export function certificateExpiry(pem: string | null): string | null {
  if (!pem) return null;
  try {
    return normalizeCertificate(pem).expiresAt;
  } catch {
    return null;
  }
}

/**
 * node-saml set up for one workspace: signatures checked against the configured certificate
 * (the response's, else the assertion's), the audience our entity id, the clock with a small
 * skew, InResponseTo against the one request id this sign-in sent (if any).
 */
export function samlFor(
  ctx: AppContext,
  scope: Scope,
  row: SsoSettingsTable,
  requestId: string | undefined,
): SAML {
  return new SAML({
    issuer: spEntityId(ctx, scope),
    audience: spEntityId(ctx, scope),
    callbackUrl: samlAcsUrl(ctx),
    entryPoint: row.saml_idp_sso_url ?? undefined,
    idpCert: row.saml_idp_certificate!,
    idpIssuer: row.saml_idp_entity_id ?? undefined,
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    validateInResponseTo: ValidateInResponseTo.ifPresent,
    requestIdExpirationPeriodMs: 10 * 60_000,
    generateUniqueId: () => requestId ?? '_unused',
    cacheProvider: {
      saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
      getAsync: async (key) => (requestId && key === requestId ? new Date().toISOString() : null),
      removeAsync: async (key) => key,
    },
  });
}

/** Parley's SP metadata for a workspace and mode: what the identity provider imports. */
export function spMetadata(ctx: AppContext, scope: Scope): string {
  return generateServiceProviderMetadata({
    issuer: spEntityId(ctx, scope),
    callbackUrl: samlAcsUrl(ctx),
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    wantAssertionsSigned: true,
  });
}
