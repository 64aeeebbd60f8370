import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { recordAudit } from '../../platform/audit.ts';
import type { AppContext } from '../../platform/context.ts';
import { loadSecretKey } from '../../platform/context.ts';
import { inPartialScope, inScope } from '../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import type { Auth } from '../../platform/http/route.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { roleGrant } from './roles.service.ts';
import { refuseIfSsoOnly } from './sso/sso.password.ts';
import { loginFailed, loginSucceeded, throttleLogin } from './users.login-throttle.ts';
import { presentUser, SESSION_TTL_SECONDS, type UsersTable } from './users.service.ts';
import { openSession, revokeAllSessions } from './users.session-list.ts';
import { checkSecondFactor, twoFactorOf, workspaceRequiresTwoFactor } from './users.two-factor.ts';
import { viewOf } from './users.view.ts';

// Sessions

const JWT_ISSUER = 'parley';
const JWT_AUDIENCE = 'parley-inbox';

/** PARLEY_JWT_SECRET, else an HMAC of a fixed label with the secret key (stable across processes sharing the key). */
export function sessionSecret(ctx: AppContext): Uint8Array {
  if (ctx.config.jwtSecret) return new TextEncoder().encode(ctx.config.jwtSecret);
  return createHmac('sha256', loadSecretKey(ctx.config)).update('parley:inbox-session-jwt:v1').digest();
}

const unauthorizedLogin = () => new ApiError('unauthorized', 'Invalid email or password.');

export async function login(
  ctx: AppContext,
  secret: Uint8Array,
  input: {
    email: string;
    password: string;
    workspace_id?: string;
    mode?: 'live' | 'test';
    totp_code?: string;
    recovery_code?: string;
  },
  clientAddress = 'unknown',
  userAgent?: string,
) {
  const email = input.email.trim().toLowerCase();
  // Counted before anything is looked up, so a throttled answer is the same, and as fast, for
  // an email that has an account and one that has none.
  await throttleLogin(ctx, email, clientAddress);
  const candidates = (
    await ctx.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .where(
        inPartialScope({
          workspaceId: input.workspace_id || undefined,
          livemode: input.mode ? input.mode === 'live' : undefined,
        }),
      )
      .limit(20)
      .execute()
  ).filter((u) => u.password_hash !== null && u.active !== 0);
  if (!candidates.length) {
    await verifyPassword(input.password, DUMMY_HASH);
    await loginFailed(ctx, email, clientAddress);
    throw unauthorizedLogin();
  }
  const matches: UsersTable[] = [];
  for (const u of candidates)
    if (await verifyPassword(input.password, u.password_hash as string)) matches.push(u);
  if (!matches.length) {
    await loginFailed(ctx, email, clientAddress);
    throw unauthorizedLogin();
  }
  if (matches.length > 1) {
    // Only someone holding the password learns that the account exists in several places.
    throw invalidField(
      'workspace_id',
      'this email signs in to several workspaces or modes; give workspace_id (and mode)',
    );
  }
  const user = matches[0];
  const scope = { workspaceId: user.workspace_id, livemode: user.livemode === 1 };
  await refuseIfSsoOnly(ctx, user, clientAddress);
  // The second factor: asked for once the password is right; a wrong code counts as a failure.
  const tf = await twoFactorOf(ctx, user.id);
  if (tf?.enabled_at) {
    if (!input.totp_code && !input.recovery_code)
      throw new ApiError(
        'unauthorized',
        'This account uses two-factor sign-in: give `totp_code` (or `recovery_code`).',
        {
          details: { two_factor_required: true },
        },
      );
    if (!(await checkSecondFactor(ctx, tf, input))) {
      await loginFailed(ctx, email, clientAddress);
      await recordAudit(ctx.db, {
        ...scope,
        actor: { type: 'user', id: user.id },
        action: 'auth.two_factor_failed',
        objectType: 'user',
        objectId: user.id,
        ip: clientAddress,
        at: ctx.clock.now().toISOString(),
      });
      throw new ApiError('unauthorized', 'Invalid two-factor code (or it was used already).', {
        details: { two_factor_required: true },
      });
    }
  }
  await loginSucceeded(ctx, email, clientAddress);
  // Hashes from before argon2id (or with older parameters) are replaced now that the password is known.
  if (needsRehash(user.password_hash as string))
    await ctx.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(input.password) })
      .where('id', '=', user.id)
      .execute();
  // A workspace that requires a second factor lets a user without one only enrol.
  const enrolOnly = !tf?.enabled_at && (await workspaceRequiresTwoFactor(ctx, scope));
  return issueSession(
    ctx,
    secret,
    user,
    { ip: clientAddress, userAgent },
    {
      method: 'password',
      twoFactor: Boolean(tf?.enabled_at),
      enrolOnly,
    },
  );
}

/**
 * Opens a session for a user who proved who they are (a password and second factor, or the
 * identity provider's word: `method`), records the sign-in, and answers the session token.
 */
