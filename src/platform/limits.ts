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
  /** Count in the sliding window after this hit (or before it, when the hit was refused). */
  count: number;
  /** When the current fixed window ends (ms since epoch): X-RateLimit-Reset. */
  resetAtMs: number;
  /** When a refused hit of the same cost would be let in (ms since epoch). */
  retryAtMs?: number;
}

/**
 * Sliding-window counters: the count of a window ending now is this fixed window's count plus the
 * previous one's, weighted by how much of the previous window the sliding one still covers (as
 * Cloudflare's and Redis's rate limiters do). A fixed window let a whole limit pass at the end of
 * one window and another at the start of the next (120 requests in 200 ms at 60 per minute);
 * this lets about the limit pass in any window's length. In process by default, in Redis when
 * scaled (shared by every process).
 */
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

/**
 * The sliding count from the previous and current fixed windows' counts, `elapsed` ms into the
 * current one; whether `cost` more fits under `limit`, and if not, in how many ms it would.
 */
export function slidingHit(
  previous: number,
  current: number,
  elapsed: number,
  windowMs: number,
  limit: number,
  cost: number,
): { allowed: boolean; count: number; retryInMs: number } {
  const carried = Math.floor((previous * (windowMs - elapsed)) / windowMs);
  const count = carried + current;
  if (count + cost <= limit) return { allowed: true, count: count + cost, retryInMs: 0 };
  // When the previous window's share has shrunk enough, or (this window alone too full) when
  // this window's count, carried into the next one, has.
  // (The carried share drops to m once previous * (W - t) / W < m + 1, i.e. t > W (1 - (m + 1) / previous).)
  const past = (m: number, n: number) => Math.max(0, Math.floor(windowMs * (1 - (m + 1) / n)) + 1);
  const retryInMs =
    current + cost <= limit && previous > 0
      ? past(limit - current - cost, previous) - elapsed
      : windowMs - elapsed + (current > 0 ? past(limit - cost, current) : 0);
  return { allowed: false, count, retryInMs: Math.max(1, retryInMs) };
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
    const previous = this.#windows.get(`${key}:${windowStart - windowMs}`)?.count ?? 0;
    const r = slidingHit(previous, w.count, nowMs - windowStart, windowMs, limit, cost);
    if (!r.allowed)
      return { allowed: false, count: r.count, resetAtMs: w.resetAtMs, retryAtMs: nowMs + r.retryInMs };
    w.count += cost;
    return { allowed: true, count: r.count, resetAtMs: w.resetAtMs };
  }

  #sweep(nowMs: number) {
    if (nowMs - this.#lastSweep < 60_000) return;
    this.#lastSweep = nowMs;
    // A window is kept for one more window's length: the next one reads it.
    for (const [k, w] of this.#windows)
      if (w.resetAtMs + (w.resetAtMs - Number(k.slice(k.lastIndexOf(':') + 1))) <= nowMs)
        this.#windows.delete(k);
  }

  async close() {}
}

// The previous and current windows' counts; adds the cost to the current one only when the
// sliding count leaves room (slidingHit, in Lua), atomically; a window's key lives two windows.
const HIT_SCRIPT = `
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local count = math.floor(previous * (window - elapsed) / window) + current
if count + cost > limit then return {0, count, previous, current} end
local n = redis.call('INCRBY', KEYS[2], cost)
if n == cost then redis.call('PEXPIRE', KEYS[2], 2 * window + 1000) end
return {1, count + cost, previous, n - cost}`;

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
    const elapsed = nowMs - windowStart;
    try {
      const [allowed, count, previous, current] = (await this.#redis.eval(
        HIT_SCRIPT,
        2,
        `parley:rl:${key}:${windowStart - windowMs}`,
        `parley:rl:${key}:${windowStart}`,
        String(limit),
        String(cost),
        String(elapsed),
        String(windowMs),
      )) as [number, number, number, number];
      this.#degraded = false;
      if (allowed === 1) return { allowed: true, count, resetAtMs };
      const r = slidingHit(previous, current, elapsed, windowMs, limit, cost);
      return { allowed: false, count, resetAtMs, retryAtMs: nowMs + r.retryInMs };
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
    const retryAfter = Math.max(1, Math.ceil(((hit.retryAtMs ?? hit.resetAtMs) - nowMs) / 1000));
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
