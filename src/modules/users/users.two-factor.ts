import { renderSVG } from 'uqr';
import type { AppContext } from '../../platform/context.ts';
import { type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import type { Auth } from '../../platform/http/route.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { loginFailed, throttleLogin } from './users.login-throttle.ts';
import type { UserTwoFactorTable } from './users.security.tables.ts';
import { revokeAllSessions } from './users.session-list.ts';
import { hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, otpauthUri } from './users.totp.ts';

const sessionOnly = (auth: Auth) => {
  if (auth.kind !== 'user')
    throw new ApiError(
      'unprocessable',
      'Two-factor sign-in is for inbox users: call this with a session token.',
    );
};

export async function twoFactorOf(ctx: AppContext, userId: string): Promise<UserTwoFactorTable | undefined> {
  return ctx.db.selectFrom('user_two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function workspaceRequiresTwoFactor(ctx: AppContext, scope: Scope): Promise<boolean> {
  const row = await tenant(ctx.db, scope)
    .selectFrom('auth_settings')
    .select('require_two_factor')
    .executeTakeFirst();
  return row?.require_two_factor === 1;
}

export async function getAuthSettings(ctx: AppContext, scope: Scope) {
  return {
    object: 'auth_settings' as const,
    require_two_factor: await workspaceRequiresTwoFactor(ctx, scope),
  };
}

export async function putAuthSettings(ctx: AppContext, scope: Scope, input: { require_two_factor: boolean }) {
  const values = {
    require_two_factor: input.require_two_factor ? 1 : 0,
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db
    .insertInto('auth_settings')
    .values({ ...scopeColumns(scope), ...values })
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doUpdateSet(values))
    .execute();
  return getAuthSettings(ctx, scope);
}

async function userEmail(ctx: AppContext, userId: string): Promise<string> {
  const row = await ctx.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.email;
}

/** Starts (or restarts) enrolment: a new secret, as an otpauth URI and a QR code of it. */
export async function startEnrolment(ctx: AppContext, auth: Auth) {
  sessionOnly(auth);
  const existing = await twoFactorOf(ctx, auth.principalId);
  if (existing?.enabled_at)
    throw new ApiError(
      'conflict',
      'Two-factor sign-in is already on: turn it off first to enrol a new device.',
    );
  const secret = newTotpSecret();
  const row: UserTwoFactorTable = {
    user_id: auth.principalId,
    secret: ctx.secrets.seal(secret),
    enabled_at: null,
    last_step: 0,
    recovery_codes: '[]',
    created_at: ctx.clock.now().toISOString(),
  };
  await ctx.db
    .insertInto('user_two_factor')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret: row.secret, created_at: row.created_at }))
    .execute();
  const uri = otpauthUri(secret, `Parley (${auth.workspaceName})`, await userEmail(ctx, auth.principalId));
  return { object: 'two_factor_enrolment' as const, secret, otpauth_uri: uri, qr_svg: renderSVG(uri) };
}

/**
 * A code (TOTP or an unused recovery code) checked against the user's second factor: true when it
 * is right. A TOTP code is accepted once; a recovery code is used up.
 */