export async function issueSession(
  ctx: AppContext,
  secret: Uint8Array,
  user: UsersTable,
  client: { ip: string; userAgent: string | undefined },
  how: { method: 'password' | 'oidc' | 'saml'; twoFactor: boolean; enrolOnly: boolean },
) {
  const { enrolOnly } = how;
  const scope = { workspaceId: user.workspace_id, livemode: user.livemode === 1 };
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_SECONDS * 1000);
  const sid = await openSession(ctx, scope, user.id, client, expiresAt);
  await recordAudit(ctx.db, {
    ...scope,
    actor: { type: 'user', id: user.id },
    action: 'auth.sign_in',
    objectType: 'session',
    objectId: sid,
    ip: client.ip,
    details: {
      ...(how.method === 'password' ? {} : { method: how.method }),
      two_factor: how.twoFactor,
      enrolment_only: enrolOnly,
    },
    at: now.toISOString(),
  });
  const token = await new SignJWT({
    ws: user.workspace_id,
    lm: user.livemode === 1,
    role: user.role,
    sv: user.session_version,
    sid,
    ...(enrolOnly ? { enr: true } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(secret);
  return {
    token,
    expires_at: expiresAt.toISOString(),
    user: presentUser(user),
    two_factor_enrolment_required: enrolOnly,
  };
}

/**
 * Ends every open session of the signed-in user (`POST /v1/auth/logout`): their session version
 * moves on, so every token signed before stops working at once, in every process.
 */
export async function logout(ctx: AppContext, auth: Auth) {
  if (auth.kind !== 'user')
    throw new ApiError(
      'unprocessable',
      'Signing out ends inbox sessions; an API key is revoked with `DELETE /v1/api-keys/{id}` instead.',
    );
  await ctx.db
    .updateTable('users')
    .set((eb) => ({ session_version: eb('session_version', '+', 1) }))
    .where('id', '=', auth.principalId)
    .execute();
  await revokeAllSessions(ctx, auth.principalId);
}

interface SessionClaims {
  sub: string;
  ws: string;
  livemode: boolean;
  version: number;
  sid: string;
  enrolOnly: boolean;
}

async function readClaims(ctx: AppContext, secret: Uint8Array, token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ['HS256'],
      currentDate: ctx.clock.now(),
    });
    const { sub, ws, lm, sv, sid, enr } = payload;
    if (!sub || typeof ws !== 'string' || typeof lm !== 'boolean' || typeof sid !== 'string') return null;
    // A token from before session versions counts as version 0.
    const version = sv === undefined ? 0 : sv;
    if (typeof version !== 'number' || !Number.isInteger(version)) return null;
    return { sub, ws, livemode: lm, version, sid, enrolOnly: enr === true };
  } catch {
    return null;
  }
}

/**
 * Turns a session JWT into an `Auth`. The user is read again on every request, so a deleted
 * user's sessions stop at once, a role change applies at once, and a token whose session version
 * is not the user's (after a password change, a role change or a sign-out) is refused.
 */
export async function verifySession(
  ctx: AppContext,
  secret: Uint8Array,
  token: string,
): Promise<Auth | null> {
  const claims = await readClaims(ctx, secret, token);
  if (!claims) return null;
  const row = await ctx.db
    .selectFrom('users')
    .select([
      'users.id',
      'users.role',
      'users.livemode',
      'users.session_version',
      'users.workspace_id',
      'users.active',
    ])
    .innerJoin('user_sessions', 'user_sessions.user_id', 'users.id')
    .select(['user_sessions.revoked_at', 'user_sessions.last_seen_at'])
    .where('user_sessions.id', '=', claims.sid)
    .where('users.id', '=', claims.sub)
    .where(inScope({ workspaceId: claims.ws, livemode: claims.livemode }, 'users'))
    .executeTakeFirst();
  if (!row || Number(row.session_version) !== claims.version || row.revoked_at !== null || row.active === 0)
    return null;
  await noteSeen(ctx, claims.sid, row.last_seen_at);
  const terms = await workspaceTerms(ctx.db, row.workspace_id);
  const scope = { workspaceId: row.workspace_id, livemode: claims.livemode };
  const grant = await roleGrant(ctx.db, scope, row.role);
  const view = await viewOf(ctx.db, row.id, grant);
  return {
    workspaceId: row.workspace_id,
    workspaceName: terms.name,
    livemode: claims.livemode,
    principalId: row.id,
    kind: 'user',
    // Signed in without the second factor the workspace requires: only enrolment (unscoped routes).
    scopes: claims.enrolOnly ? [] : grant.permissions,
    ...(view ? { view } : {}),
    sessionId: claims.sid,
    plan: terms.plan,
    limits: terms.limits,
    defaultCountry: terms.defaultCountry,
    actor: { type: 'user', id: row.id },
  };
}

/** When a session was last used, to the minute (a failed write never fails the request). */
async function noteSeen(ctx: AppContext, sid: string, lastSeen: string) {
  const now = ctx.clock.now();
  if (now.getTime() - Date.parse(lastSeen) < 60_000) return;
  try {
    await ctx.db
      .updateTable('user_sessions')
      .set({ last_seen_at: now.toISOString() })
      .where('id', '=', sid)
      .execute();
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message }, 'recording when a session was used failed');
  }
}
