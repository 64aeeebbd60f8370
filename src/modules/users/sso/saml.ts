import { type Profile, SamlStatusError } from '@node-saml/node-saml';
import type { AppContext } from '../../../platform/context.ts';
import { randomToken, sha256Hex } from '../../../platform/crypto.ts';
import { type Scope, scopeColumns } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { checkAssertion, envelopeOf, vouchedOf } from './saml.checks.ts';
import { samlAcsUrl, samlFor, scopeOfEntityId, spMetadata } from './saml.config.ts';
import { ssoSettingsRow } from './sso.settings.ts';
import { auditRefusal, handOff, SsoRefusal, userForSignIn } from './sso.signin.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

/** How long the provider's sign-in may take, from the AuthnRequest to the ACS post. */
const LOGIN_SECONDS = 600;

const notEnabled = (workspaceId: string) =>
  new ApiError('not_found', `Workspace ${workspaceId} has no SAML sign-in turned on (in this mode).`);

function isSamlReady(row: SsoSettingsTable | undefined): row is SsoSettingsTable {
  return (
    row?.enabled === 1 &&
    row.protocol === 'saml' &&
    Boolean(row.saml_idp_sso_url && row.saml_idp_certificate && row.saml_idp_entity_id)
  );
}

async function enabledSettings(ctx: AppContext, scope: Scope): Promise<SsoSettingsTable> {
  const row = await ssoSettingsRow(ctx, scope);
  if (!isSamlReady(row)) throw notEnabled(scope.workspaceId);
  return row;
}

/**
 * SP-initiated: an AuthnRequest (HTTP-Redirect binding) with a RelayState; its request id kept
 * server-side (sealed, 10 minutes, single use) for the response's InResponseTo.
 */
