import type { Redis } from 'ioredis';
import { ApiError } from './errors.ts';

/** What each plan allows. `null` means unlimited. Workspaces may override any of these. */
export interface PlanLimits {
  requests_per_minute: number | null;
  requests_per_day: number | null;
  messages_per_hour: number | null;
  knowledge_writes_per_day: number | null;
  imports_per_minute: number | null;
  concurrent_calls: number | null;
}

export const plans = {
  starter: {
    requests_per_minute: 60,
    requests_per_day: 5_000,
    messages_per_hour: 60,
    knowledge_writes_per_day: 20,
    imports_per_minute: 10,
    concurrent_calls: 5,
  },
  growth: {
    requests_per_minute: 300,
    requests_per_day: 50_000,
    messages_per_hour: 1_000,
    knowledge_writes_per_day: 500,
    imports_per_minute: 10,
    concurrent_calls: 20,
  },
  enterprise: {
    requests_per_minute: 3_000,
    requests_per_day: null,
    messages_per_hour: null,
    knowledge_writes_per_day: null,
    imports_per_minute: 60,
    concurrent_calls: 100,
  },
} as const satisfies Record<string, PlanLimits>;

export type PlanName = keyof typeof plans;
export const limitNames = Object.keys(plans.starter) as [keyof PlanLimits, ...(keyof PlanLimits)[]];
export const planNames = Object.keys(plans) as [PlanName, ...PlanName[]];

export function limitsFor(plan: string, overrides: Partial<PlanLimits> | null): PlanLimits {
  const base = plans[plan as PlanName] ?? plans.starter;
  return { ...base, ...(overrides ?? {}) };
}

export interface WindowHit {
  /** Count in the window after this hit (or before it, when the hit was refused). */
  count: number;
  /** When the window ends (ms since epoch). */
  resetAtMs: number;
}

/** Fixed-window counters: in process by default, in Redis when scaled (shared by every process). */
export interface RateLimitStore {
  /** Adds `cost` to the window's count unless that would pass `limit`; says what the count is. */
  hit(
    key: string,
    windowMs: number,
    limit: number,
    cost: number,
    nowMs: number,
  ): Promise<WindowHit & { allowed: boolean }>;
  close(): Promise<void>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, { count: number; resetAtMs: number }>();
  #lastSweep = 0;

  async hit(key: string, windowMs: number, limit: number, cost: number, nowMs: number) {
    const windowStart = nowMs - (nowMs % windowMs);
    const id = `${key}:${windowStart}`;
    let w = this.#windows.get(id);
    if (!w) {
      w = { count: 0, resetAtMs: windowStart + windowMs };
      this.#windows.set(id, w);
      this.#sweep(nowMs);
    }
    if (w.count + cost > limit) return { allowed: false, count: w.count, resetAtMs: w.resetAtMs };
    w.count += cost;
    return { allowed: true, count: w.count, resetAtMs: w.resetAtMs };
  }

  #sweep(nowMs: number) {
    if (nowMs - this.#lastSweep < 60_000) return;
    this.#lastSweep = nowMs;
    for (const [k, w] of this.#windows) if (w.resetAtMs <= nowMs) this.#windows.delete(k);
  }

  async close() {}
}

// Adds the cost only when it fits, atomically, and sets the window's expiry on first use.
const HIT_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[2])
if current + cost > tonumber(ARGV[1]) then return {0, current} end
local n = redis.call('INCRBY', KEYS[1], cost)
if n == cost then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, n}`;

/**
 * Counters shared by every process in Redis. While Redis is out of reach, each process counts
 * in its own memory instead (limits then hold per process, not across them) and goes back to
 * Redis as soon as it answers again: a Redis outage degrades rate limiting, it never fails a
 * request.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #fallback = new MemoryRateLimitStore();
  readonly #onDegraded: ((err: unknown) => void) | undefined;
  #degraded = false;
  constructor(redis: Redis, opts: { onDegraded?: (err: unknown) => void } = {}) {
    this.#redis = redis;
    this.#onDegraded = opts.onDegraded;
  }

  /** True while limits are counted in this process's memory because Redis did not answer. */
  get degraded() {
    return this.#degraded;
  }

  async hit(key: string, windowMs: number, limit: number, cost: number, nowMs: number) {
    // Not connected: no waiting for reconnection attempts on the request path.
    if (this.#redis.status !== 'ready') return this.#local(key, windowMs, limit, cost, nowMs, null);
    const windowStart = nowMs - (nowMs % windowMs);
    const resetAtMs = windowStart + windowMs;
    try {
      const [allowed, count] = (await this.#redis.eval(
        HIT_SCRIPT,
        1,
        `parley:rl:${key}:${windowStart}`,
        String(limit),
        String(cost),
        String(windowMs + 1000),
      )) as [number, number];
      this.#degraded = false;
      return { allowed: allowed === 1, count, resetAtMs };
    } catch (err) {
      return this.#local(key, windowMs, limit, cost, nowMs, err);
    }
  }

  #local(key: string, windowMs: number, limit: number, cost: number, nowMs: number, err: unknown) {
    if (!this.#degraded) {
      this.#degraded = true;
      this.#onDegraded?.(err ?? new Error(`redis is ${this.#redis.status}`));
    }
    return this.#fallback.hit(key, windowMs, limit, cost, nowMs);
  }

  async close() {
    this.#redis.disconnect();
  }
}

export type LimitName = keyof PlanLimits;

const windows: Record<Exclude<LimitName, 'concurrent_calls'>, { ms: number; label: string }> = {
  requests_per_minute: { ms: 60_000, label: 'requests per minute' },
  requests_per_day: { ms: 86_400_000, label: 'requests per day' },
  messages_per_hour: { ms: 3_600_000, label: 'messages per hour' },
  knowledge_writes_per_day: { ms: 86_400_000, label: 'knowledge writes per day' },
  imports_per_minute: { ms: 60_000, label: 'imports per minute' },
};

export interface LimitOutcome {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

/**
 * Consumes `cost` units of a windowed limit for `subject` (an API key for requests, a
 * workspace and mode for messages, knowledge writes and imports). Throws 429 `rate_limited`
 * with Retry-After when the window is full; returns null when the limit is unlimited.
 */
export async function consumeLimit(
  store: RateLimitStore,
  subject: string,
  name: Exclude<LimitName, 'concurrent_calls'>,
  limits: PlanLimits,
  cost = 1,
  nowMs = Date.now(),
): Promise<LimitOutcome | null> {
  const limit = limits[name];
  if (limit === null || limit === undefined) return null;
  const w = windows[name];
  const hit = await store.hit(`${name}:${subject}`, w.ms, limit, cost, nowMs);
  const outcome = { limit, remaining: Math.max(0, limit - hit.count), resetAtMs: hit.resetAtMs };
  if (!hit.allowed) {
    const retryAfter = Math.max(1, Math.ceil((hit.resetAtMs - nowMs) / 1000));
    throw new ApiError(
      'rate_limited',
      `Rate limit of ${limit} ${w.label} reached; retry in ${retryAfter} s.`,
      {
        // The X-RateLimit-* headers describe the limit that was hit (they replace the
        // per-minute figures the request already carries).
        headers: { 'Retry-After': String(retryAfter), ...rateLimitHeaders(outcome) },
        details: { limit: name },
      },
    );
  }
  return outcome;
}

export function rateLimitHeaders(o: LimitOutcome): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(o.limit),
    'X-RateLimit-Remaining': String(o.remaining),
    'X-RateLimit-Reset': String(Math.ceil(o.resetAtMs / 1000)),
  };
}
