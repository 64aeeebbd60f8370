import type { Auth } from './route.ts';

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
