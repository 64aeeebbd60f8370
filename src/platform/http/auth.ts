import type { AppContext } from '../context.ts';
import { sha256Hex } from '../crypto.ts';
import { ApiError } from '../errors.ts';
import { fromJson } from '../json.ts';
import { limitsFor, type PlanLimits } from '../limits.ts';
import type { Auth } from './route.ts';

export const API_KEY_PATTERN = /^prl_(live|test)_[A-Za-z0-9_-]{20,}$/;

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function credentialFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key.trim()) return key.trim();
  return undefined;
}

export { API_KEYS_CHANGED, ApiKeyCache } from './api-key-cache.ts';

export async function authenticate(
  ctx: AppContext,
  headers: Record<string, string | string[] | undefined>,
): Promise<Auth> {
  const credential = credentialFrom(headers);
  if (!credential) {
    throw new ApiError(
      'unauthorized',
      'No API key. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
    );
  }
  if (!API_KEY_PATTERN.test(credential)) {
    const session = ctx.sessionVerifier ? await ctx.sessionVerifier(ctx, credential) : null;
    if (session) return session;
    throw new ApiError(
      'unauthorized',
      /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential)
        ? 'This inbox session is no longer valid (it expired, or its user was deleted). Sign in again.'
        : 'Invalid API key. Check your Authorization header.',
    );
  }
  const hash = sha256Hex(credential);
  const now = Date.now();
  const cached = ctx.apiKeys.get(hash, now);
  if (cached) return cached;
  return ctx.apiKeys.load(hash, now, () => lookupApiKey(ctx, hash, now));
}

/** Reads a key (by its hash) and its workspace; records when it was used, to the minute. */
async function lookupApiKey(ctx: AppContext, hash: string, now: number): Promise<Auth> {
  const row = await ctx.db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
    .select([
      'api_keys.id',
      'api_keys.workspace_id',
      'api_keys.livemode',
      'api_keys.scopes',
      'api_keys.prefix',
      'api_keys.revoked_at',
      'api_keys.last_used_at',
      'workspaces.name as workspace_name',
      'workspaces.plan',
      'workspaces.limits',
      'workspaces.default_country',
    ])
    .where('api_keys.key_hash', '=', hash)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) {
    throw new ApiError(
      'unauthorized',
      row ? 'This API key has been revoked.' : 'Invalid API key. Check your Authorization header.',
    );
  }
  const auth: Auth = {
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    livemode: row.livemode === 1,
    principalId: row.id,
    kind: 'api_key',
    keyPrefix: row.prefix,
    scopes: fromJson<string[]>(row.scopes, []),
    plan: row.plan,
    limits: limitsFor(row.plan, fromJson<Partial<PlanLimits> | null>(row.limits, null)),
    defaultCountry: row.default_country,
    actor: { type: 'api_key', id: row.id },
  };
  // `last_used_at` to the minute: written when a process looks the key up (at most every cache
  // period) and the stored time is a minute old. A failed write never fails the request.
  if (!row.last_used_at || now - Date.parse(row.last_used_at) >= 60_000) {
    try {
      await ctx.db
        .updateTable('api_keys')
        .set({ last_used_at: new Date(now).toISOString() })
        .where('id', '=', row.id)
        .execute();
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message, keyId: row.id }, 'recording when a key was used failed');
    }
  }
  return auth;
}

/**
 * `*` grants everything; `contacts:*` every action on contacts; `contacts:write` implies
 * `contacts:read`.
 */
export function hasScope(granted: string[], required: string): boolean {
  if (granted.includes('*') || granted.includes(required)) return true;
  const [resource, action] = required.split(':');
  if (granted.includes(`${resource}:*`)) return true;
  return action === 'read' && granted.includes(`${resource}:write`);
}

export function requireScope(auth: Auth, scope: string) {
  if (!hasScope(auth.scopes, scope)) {
    const message =
      auth.kind === 'user'
        ? `Your role cannot do this (it needs the \`${scope}\` permission): ask an admin of this workspace.`
        : `This key lacks the \`${scope}\` scope.`;
    throw new ApiError('forbidden', message, {
      details: { required_scope: scope },
    });
  }
}