export async function checkSecondFactor(
  ctx: AppContext,
  tf: UserTwoFactorTable,
  code: { totp_code?: string; recovery_code?: string },
): Promise<boolean> {
  if (code.totp_code) {
    const step = matchTotp(
      ctx.secrets.open(tf.secret),
      code.totp_code.trim(),
      ctx.clock.now().getTime(),
      tf.last_step,
    );
    if (step === null) return false;
    const r = await ctx.db
      .updateTable('user_two_factor')
      .set({ last_step: step })
      .where('user_id', '=', tf.user_id)
      .where('last_step', '<', step)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  if (code.recovery_code) {
    const hash = hashRecoveryCode(code.recovery_code);
    const codes = fromJson<string[]>(tf.recovery_codes, []);
    if (!codes.includes(hash)) return false;
    const r = await ctx.db
      .updateTable('user_two_factor')
      .set({ recovery_codes: toJson(codes.filter((c) => c !== hash)) })
      .where('user_id', '=', tf.user_id)
      .where('recovery_codes', '=', tf.recovery_codes)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  return false;
}

/** A wrong code counts as a failed sign-in of the user (the same throttle as passwords). */
async function requireCode(
  ctx: AppContext,
  auth: Auth,
  tf: UserTwoFactorTable,
  code: { totp_code?: string; recovery_code?: string },
  clientAddress: string,
) {
  const email = await userEmail(ctx, auth.principalId);
  await throttleLogin(ctx, email, clientAddress);
  if (!(await checkSecondFactor(ctx, tf, code))) {
    await loginFailed(ctx, email, clientAddress);
    throw invalidField(
      code.recovery_code ? 'recovery_code' : 'totp_code',
      'is not a valid code (or was used already)',
    );
  }
}

/** Confirms enrolment with a first code; answers the recovery codes, shown only here. */
export async function confirmEnrolment(ctx: AppContext, auth: Auth, totpCode: string, clientAddress: string) {
  sessionOnly(auth);
  const tf = await twoFactorOf(ctx, auth.principalId);
  if (!tf) throw new ApiError('unprocessable', 'Start enrolment first: `POST /v1/me/two-factor`.');
  if (tf.enabled_at) throw new ApiError('conflict', 'Two-factor sign-in is already on.');
  await requireCode(ctx, auth, tf, { totp_code: totpCode }, clientAddress);
  const codes = newRecoveryCodes();
  await ctx.db
    .updateTable('user_two_factor')
    .set({ enabled_at: ctx.clock.now().toISOString(), recovery_codes: toJson(codes.map(hashRecoveryCode)) })
    .where('user_id', '=', auth.principalId)
    .execute();
  return { object: 'two_factor' as const, enabled: true, recovery_codes: codes };
}

/** Turns the second factor off, with a current code (or a recovery code). */
export async function disableTwoFactor(
  ctx: AppContext,
  auth: Auth,
  code: { totp_code?: string; recovery_code?: string },
  clientAddress: string,
) {
  sessionOnly(auth);
  const tf = await twoFactorOf(ctx, auth.principalId);
  if (!tf?.enabled_at) throw new ApiError('conflict', 'Two-factor sign-in is not on.');
  await requireCode(ctx, auth, tf, code, clientAddress);
  await ctx.db.deleteFrom('user_two_factor').where('user_id', '=', auth.principalId).execute();
  return { object: 'two_factor' as const, enabled: false };
}

/** Whether the signed-in user's second factor is on (an enrolment not confirmed is not). */
export async function twoFactorStatus(ctx: AppContext, auth: Auth) {
  sessionOnly(auth);
  const tf = await twoFactorOf(ctx, auth.principalId);
  return { object: 'two_factor' as const, enabled: Boolean(tf?.enabled_at) };
}

/**
 * An admin's reset of another user's second factor (a lost phone): it goes, with any enrolment
 * under way, and the user's sessions end, so the next sign-in is with the password alone (or, in
 * a workspace that requires a second factor, an enrolment). Not one's own: that needs a code.
 */
export async function resetTwoFactor(ctx: AppContext, auth: Auth, userId: string) {
  await tenant(ctx.db, auth).getById('users', userId, 'user');
  // One's own goes only with a code: a session left open must not be enough to turn it off.
  if (auth.kind === 'user' && auth.principalId === userId)
    throw new ApiError(
      'unprocessable',
      'Your own second factor is turned off with a code: `POST /v1/me/two-factor/disable`.',
    );
  const tf = await twoFactorOf(ctx, userId);
  if (!tf?.enabled_at)
    throw new ApiError('conflict', 'This user has no second factor to reset: two-factor sign-in is not on.');
  await ctx.db.deleteFrom('user_two_factor').where('user_id', '=', userId).execute();
  await revokeAllSessions(ctx, userId);
  return { object: 'two_factor' as const, enabled: false };
}