export async function startSaml(ctx: AppContext, scope: Scope): Promise<string> {
  const row = await enabledSettings(ctx, scope);
  const relayState = randomToken(24);
  const requestId = `_${randomToken(20)}`;
  const url = await samlFor(ctx, scope, row, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('sso_logins')
    .values({
      id: sha256Hex(relayState),
      ...scopeColumns(scope),
      protocol: 'saml',
      secrets: ctx.secrets.sealJson({ request_id: requestId }),
      expires_at: new Date(now.getTime() + LOGIN_SECONDS * 1000).toISOString(),
      created_at: now.toISOString(),
    })
    .execute();
  await ctx.db.deleteFrom('sso_logins').where('expires_at', '<', now.toISOString()).execute();
  return url;
}

/** The metadata of a workspace that chose SAML (enabled or not yet): 404 otherwise. */
export async function samlMetadata(ctx: AppContext, scope: Scope): Promise<string> {
  const row = await ssoSettingsRow(ctx, scope);
  if (row?.protocol !== 'saml')
    throw new ApiError(
      'not_found',
      `Workspace ${scope.workspaceId} has not chosen SAML in this mode (PUT /v1/sso-settings with protocol "saml").`,
    );
  return spMetadata(ctx, scope);
}

const inboxWith = (fragment: Record<string, string>) =>
  `/app/login#${new URLSearchParams(fragment).toString()}`;

/** The sign-in this RelayState started (taken once), if it is one of ours and not expired. */
async function takeLogin(ctx: AppContext, relayState: string | undefined) {
  if (!relayState) return undefined;
  const login = await ctx.db
    .deleteFrom('sso_logins')
    .where('id', '=', sha256Hex(relayState))
    .returningAll()
    .executeTakeFirst();
  if (login?.protocol !== 'saml' || login.expires_at <= ctx.clock.now().toISOString()) return undefined;
  return {
    scope: { workspaceId: login.workspace_id, livemode: login.livemode === 1 },
    requestId: ctx.secrets.openJson<{ request_id: string }>(login.secrets).request_id,
  };
}

/**
 * The assertion consumer service. The workspace is the one of the sign-in the RelayState names,
 * else (a sign-in started at the provider) the one the assertion's Audience names; a response
 * naming neither is a 400. Then: an unasked response (no InResponseTo) only where the workspace
 * allows it; an InResponseTo only of the request this sign-in sent; the signature of the response
 * or its assertion by the configured certificate, audience, time window (node-saml); issuer,
 * recipient, destination and the assertion id never used before (here). Every refusal is
 * audited and ends on the inbox's sign-in page with its reason.
 */
export async function finishSaml(
  ctx: AppContext,
  body: { SAMLResponse: string; RelayState?: string | undefined },
  ip: string,
): Promise<{ location: string }> {
  const login = await takeLogin(ctx, body.RelayState);
  const envelope = await envelopeOf(body.SAMLResponse);
  const audienceScope = envelope?.audiences.map((a) => scopeOfEntityId(ctx, a)).find(Boolean);
  const scope = login?.scope ?? audienceScope;
  const settingsRow = scope ? await ssoSettingsRow(ctx, scope) : undefined;
  if (!scope || !settingsRow)
    throw new ApiError(
      'validation_failed',
      'This SAML response answers no sign-in of this server and names none of its workspaces as its audience.',
      { errors: [{ field: 'SAMLResponse', message: 'not for a workspace of this server' }] },
    );
  try {
    if (!envelope) throw new SsoRefusal('invalid_assertion', 'The SAML response is not readable XML.');
    if (!isSamlReady(settingsRow)) throw new SsoRefusal('not_enabled', notEnabled(scope.workspaceId).message);
    if (!envelope.inResponseTo && settingsRow.saml_allow_idp_initiated !== 1)
      throw new SsoRefusal(
        'idp_initiated_not_allowed',
        'Sign-ins started at the identity provider are not accepted here: start from the inbox.',
      );
    if (envelope.inResponseTo && envelope.inResponseTo !== login?.requestId)
      throw new SsoRefusal(
        'unknown_request',
        'This SAML response answers no sign-in Parley started (or one used already or expired): start again.',
      );
    const profile = await validated(ctx, scope, settingsRow, body.SAMLResponse, login?.requestId);
    const assertion = checkAssertion(profile, {
      idpEntityId: settingsRow.saml_idp_entity_id!,
      acsUrl: samlAcsUrl(ctx),
      requestId: login?.requestId,
      destination: envelope.destination,
    });
    await refuseReplay(ctx, scope, assertion.id, assertion.expiresAt);
    const { user, created } = await userForSignIn(ctx, scope, settingsRow, vouchedOf(profile, settingsRow));
    return { location: inboxWith({ sso_code: await handOff(ctx, user, 'saml', created, ip) }) };
  } catch (err) {
    const refusal =
      err instanceof SsoRefusal
        ? err
        : err instanceof SamlStatusError
          ? new SsoRefusal('provider_error', `The identity provider refused: ${err.message}.`)
          : new SsoRefusal('invalid_assertion', `The SAML response was refused: ${messageOf(err)}.`);
    await auditRefusal(ctx, scope, 'saml', refusal, ip);
    return { location: inboxWith({ sso_error: refusal.reason, message: refusal.message }) };
  }
}

const messageOf = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 300);

async function validated(
  ctx: AppContext,
  scope: Scope,
  row: SsoSettingsTable,
  samlResponse: string,
  requestId: string | undefined,
): Promise<Profile> {
  const { profile } = await samlFor(ctx, scope, row, requestId).validatePostResponseAsync({
    SAMLResponse: samlResponse,
  });
  if (!profile) throw new Error('the response carries no assertion');
  return profile;
}

/** An assertion id is used once: kept until its NotOnOrAfter, a second use is refused. */
async function refuseReplay(ctx: AppContext, scope: Scope, assertionId: string, expiresAt: string) {
  const now = ctx.clock.now().toISOString();
  const inserted = await ctx.db
    .insertInto('sso_saml_assertions')
    .values({
      id: sha256Hex(`${scope.workspaceId}:${scope.livemode ? 1 : 0}:${assertionId}`),
      ...scopeColumns(scope),
      expires_at: expiresAt,
      created_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  await ctx.db.deleteFrom('sso_saml_assertions').where('expires_at', '<', now).execute();
  if (!inserted)
    throw new SsoRefusal('replayed_assertion', 'This SAML assertion was used already: sign in again.');
}
