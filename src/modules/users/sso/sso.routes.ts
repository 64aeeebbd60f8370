import { defineRoute, ok } from '../../../platform/http/route.ts';
import { loginResponse } from '../users.schemas.ts';
import { oidcCallbackPath } from './oidc.client.ts';
import { callbackUrlOf, finishOidc, startOidc } from './oidc.ts';
import { samlAcsPath } from './saml.config.ts';
import { samlAcsBody, samlMetadataQuery } from './saml.schemas.ts';
import { finishSaml, samlMetadata, startSaml } from './saml.ts';
import { lookupSso } from './sso.lookup.ts';
import {
  exchangeBody,
  oidcCallbackQuery,
  putSsoSettingsBody,
  ssoLookupBody,
  ssoLookupObject,
  ssoSettingsObject,
  ssoStartParams,
  ssoStartQuery,
} from './sso.schemas.ts';
import { getSsoSettings, putSsoSettings } from './sso.settings.ts';
import { exchangeHandoff } from './sso.signin.ts';

const tags = ['Single sign-on'];
const redirect = (location: string) => ({ status: 303, body: '', headers: { location } });

export const ssoRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/sso-settings',
    summary: 'Get single sign-on settings',
    description:
      "How this workspace's people sign in with its identity provider (OpenID Connect). The client secret is never returned (`oidc.client_secret_set`). Admins only (`settings:read`).",
    tags,
    auth: 'key',
    scope: 'settings:read',
    responses: { 200: ssoSettingsObject },
    handler: ok(({ ctx, auth }) => getSsoSettings(ctx, auth)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/sso-settings',
    summary: 'Set single sign-on settings',
    description:
      "Replaces the settings (a client secret left out is kept while the issuer stays the same). With `enabled`, the issuer's discovery document is read first: one that cannot be read is a 400 on `oidc.issuer_url` and nothing changes. `sso_only` needs `break_glass_user_id`, an admin with a password, who alone may still sign in with a password. Roles are `admin` and `agent`. Admins only (`settings:write`); every change is in the audit log (`sso.settings_changed`, naming the fields that changed).",
    tags,
    auth: 'key',
    scope: 'settings:write',
    body: putSsoSettingsBody,
    responses: { 200: ssoSettingsObject },
    handler: ok(({ ctx, auth, body, request }) => putSsoSettings(ctx, auth, body, request.ip)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/auth/sso/lookup',
    summary: 'Find how a person signs in with SSO',
    description:
      'No API key. From a work email (its domain among a workspace’s allowed domains) or a workspace id: where the browser starts the sign-in, or `enabled: false` (the person signs in with a password). A domain two workspaces list is a 400 asking for `workspace_id`.',
    tags,
    auth: 'none',
    body: ssoLookupBody,
    responses: { 200: ssoLookupObject },
    handler: ok(({ ctx, body }) => lookupSso(ctx, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/sso/:workspace_id/oidc/start',
    summary: 'Start an OIDC sign-in',
    description:
      "Opened in the browser: redirects (303) to the identity provider's authorization endpoint with a state, a nonce and a PKCE challenge, kept by Parley for 10 minutes and usable once. A workspace without SSO turned on is a 404; a provider that cannot be reached a 422.",
    tags,
    auth: 'none',
    params: ssoStartParams,
    query: ssoStartQuery,
    responses: { 303: null },
    errors: ['not_found', 'unprocessable'],
    handler: async ({ ctx, params, query }) =>
      redirect(await startOidc(ctx, { workspaceId: params.workspace_id, livemode: query.mode === 'live' })),
  }),
  defineRoute({
    method: 'GET',
    path: oidcCallbackPath,
    summary: 'Finish an OIDC sign-in',
    description:
      "The redirect URI registered at the identity provider. The state is taken once (unknown, used or expired: 401); the code is exchanged with the PKCE verifier and the `id_token` checked (issuer, audience, expiry, nonce, signature by the provider's JWKS). Then redirects (303) to the inbox's sign-in page with a one-time code in the fragment (`/app/login#sso_code=...`, for `POST /v1/auth/sso/exchange`), or with the refusal (`#sso_error=<reason>&message=...`: an email domain not allowed, no user and no just-in-time creation, a token refused...), which is written to the audit log (`auth.sign_in_refused`).",
    tags,
    auth: 'none',
    query: oidcCallbackQuery,
    responses: { 303: null },
    errors: ['unauthorized'],
    handler: async ({ ctx, query, request }) =>
      redirect((await finishOidc(ctx, callbackUrlOf(ctx, request.url), query, request.ip)).location),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/sso/:workspace_id/saml/start',
    summary: 'Start a SAML sign-in',
    description:
      "Opened in the browser: redirects (303) to the identity provider's single sign-on URL with a SAML AuthnRequest (HTTP-Redirect binding) and a RelayState. Parley keeps the request's id for 10 minutes, usable once: the response must answer it (InResponseTo). A workspace without SAML sign-in turned on is a 404.",
    tags,
    auth: 'none',
    params: ssoStartParams,
    query: ssoStartQuery,
    responses: { 303: null },
    errors: ['not_found'],
    handler: async ({ ctx, params, query }) =>
      redirect(await startSaml(ctx, { workspaceId: params.workspace_id, livemode: query.mode === 'live' })),
  }),
  defineRoute({
    method: 'POST',
    path: samlAcsPath,
    summary: 'Receive a SAML response (assertion consumer service)',
    description:
      "The ACS URL registered at the identity provider (HTTP-POST binding, a form with `SAMLResponse` and `RelayState`). The workspace is the one whose sign-in the RelayState names, else (a sign-in started at the provider) the one its assertion's Audience names; a response naming neither is a 400. Checked: the signature of the response or of its one assertion by the configured certificate (signature wrapping refused), the issuer, the audience (the workspace's SP entity id), the bearer confirmation's Recipient and the Destination (this URL), NotBefore/NotOnOrAfter (1 minute of clock skew), InResponseTo (the request this sign-in sent; a response without one only where `saml.allow_idp_initiated`), and an assertion id used once. Then redirects (303) to the inbox's sign-in page with a one-time code (`/app/login#sso_code=...`, for `POST /v1/auth/sso/exchange`) or the refusal (`#sso_error=<reason>&message=...`), written to the audit log (`auth.sign_in_refused`).",
    tags,
    auth: 'none',
    // The identity provider's post through the browser, not an API call (as a provider's webhook):
    // left out of openapi.json; docs/sso.md describes it.
    hidden: true,
    contentTypes: ['application/x-www-form-urlencoded'],
    body: samlAcsBody,
    responses: { 303: null },
    errors: ['validation_failed', 'unsupported_media_type'],
    bodyLimit: 2 * 1024 * 1024,
    handler: async ({ ctx, body, request }) => redirect((await finishSaml(ctx, body, request.ip)).location),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/sso/:workspace_id/saml/metadata',
    summary: "Parley's SAML metadata for a workspace",
    description:
      'The service provider\'s metadata (XML) to import at the identity provider: its entity id (this URL) and assertion consumer service (`POST /v1/sso/saml/acs`). Served once the workspace\'s settings choose `protocol: "saml"` (enabled or not yet); otherwise 404.',
    tags,
    auth: 'none',
    params: ssoStartParams,
    query: samlMetadataQuery,
    responses: { 200: null },
    rawResponses: { 200: { 'application/samlmetadata+xml': { schema: { type: 'string' } } } },
    errors: ['not_found'],
    handler: async ({ ctx, params, query }) => ({
      status: 200,
      body: await samlMetadata(ctx, { workspaceId: params.workspace_id, livemode: query.mode === 'live' }),
      contentType: 'application/samlmetadata+xml; charset=utf-8',
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/auth/sso/exchange',
    summary: 'Take the session of an SSO sign-in',
    description:
      'No API key. The one-time code the sign-in put in the inbox address, for a session token as `POST /v1/auth/login` answers it. The code works once, within 2 minutes; otherwise 401. The identity provider is trusted for the second factor: Parley asks for none.',
    tags,
    auth: 'none',
    body: exchangeBody,
    responses: { 200: loginResponse },
    errors: ['unauthorized'],
    handler: ok(({ ctx, body, request }) =>
      exchangeHandoff(ctx, ctx.modules.users.sessionSecret, body.code, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      }),
    ),
  }),
];
