import * as client from 'openid-client';
import type { AppContext } from '../../../platform/context.ts';
import { providerFetch } from './sso.fetch.ts';

/** This server's own origin: where the identity provider sends the browser back. */
export function serverOrigin(ctx: AppContext): string {
  return (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
}

export const oidcCallbackPath = '/v1/sso/oidc/callback';
export const oidcRedirectUri = (ctx: AppContext) => `${serverOrigin(ctx)}${oidcCallbackPath}`;

/**
 * The provider's configuration, discovered afresh for each sign-in step: its JWKS is then read
 * at each callback, so a key the provider rotated in is known at once and one it retired is
 * refused. `id_token` signatures are checked against that JWKS (openid-client's non-repudiation
 * checks; without them it would trust the token endpoint's TLS alone), and the app's clock is the
 * one expiry is judged by.
 */
export async function oidcConfiguration(
  ctx: AppContext,
  settings: { issuerUrl: string; clientId: string; clientSecret: string | null },
): Promise<client.Configuration> {
  const allowPrivate = ctx.config.ssoAllowPrivate;
  const skewSeconds = Math.round((ctx.clock.now().getTime() - Date.now()) / 1000);
  const config = await client.discovery(
    new URL(settings.issuerUrl),
    settings.clientId,
    {
      redirect_uris: [oidcRedirectUri(ctx)],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      [client.clockSkew]: skewSeconds,
      [client.clockTolerance]: 30,
    },
    settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None(),
    {
      [client.customFetch]: providerFetch(allowPrivate),
      timeout: 10,
      execute: allowPrivate ? [client.allowInsecureRequests] : [],
    },
  );
  client.enableNonRepudiationChecks(config);
  return config;
}

/** A provider's failure as a person can read it (never the secret, never the whole response). */
export function providerError(err: unknown): string {
  const e = err as { message?: string; code?: string; error?: string; cause?: { message?: string } };
  const base = e.error ?? e.message ?? 'unknown error';
  const cause = e.cause?.message ? ` (${e.cause.message})` : '';
  return `${base}${cause}`.slice(0, 300);
}
