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
  /** Look-ups under way, by hash: requests that arrive while one runs share it (single flight). */
  readonly #inflight = new Map<string, Promise<Auth>>();
  /** Bumped by `clear()`: a look-up that started before a revocation does not fill the cache. */
  #generation = 0;
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
  /**
   * The key's auth from `lookup`, run once for all the requests that ask while it runs (when a key
   * expires from the cache under load, hundreds of requests in flight would otherwise each read
   * it), and cached unless the cache was cleared meanwhile.
   */
  load(hash: string, now: number, lookup: () => Promise<Auth>): Promise<Auth> {
    const running = this.#inflight.get(hash);
    if (running) return running;
    const generation = this.#generation;
    const p = lookup()
      .then((auth) => {
        if (generation === this.#generation) this.set(hash, auth, now);
        return auth;
      })
      .finally(() => {
        if (this.#inflight.get(hash) === p) this.#inflight.delete(hash);
      });
    this.#inflight.set(hash, p);
    return p;
  }
  clear() {
    this.#generation++;
    this.#entries.clear();
    this.#inflight.clear();
  }
}
