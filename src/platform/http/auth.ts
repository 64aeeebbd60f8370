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

/** Verifies an inbox session token; installed by the users module. */
export type SessionVerifier = (ctx: AppContext, token: string) => Promise<Auth | null>;
let sessionVerifier: SessionVerifier | undefined;
export function setSessionVerifier(v: SessionVerifier) {
  sessionVerifier = v;
}

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
    const session = sessionVerifier ? await sessionVerifier(ctx, credential) : null;
    if (session) return session;
    throw new ApiError('unauthorized', 'Invalid API key. Check your Authorization header.');
  }
  const hash = sha256Hex(credential);
  const now = Date.now();
  const cached = ctx.apiKeys.get(hash, now);
  if (cached) return cached;
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
  ctx.apiKeys.set(hash, auth, now);
  return auth;
}

/** Published when a key is revoked: every process drops its cached keys. */
export const API_KEYS_CHANGED = 'parley:api-keys:changed';

/**
 * Valid keys, by hash, for a short time: most requests then need no database read to
 * authenticate. Revocation clears it in every process at once (through the message bus), and
 * the time limit bounds how long an out-of-band change (a plan edited in the database) can lag.
 */
export class ApiKeyCache {
  readonly #entries = new Map<string, { auth: Auth; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  constructor(opts: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#maxEntries = opts.maxEntries ?? 10_000;
  }
  get(hash: string, now: number): Auth | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.auth;
    this.#entries.delete(hash);
    return undefined;
  }
  set(hash: string, auth: Auth, now: number) {
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(hash, { auth, expiresAt: now + this.#ttlMs });
  }
  clear() {
    this.#entries.clear();
  }
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
    throw new ApiError('forbidden', `This key lacks the \`${scope}\` scope.`, {
      details: { required_scope: scope },
    });
  }
}
