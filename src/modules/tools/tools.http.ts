import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';

/**
 * One tool request over HTTP, bounded: a deadline for the whole exchange (a server that never
 * closes is cut), at most MAX_BYTES of body, JSON or plain text only, redirects followed by hand
 * (each target checked again). Where it may go: no private address unless the server allows them
 * (PARLEY_WEBHOOK_ALLOW_PRIVATE) or the workspace lists the host (`allowed_private_hosts`); never
 * link-local (169.254.0.0/16, where cloud metadata lives, and fe80::/10), whatever is allowed.
 * Reads go over a keep-alive pool (`ConnectionPool`); writes over a socket of their own.
 */
export const MAX_BYTES = 1_048_576;
const MAX_REDIRECTS = 3;
export const EXCERPT_CHARS = 2000;

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

export function isLinkLocal(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && linkLocal.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

export interface Reach {
  /** PARLEY_WEBHOOK_ALLOW_PRIVATE: every private address is allowed (link-local never). */
  allowPrivate: boolean;
  /** The workspace's `allowed_private_hosts` (lowercase names or addresses). */
  allowedHosts: string[];
}

export type FailCode =
  | 'timeout'
  | 'http_error'
  | 'blocked_address'
  | 'too_large'
  | 'bad_content_type'
  | 'network_error'
  | 'invalid_response'
  | 'invalid_args'
  | 'tool_error'
  | 'not_recorded'
  | 'no_mock';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The response's headers (MCP reads its session id there); not recorded. */
  headers?: Record<string, string>;
}

export type HttpOutcome =
  | { ok: true; answer: HttpAnswer }
  | { ok: false; code: FailCode; message: string; retryable: boolean; answer?: HttpAnswer };

class Blocked extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/** Why `ip` of `host` may not be reached, or null when it may. */
function refusal(host: string, ip: string, reach: Reach): string | null {
  if (isLinkLocal(ip)) return `${host} is a link-local address (${ip}), never reachable by tools`;
  if (!isPrivateAddress(ip)) return null;
  if (reach.allowPrivate || reach.allowedHosts.includes(host.toLowerCase())) return null;
  return `${host} is a private address (${ip}); add it to allowed_private_hosts to reach it`;
}

function guardedLookup(reach: Reach): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as Array<{ address: string; family: number }>;
      for (const a of list) {
        const why = refusal(hostname, a.address, reach);
        if (why) return callback(new Blocked(why), '', 0);
      }
      if (list.length === 0)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return callback(null, list as never);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /**
   * A write (the tool's effect) goes over a socket of its own and is never sent twice; anything
   * else may take a pooled socket and is sent once more when that socket was closed under it.
   */
  write?: boolean;
}

/** Sockets kept per pool: enough for a burst of parallel reads to one system, bounded. */
const MAX_SOCKETS = 16;
/** An idle socket is closed after this, below the 5 s most servers keep one open (Node's, nginx's 75 s). */
export const IDLE_MS = 4000;
/** Pools kept at once (origin and reach policy); the least recently used is let go past it. */
const MAX_POOLS = 256;

/**
 * Keep-alive sockets for tool requests, one pool per origin AND reach policy: a socket opened
 * where the policy allowed a private address is never lent to a request under a stricter one.
 * Every new socket is opened through the guarded lookup, so the SSRF rules still apply to each
 * connection; a pooled socket only ever goes back to the host and policy it was checked for.
 */
export class ConnectionPool {
  private readonly agents = new Map<string, http.Agent>();

  agentFor(url: URL, reach: Reach): http.Agent {
    const key = JSON.stringify([
      url.origin,
      reach.allowPrivate,
      [...new Set(reach.allowedHosts.map((h) => h.toLowerCase()))].sort(),
    ]);
    let agent = this.agents.get(key);
    if (agent) this.agents.delete(key);
    else {
      const options = {
        keepAlive: true,
        maxSockets: MAX_SOCKETS,
        maxFreeSockets: MAX_SOCKETS,
        timeout: IDLE_MS,
      };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    }
    this.agents.set(key, agent);
    // The oldest pool is dropped, not destroyed: its requests finish, its idle sockets time out.
    if (this.agents.size > MAX_POOLS) this.agents.delete(this.agents.keys().next().value!);
    return agent;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

const readable = (type: string) => !type || /application\/([\w.+-]*\+)?json|text\/plain/.test(type);

const headerRecord = (h: http.IncomingHttpHeaders) =>
  Object.fromEntries(
    Object.entries(h).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]],
    ),
  ) as Record<string, string>;

type Attempt = HttpOutcome & { location?: string };

/**
 * One request, no redirect followed (a 3xx answers with its `location`); `accept` says which
 * content types are read (JSON and plain text unless given: MCP also reads text/event-stream).
 * With a `pool`, a read takes a kept-alive socket; when the server had closed it (the request
 * failed before any byte of an answer), the read is sent once more on a new socket. A write is
 * never sent twice: it goes on a socket of its own, which no server closed for idleness.
 */
