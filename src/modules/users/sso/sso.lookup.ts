import type { AppContext } from '../../../platform/context.ts';
import { inPartialScope } from '../../../platform/db/scope.ts';
import { invalidField } from '../../../platform/errors.ts';
import { fromJson } from '../../../platform/json.ts';
import { ssoSettingsRow, startPath } from './sso.settings.ts';

const noSso = {
  object: 'sso_lookup' as const,
  enabled: false,
  workspace_id: null,
  protocol: null,
  start_url: null,
};

/**
 * Which workspace's identity provider signs a person in, from their work email (the workspaces
 * whose allowed domains list its domain) or the workspace they name. Two workspaces listing the
 * same domain: the person names theirs.
 */
export async function lookupSso(
  ctx: AppContext,
  input: { email?: string; workspace_id?: string; mode?: 'live' | 'test' },
) {
  if (input.mode) return lookupInMode(ctx, input, input.mode === 'live');
  const live = await lookupInMode(ctx, input, true);
  return live.enabled ? live : lookupInMode(ctx, input, false);
}

async function lookupInMode(
  ctx: AppContext,
  input: { email?: string; workspace_id?: string },
  livemode: boolean,
) {
  let workspaceId = input.workspace_id;
  if (input.email) {
    const domain = input.email.split('@')[1] ?? '';
    const rows = await ctx.db
      .selectFrom('sso_settings')
      .select(['workspace_id', 'allowed_email_domains'])
      .where(inPartialScope({ livemode }))
      .where('enabled', '=', 1)
      .where('allowed_email_domains', 'like', `%"${domain.replace(/[%_\\]/g, '')}"%`)
      .limit(10)
      .execute();
    const matching = rows.filter((r) => fromJson<string[]>(r.allowed_email_domains, []).includes(domain));
    if (matching.length > 1)
      throw invalidField(
        'workspace_id',
        'several workspaces sign in people of this domain: give workspace_id',
      );
    workspaceId = matching[0]?.workspace_id;
  }
  if (!workspaceId) return noSso;
  const row = await ssoSettingsRow(ctx, { workspaceId, livemode });
  if (row?.enabled !== 1) return noSso;
  return {
    object: 'sso_lookup' as const,
    enabled: true,
    workspace_id: workspaceId,
    protocol: row.protocol,
    start_url: startPath(workspaceId, livemode, row.protocol),
  };
}
