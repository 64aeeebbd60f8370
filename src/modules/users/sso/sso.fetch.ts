import http from 'node:http';
import https from 'node:https';
import {
  BlockedAddressError,
  guardedLookup,
  isPrivateAddress,
  literalAddress,
} from '../../../platform/ssrf.ts';

const TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The `fetch` the OIDC client uses to reach an identity provider (discovery, JWKS, token): the
 * issuer is typed by a workspace admin, so unless PARLEY_SSO_ALLOW_PRIVATE is on, loopback and
 * private addresses are refused (the name's addresses are checked at connection time, so a
 * rebinding DNS answer cannot swap one in). 10 s and 1 MiB at most; redirects are not followed.
 */
export function providerFetch(allowPrivate: boolean) {
  return (url: string, options: { method: string; headers: Record<string, string>; body?: unknown }) =>
    request(new URL(url), options, allowPrivate);
}

function request(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: unknown },
  allowPrivate: boolean,
): Promise<Response> {
  const literal = literalAddress(url.hostname);
  if (!allowPrivate && (url.hostname === 'localhost' || (literal && isPrivateAddress(literal))))
    return Promise.reject(new BlockedAddressError(`${url.hostname} is a private or reserved address`));
  const body = bodyBytes(options.body);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: options.method,
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: TIMEOUT_MS,
        ...(allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => readResponse(res, req, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function readResponse(
  res: http.IncomingMessage,
  req: http.ClientRequest,
  resolve: (r: Response) => void,
  reject: (e: Error) => void,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) req.destroy(new Error('the provider answered more than 1 MiB'));
    else chunks.push(c);
  });
  res.on('error', reject);
  res.on('end', () => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers))
      for (const one of [v ?? []].flat()) headers.append(k, one);
    const status = res.statusCode ?? 502;
    const noBody = status === 204 || status === 304;
    resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers }));
  });
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error('unsupported request body');
}
