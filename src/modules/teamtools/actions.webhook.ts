import http from 'node:http';
import https from 'node:https';
import { BlockedAddressError, guardedLookup, isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';

/**
 * The `webhook` action: one POST of JSON, 5 s at most, no redirects followed. Unless private
 * targets are allowed (PARLEY_WEBHOOK_ALLOW_PRIVATE), loopback and private networks are refused.
 */
export function postJson(rawUrl: string, body: unknown, allowPrivate: boolean): Promise<number> {
  const url = new URL(rawUrl);
  const literal = literalAddress(url.hostname);
  if (!allowPrivate && literal && isPrivateAddress(literal))
    return Promise.reject(new BlockedAddressError(`${literal} is a private or reserved address`));
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'user-agent': 'Parley/1',
        },
        timeout: 5000,
        ...(allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
