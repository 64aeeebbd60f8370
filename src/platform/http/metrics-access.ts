import type { Socket } from 'node:net';
import type { AppContext } from '../context.ts';
import { safeEqual } from '../crypto.ts';
import { ApiError } from '../errors.ts';
import { credentialFrom } from './auth.ts';

/** Headers a reverse proxy adds: a request carrying one came through a proxy, whatever its socket says. */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
];

const isLoopback = (address: string) =>
  address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');

/**
 * `/metrics` tells a lot about the business. With `PARLEY_METRICS_TOKEN` set it needs the token
 * from every client. Without it, it answers only a loopback client that came straight in: a
 * reverse proxy on the same host connects from 127.0.0.1 for everyone behind it, so a request
 * carrying a forwarding header is refused, and with `PARLEY_TRUST_PROXY` on (Parley is behind a
 * proxy) the token is required.
 */
export function checkMetricsAccess(
  ctx: AppContext,
  request: { headers: Record<string, unknown>; socket: Socket },
) {
  const token = ctx.config.metricsToken;
  if (token) {
    const given = credentialFrom(request.headers as never);
    if (!given || !safeEqual(given, token))
      throw new ApiError('unauthorized', 'GET /metrics needs Authorization: Bearer <PARLEY_METRICS_TOKEN>.');
    return;
  }
  if (ctx.config.trustProxy)
    throw new ApiError(
      'forbidden',
      'GET /metrics behind a reverse proxy (PARLEY_TRUST_PROXY is on) needs PARLEY_METRICS_TOKEN to be set, and the token sent as Authorization: Bearer <token>.',
    );
  const forwarded = FORWARDING_HEADERS.find((h) => request.headers[h] !== undefined);
  if (forwarded)
    throw new ApiError(
      'forbidden',
      `GET /metrics without PARLEY_METRICS_TOKEN answers only loopback clients that come straight in; this request came through a proxy (${forwarded}). Set PARLEY_METRICS_TOKEN to scrape it through one.`,
    );
  // The socket's own address, never X-Forwarded-For.
  const remote = request.socket.remoteAddress ?? '';
  if (!isLoopback(remote))
    throw new ApiError(
      'forbidden',
      'GET /metrics answers only loopback clients; set PARLEY_METRICS_TOKEN to scrape it from elsewhere.',
    );
}
