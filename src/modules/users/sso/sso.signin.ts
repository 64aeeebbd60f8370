import { recordAudit } from '../../../platform/audit.ts';
import type { AppContext } from '../../../platform/context.ts';
import { randomToken, sha256Hex } from '../../../platform/crypto.ts';
import { type Scope, scopeColumns, tenant } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { fromJson } from '../../../platform/json.ts';
import { roleIdIfExists } from '../roles.service.ts';
import { createUser } from '../users.service.ts';
import { issueSession } from '../users.sessions.ts';
import type { UsersTable } from '../users.tables.ts';
import type { RoleMapping } from './sso.settings.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

const HANDOFF_SECONDS = 120;

/** Why an identity provider's sign-in was refused: the code the inbox shows, and the audit's reason. */
export class SsoRefusal extends Error {
  readonly reason: string;
  readonly email: string | undefined;
  constructor(reason: string, message: string, email?: string) {
    super(message);
    this.reason = reason;
    this.email = email;
  }
}

/** What the identity provider said about the person, read from the id_token (or the assertion). */
export interface Vouched {
  email: string | undefined;
  emailVerified: boolean | undefined;
  name: string | undefined;
  /** The values of the role claim (groups, app roles). */
  roleValues: string[];
  subject: string;
}

/** The claim's values as strings: a list, or one value. */
export function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

function mappedRole(settings: SsoSettingsTable, vouched: Vouched): string | undefined {
  if (!settings.role_claim) return undefined;
  const mapping = fromJson<RoleMapping[]>(settings.role_mapping, []);
  return mapping.find((m) => vouched.roleValues.includes(m.value))?.role;
}

function checkEmail(settings: SsoSettingsTable, vouched: Vouched): string {
  const email = vouched.email?.trim().toLowerCase();
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new SsoRefusal(
      'no_email',
      `The identity provider sent no email (claim \`${settings.email_claim}\`).`,
    );
  if (vouched.emailVerified === false)
    throw new SsoRefusal(
      'email_not_verified',
      'The identity provider says this email is not verified.',
      email,
    );
  const domain = email.split('@')[1]!;
  if (!fromJson<string[]>(settings.allowed_email_domains, []).includes(domain))
    throw new SsoRefusal('domain_not_allowed', `Email addresses at ${domain} may not sign in here.`, email);
  return email;
}

/**
 * The user the identity provider vouched for: found by email in the workspace and mode, or made
 * now when just-in-time creation is on; the role mapping applies at every sign-in (a changed
 * role ends the user's other sessions, as a role change by an admin does). Refusals are thrown
 * before anything is written.
 */
export async function userForSignIn(
  ctx: AppContext,
  scope: Scope,
  settings: SsoSettingsTable,
  vouched: Vouched,
): Promise<{ user: UsersTable; created: boolean }> {
  const email = checkEmail(settings, vouched);
  const mapped = mappedRole(settings, vouched);
  const role = mapped === undefined ? undefined : await roleIdIfExists(ctx.db, scope, mapped);
  if (mapped !== undefined && role === undefined)
    throw new SsoRefusal(
      'unknown_role',
      `The role mapping names a role that does not exist: ${mapped}.`,
      email,
    );
  const existing = await tenant(ctx.db, scope)
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirst();
  if (existing) {
    if (role === undefined || role === existing.role) return { user: existing, created: false };
    const now = ctx.clock.now().toISOString();
    await tenant(ctx.db, scope)
      .updateTable('users')
      .set((eb) => ({ role, updated_at: now, session_version: eb('session_version', '+', 1) }))
      .where('id', '=', existing.id)
      .execute();
    return {
      user: { ...existing, role, updated_at: now, session_version: existing.session_version + 1 },
      created: false,
    };
  }
  if (settings.jit_provisioning !== 1)
    throw new SsoRefusal(
      'no_user',
      'No user has this email here, and users are not created at sign-in.',
      email,
    );
  const jitRole = role ?? (await roleIdIfExists(ctx.db, scope, settings.default_role));
  if (jitRole === undefined)
    throw new SsoRefusal('unknown_role', `The default role does not exist: ${settings.default_role}.`, email);
  const name = vouched.name?.trim().slice(0, 200) || email.split('@')[0]!;
  const created = await createUser(ctx, scope, { name, email, role: jitRole });
  const user = await tenant(ctx.db, scope).getById('users', created.id, 'user');
  return { user, created: true };
}

/** A refusal in the audit log: who the provider said it was (if it said), and why. */
export async function auditRefusal(
  ctx: AppContext,
  scope: Scope,
  method: 'oidc' | 'saml',
  refusal: { reason: string; message: string; email?: string },
  ip: string,
) {
  await recordAudit(ctx.db, {
    ...scope,
    actor: { type: 'system', id: null },
    action: 'auth.sign_in_refused',
    objectType: 'sso_settings',
    objectId: scope.workspaceId,
    ip,
    details: {
      method,
      reason: refusal.reason,
      message: refusal.message,
      ...(refusal.email ? { email: refusal.email } : {}),
    },
    at: ctx.clock.now().toISOString(),
  });
}

/**
 * After the provider vouched: a one-time code for the inbox to take its session with
 * (`POST /v1/auth/sso/exchange`), so the session token never travels in an address.
 */
export async function handOff(
  ctx: AppContext,
  user: UsersTable,
  method: 'oidc' | 'saml',
  created: boolean,
  ip: string,
): Promise<string> {
  const code = randomToken(24);
  const now = ctx.clock.now();
  const scope = { workspaceId: user.workspace_id, livemode: user.livemode === 1 };
  await ctx.db
    .insertInto('sso_handoffs')
    .values({
      id: sha256Hex(code),
      user_id: user.id,
      ...scopeColumns(scope),
      method,
      expires_at: new Date(now.getTime() + HANDOFF_SECONDS * 1000).toISOString(),
      created_at: now.toISOString(),
    })
    .execute();
  await ctx.db.deleteFrom('sso_handoffs').where('expires_at', '<', now.toISOString()).execute();
  if (created)
    await recordAudit(ctx.db, {
      ...scope,
      actor: { type: 'system', id: null },
      action: 'auth.sso_user_created',
      objectType: 'user',
      objectId: user.id,
      ip,
      details: { method, email: user.email, role: user.role },
      at: now.toISOString(),
    });
  return code;
}

const badCode = () =>
  new ApiError(
    'unauthorized',
    'This sign-in code is unknown, used already or expired: sign in with SSO again.',
  );

/** The inbox's half of the hand-off: the code (once, within 2 minutes) for a session. */
export async function exchangeHandoff(
  ctx: AppContext,
  secret: Uint8Array,
  code: string,
  client: { ip: string; userAgent: string | undefined },
) {
  const row = await ctx.db
    .deleteFrom('sso_handoffs')
    .where('id', '=', sha256Hex(code))
    .returningAll()
    .executeTakeFirst();
  if (!row || row.expires_at <= ctx.clock.now().toISOString()) throw badCode();
  const user = await tenant(ctx.db, { workspaceId: row.workspace_id, livemode: row.livemode === 1 })
    .selectFrom('users')
    .selectAll()
    .where('id', '=', row.user_id)
    .executeTakeFirst();
  if (!user) throw badCode();
  return issueSession(ctx, secret, user, client, { method: row.method, twoFactor: false, enrolOnly: false });
}
