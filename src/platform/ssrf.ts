import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses outbound requests (webhook deliveries, knowledge page fetches) may never reach unless private targets are allowed: loopback, private,
 * shared (CGNAT), link-local (cloud metadata lives at 169.254.169.254), multicast, reserved, and
 * their IPv6 counterparts. Node's BlockList also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`)
 * against the IPv4 rules.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible range.
  ['::', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True when `ip` (a literal IPv4 or IPv6 address) is loopback, private, link-local or reserved. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return blocked.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/** The host of a URL as an IP literal (brackets stripped), or null when it is a name. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/**
 * A `lookup` for http(s) requests that resolves every address of the name, refuses the
 * connection if any is private, and hands the connection exactly the address it checked, so a
 * second (rebinding) resolution cannot swap in another one.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as Array<{ address: string; family: number }>;
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) {
      return callback(
        new BlockedAddressError(`${hostname} resolves to ${bad.address}, a private or reserved address`),
        '',
        0,
      );
    }
    if (list.length === 0)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    if (options.all) return callback(null, list as never);
    callback(null, list[0].address, list[0].family);
  });
};
