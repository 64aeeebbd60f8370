import { recordAudit } from '../../../platform/audit.ts';
import type { AppContext } from '../../../platform/context.ts';
import { ApiError } from '../../../platform/errors.ts';
import type { UsersTable } from '../users.tables.ts';
import { ssoSettingsRow } from './sso.settings.ts';

/**
 * "SSO only": a right password no longer signs in, except the break-glass admin's (the way in
 * when the identity provider is down). Asked once the password is known right, so the refusal
 * tells nothing to someone without it; recorded in the audit log.
 */
export async function refuseIfSsoOnly(ctx: AppContext, user: UsersTable, ip: string) {
  const scope = { workspaceId: user.workspace_id, livemode: user.livemode === 1 };
  const settings = await ssoSettingsRow(ctx, scope);
  if (settings?.enabled !== 1 || settings.sso_only !== 1) return;
  if (settings.break_glass_user_id === user.id) return;
  await recordAudit(ctx.db, {
    ...scope,
    actor: { type: 'user', id: user.id },
    action: 'auth.sign_in_refused',
    objectType: 'user',
    objectId: user.id,
    ip,
    details: { method: 'password', reason: 'sso_only' },
    at: ctx.clock.now().toISOString(),
  });
  throw new ApiError(
    'forbidden',
    'This workspace signs in with single sign-on only: use "Sign in with SSO" (docs/sso.md).',
    { details: { sso_only: true } },
  );
}