export async function once(
  req: OutgoingRequest,
  reach: Reach,
  signal: AbortSignal,
  accept: (contentType: string) => boolean = readable,
  pool?: ConnectionPool,
): Promise<Attempt> {
  const url = new URL(req.url);
  const literal = literalAddress(url.hostname);
  if (literal) {
    const why = refusal(literal, literal, reach);
    if (why) return { ok: false, code: 'blocked_address', message: why, retryable: false };
  }
  const agent = pool && !req.write ? pool.agentFor(url, reach) : false;
  const first = await attempt(url, req, reach, signal, accept, agent);
  if (!first.staleSocket || signal.aborted) return first.outcome;
  return (await attempt(url, req, reach, signal, accept, false)).outcome;
}

/** ECONNRESET, EPIPE...: how a socket the server closed while idle fails the next request on it. */
const closedUnder = (err: Error) =>
  /^(ECONNRESET|EPIPE|ECONNABORTED)$/.test((err as { code?: string }).code ?? '');

function attempt(
  url: URL,
  req: OutgoingRequest,
  reach: Reach,
  signal: AbortSignal,
  accept: (contentType: string) => boolean,
  agent: http.Agent | false,
): Promise<{ outcome: Attempt; staleSocket?: boolean }> {
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const done = (o: Attempt, staleSocket = false) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve({ outcome: o, staleSocket });
    };
    const r = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: req.method,
        headers: {
          ...req.headers,
          ...(req.body !== null ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
        },
        lookup: guardedLookup(reach),
        agent,
      },
      (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
        if (status >= 300 && status < 400 && res.headers.location) {
          res.destroy();
          return done({
            ok: true,
            answer: { status, contentType, body: '', headers: headerRecord(res.headers) },
            location: res.headers.location,
          });
        }
        if (Number(res.headers['content-length'] ?? 0) > MAX_BYTES) {
          res.destroy();
          return done({
            ok: false,
            code: 'too_large',
            message: `the answer is larger than ${MAX_BYTES} bytes`,
            retryable: false,
          });
        }
        if (!accept(contentType)) {
          res.destroy();
          return done({
            ok: false,
            code: 'bad_content_type',
            message: `the answer is ${contentType || 'untyped'}, not JSON or plain text (HTTP ${status})`,
            retryable: status >= 500,
            answer: { status, contentType, body: '' },
          });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) {
            res.destroy();
            done({
              ok: false,
              code: 'too_large',
              message: `the answer is larger than ${MAX_BYTES} bytes`,
              retryable: false,
            });
          } else chunks.push(c);
        });
        res.on('end', () =>
          done({
            ok: true,
            answer: {
              status,
              contentType,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: headerRecord(res.headers),
            },
          }),
        );
        res.on('error', (err) =>
          done({ ok: false, code: 'network_error', message: err.message, retryable: true }),
        );
      },
    );
    const onAbort = () => {
      r.destroy();
      done({ ok: false, code: 'timeout', message: 'the tool did not answer in time', retryable: false });
    };
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    r.on('error', (err) => {
      if (err instanceof Blocked || (err as { code?: string }).code === 'EBLOCKEDADDRESS')
        return done({ ok: false, code: 'blocked_address', message: err.message, retryable: false });
      const stale = r.reusedSocket && !answered && !req.write && closedUnder(err);
      done({ ok: false, code: 'network_error', message: err.message, retryable: true }, stale);
    });
    if (req.body !== null) r.write(req.body);
    r.end();
  });
}

/** The request with its redirects followed (GET only; each target checked again), within `signal`. */
export async function send(
  req: OutgoingRequest,
  reach: Reach,
  signal: AbortSignal,
  pool?: ConnectionPool,
): Promise<HttpOutcome> {
  let current = req;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const out = await once(current, reach, signal, readable, pool);
    if (!out.ok || !out.location) {
      if (out.ok && (out.answer.status < 200 || out.answer.status >= 300))
        return {
          ok: false,
          code: 'http_error',
          message: `the tool answered HTTP ${out.answer.status}`,
          retryable: out.answer.status >= 500 || out.answer.status === 429,
          answer: out.answer,
        };
      return out;
    }
    if (current.method !== 'GET')
      return {
        ok: false,
        code: 'http_error',
        message: `a ${current.method} was redirected (HTTP ${out.answer.status}); not followed`,
        retryable: false,
      };
    const next = new URL(out.location, current.url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      return {
        ok: false,
        code: 'blocked_address',
        message: `redirected to a ${next.protocol} URL`,
        retryable: false,
      };
    // Credentials go only to the origin the tool names.
    const sameOrigin = next.origin === new URL(current.url).origin;
    current = {
      ...current,
      url: next.toString(),
      headers: sameOrigin ? current.headers : signatureOnly(current.headers),
    };
  }
  return { ok: false, code: 'http_error', message: 'too many redirects', retryable: false };
}

function signatureOnly(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => /^(webhook-|accept$|user-agent$)/i.test(k)),
  );
}
