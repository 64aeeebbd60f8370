import * as client from 'openid-client';
import type { AppContext } from '../../../platform/context.ts';
import { sha256Hex } from '../../../platform/crypto.ts';
import { type Scope, scopeColumns } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { oidcConfiguration, oidcRedirectUri, providerError, serverOrigin } from './oidc.client.ts';
import { ssoSettingsRow } from './sso.settings.ts';
import { auditRefusal, claimValues, handOff, SsoRefusal, userForSignIn } from './sso.signin.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

/** How long the provider's sign-in may take, from the redirect to the callback. */
const LOGIN_SECONDS = 600;

const notEnabled = (workspaceId: string) =>
  new ApiError('not_found', `Workspace ${workspaceId} has no single sign-on turned on (in this mode).`);

async function enabledSettings(ctx: AppContext, scope: Scope): Promise<SsoSettingsTable> {
  const row = await ssoSettingsRow(ctx, scope);
  if (row?.enabled !== 1 || row.protocol !== 'oidc' || !row.oidc_issuer_url || !row.oidc_client_id)
    throw notEnabled(scope.workspaceId);
  return row;
}

function configurationOf(ctx: AppContext, row: SsoSettingsTable) {
  return oidcConfiguration(ctx, {
    issuerUrl: row.oidc_issuer_url!,
    clientId: row.oidc_client_id!,
    clientSecret: row.oidc_client_secret ? ctx.secrets.open(row.oidc_client_secret) : null,
  });
}

/**
 * The start of a sign-in: state, nonce and PKCE verifier kept server-side (single-use, 10
 * minutes), and the address of the provider's authorization endpoint to send the browser to.
 */
export async function startOidc(ctx: AppContext, scope: Scope): Promise<string> {
  const row = await enabledSettings(ctx, scope);
  let config: client.Configuration;
  try {
    config = await configurationOf(ctx, row);
  } catch (err) {
    throw new ApiError('unprocessable', `The identity provider could not be reached: ${providerError(err)}.`);
  }
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('sso_logins')
    .values({
      id: sha256Hex(state),
      ...scopeColumns(scope),
      protocol: 'oidc',
      secrets: ctx.secrets.sealJson({ nonce, code_verifier: codeVerifier }),
      expires_at: new Date(now.getTime() + LOGIN_SECONDS * 1000).toISOString(),
      created_at: now.toISOString(),
    })
    .execute();
  await ctx.db.deleteFrom('sso_logins').where('expires_at', '<', now.toISOString()).execute();
  return client.buildAuthorizationUrl(config, {
    redirect_uri: oidcRedirectUri(ctx),
    scope: scopesFor(row),
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).href;
}

/** `openid email profile`, and the role claim's scope when it is a standard one some providers gate. */
function scopesFor(row: SsoSettingsTable): string {
  return row.role_claim === 'groups' ? 'openid email profile groups' : 'openid email profile';
}

/** Where the browser goes after the callback: the inbox's sign-in page, with a code or an error. */
export type CallbackOutcome = { location: string };

const inboxWith = (fragment: Record<string, string>) =>
  `/app/login#${new URLSearchParams(fragment).toString()}`;

/**
 * The provider's answer: the state is taken (once; unknown, used or expired is refused), the code
 * exchanged with the PKCE verifier, the id_token checked (issuer, audience, expiry, nonce,
 * signature by the provider's JWKS), then the person is matched or created and handed off.
 * Every refusal is audited and ends on the inbox's sign-in page with its reason.
 */
export async function finishOidc(
  ctx: AppContext,
  callbackUrl: URL,
  query: { state: string; error?: string; error_description?: string },
  ip: string,
): Promise<CallbackOutcome> {
  const login = await ctx.db
    .deleteFrom('sso_logins')
    .where('id', '=', sha256Hex(query.state))
    .returningAll()
    .executeTakeFirst();
  if (login?.protocol !== 'oidc' || login.expires_at <= ctx.clock.now().toISOString())
    throw new ApiError('unauthorized', 'This sign-in is unknown, used already or expired: start again.');
  const scope = { workspaceId: login.workspace_id, livemode: login.livemode === 1 };
  try {
    if (query.error)
      throw new SsoRefusal(
        'provider_error',
        `The identity provider refused: ${query.error_description ?? query.error}.`,
      );
    const row = await enabledSettings(ctx, scope);
    const { nonce, code_verifier } = ctx.secrets.openJson<{ nonce: string; code_verifier: string }>(
      login.secrets,
    );
    const claims = await tokenClaims(ctx, row, callbackUrl, { nonce, code_verifier, state: query.state });
    const { user, created } = await userForSignIn(ctx, scope, row, {
      email: typeof claims[row.email_claim] === 'string' ? (claims[row.email_claim] as string) : undefined,
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined,
      name: typeof claims.name === 'string' ? claims.name : undefined,
      roleValues: row.role_claim ? claimValues(claims[row.role_claim]) : [],
      subject: claims.sub,
    });
    return { location: inboxWith({ sso_code: await handOff(ctx, user, 'oidc', created, ip) }) };
  } catch (err) {
    const refusal =
      err instanceof SsoRefusal
        ? err
        : err instanceof ApiError
          ? new SsoRefusal('not_enabled', err.message)
          : new SsoRefusal(
              'invalid_token',
              `The identity provider's answer was refused: ${providerError(err)}.`,
            );
    await auditRefusal(ctx, scope, 'oidc', refusal, ip);
    return { location: inboxWith({ sso_error: refusal.reason, message: refusal.message }) };
  }
}

async function tokenClaims(
  ctx: AppContext,
  row: SsoSettingsTable,
  callbackUrl: URL,
  checks: { nonce: string; code_verifier: string; state: string },
) {
  const config = await configurationOf(ctx, row);
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: checks.code_verifier,
    expectedNonce: checks.nonce,
    expectedState: checks.state,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error('no id_token');
  return claims;
}

export const callbackUrlOf = (ctx: AppContext, requestUrl: string) => new URL(requestUrl, serverOrigin(ctx));
