/**
 * What the scaled-shape suites share: whether PostgreSQL and Redis are there (under CI they must
 * be), and a plain HTTP call to one of the spawned processes.
 */
import { Redis } from 'ioredis';
import { postgresAvailable } from './harness.ts';

export const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Is Redis there? Under CI it must be. */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true')
      throw new Error(
        `Redis is required under CI but unreachable at ${REDIS_URL}: ${(err as Error).message}`,
      );
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Why a scaled suite cannot run here (PostgreSQL or Redis missing), or false. */
export async function scaledSkip(): Promise<string | false> {
  const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
  if (!pgOk) return 'PostgreSQL not reachable (PARLEY_TEST_PG=0)';
  return (await redisAvailable()) ? false : `Redis not reachable at ${REDIS_URL}`;
}

/** One JSON request to a spawned process; the body is parsed when the answer is JSON. */
export async function httpCall(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; timeoutMs?: number } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  const json =
    (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, body: json };
}
