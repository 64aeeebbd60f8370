import { ApiError } from '../../platform/errors.ts';
import { type Auth, defineRoute, ok } from '../../platform/http/route.ts';
import {
  authSettingsObject,
  confirmBody,
  disableBody,
  enrolmentObject,
  putAuthSettingsBody,
  sessionDeleted,
  sessionListResponse,
  sessionParams,
  twoFactorObject,
  userSessionParams,
} from './users.security.schemas.ts';
import { getUserRow } from './users.service.ts';
import { listSessions, revokeSession } from './users.session-list.ts';
import {
  confirmEnrolment,
  disableTwoFactor,
  getAuthSettings,
  putAuthSettings,
  resetTwoFactor,
  startEnrolment,
  twoFactorStatus,
} from './users.two-factor.ts';

const tags = ['Users'];
const signedIn = (auth: Auth) => {
  if (auth.kind !== 'user')
    throw new ApiError(
      'unprocessable',
      'This lists inbox sessions: call it with a session token, or use `/v1/users/{id}/sessions`.',
    );
  return auth.principalId;
};

export const securityRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/me/sessions',
    summary: 'List my sessions',
    description:
      "The signed-in user's open inbox sessions (one per sign-in), with where they were opened and when last used.",
    tags,
    auth: 'key',
    responses: { 200: sessionListResponse },
    errors: ['unprocessable'],
    handler: ok(({ ctx, auth }) => listSessions(ctx, auth, signedIn(auth), auth.sessionId)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/me/sessions/:id',
    summary: 'End one of my sessions',
    description:
      'Signs that session out (a lost phone, a shared computer): its token is refused from its next request.',
    tags,
    auth: 'key',
    params: sessionParams,
    responses: { 200: sessionDeleted },
    errors: ['unprocessable'],
    handler: ok(({ ctx, auth, params }) => revokeSession(ctx, auth, signedIn(auth), params.id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users/:id/sessions',
    summary: "List a user's sessions",
    description: "A user's open inbox sessions (admins).",
    tags,
    auth: 'key',
    scope: 'users:write',
    params: userSessionParams.pick({ id: true }),
    responses: { 200: sessionListResponse },
    handler: async ({ ctx, auth, params }) => {
      await getUserRow(ctx.db, auth, params.id);
      return { status: 200, body: await listSessions(ctx, auth, params.id, auth.sessionId) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/users/:id/sessions/:session_id',
    summary: "End a user's session",
    description: 'Signs one session of the user out (admins).',
    tags,
    auth: 'key',
    scope: 'users:write',
    params: userSessionParams,
    responses: { 200: sessionDeleted },
    handler: async ({ ctx, auth, params }) => {
      await getUserRow(ctx.db, auth, params.id);
      return { status: 200, body: await revokeSession(ctx, auth, params.id, params.session_id) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me/two-factor',
    summary: 'Is my two-factor sign-in on',
    description:
      "Whether the signed-in user's second factor is on (an enrolment started but not confirmed is not).",
    tags,
    auth: 'key',
    responses: { 200: twoFactorObject },
    errors: ['unprocessable'],
    handler: ok(({ ctx, auth }) => twoFactorStatus(ctx, auth)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/users/:id/two-factor',
    summary: "Reset a user's second factor",
    description:
      "For a user who lost their authenticator and their recovery codes (admins): the second factor is removed and the user's sessions end, so they sign in next with their password alone (and enrol again, in a workspace that requires it). Written to the audit log. A user without a second factor is a 409 `conflict`; a signed-in admin's own is a 422 (it goes with a code, `POST /v1/me/two-factor/disable`).",
    tags,
    auth: 'key',
    scope: 'users:write',
    params: userSessionParams.pick({ id: true }),
    responses: { 200: twoFactorObject },
    errors: ['not_found', 'conflict', 'unprocessable'],
    handler: ok(({ ctx, auth, params }) => resetTwoFactor(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/two-factor',
    summary: 'Start two-factor enrolment',
    description:
      'A new TOTP secret for the signed-in user, as an `otpauth://` URI and its QR code (SVG) for an authenticator app. Nothing changes at sign-in until `POST /v1/me/two-factor/confirm` with a code from the app.',
    tags,
    auth: 'key',
    responses: { 200: enrolmentObject },
    errors: ['conflict', 'unprocessable'],
    handler: ok(({ ctx, auth }) => startEnrolment(ctx, auth)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/two-factor/confirm',
    summary: 'Confirm two-factor enrolment',
    description:
      'Turns two-factor sign-in on with a first code from the app and answers ten single-use recovery codes, shown only here. A wrong code is a 400 and counts as a failed sign-in (the same limits as passwords).',
    tags,
    auth: 'key',
    body: confirmBody,
    responses: { 200: twoFactorObject },
    errors: ['conflict', 'unprocessable', 'rate_limited'],
    handler: ok(({ ctx, auth, body, request }) => confirmEnrolment(ctx, auth, body.totp_code, request.ip)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/two-factor/disable',
    summary: 'Turn two-factor sign-in off',
    description:
      'With a current code or a recovery code. A wrong one is a 400 and counts as a failed sign-in.',
    tags,
    auth: 'key',
    body: disableBody,
    responses: { 200: twoFactorObject },
    errors: ['conflict', 'unprocessable', 'rate_limited'],
    handler: ok(({ ctx, auth, body, request }) => disableTwoFactor(ctx, auth, body, request.ip)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/auth-settings',
    summary: 'Get sign-in settings',
    description: 'Whether the workspace requires two-factor sign-in of its inbox users.',
    tags,
    auth: 'key',
    scope: 'users:read',
    responses: { 200: authSettingsObject },
    handler: ok(({ ctx, auth }) => getAuthSettings(ctx, auth)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/auth-settings',
    summary: 'Set sign-in settings',
    description:
      'Admins may require two-factor sign-in: a user without a second factor then gets, at the next sign-in, a session that can only enrol (`two_factor_enrolment_required: true`).',
    tags,
    auth: 'key',
    scope: 'users:write',
    body: putAuthSettingsBody,
    responses: { 200: authSettingsObject },
    handler: ok(({ ctx, auth, body }) => putAuthSettings(ctx, auth, body)),
  }),
];
