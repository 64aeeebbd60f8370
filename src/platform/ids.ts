import { randomFillSync } from 'node:crypto';

export const idPrefixes = [
  'ws',
  'key',
  'ct',
  'cns',
  'aud',
  'imp',
  'conv',
  'msg',
  'media',
  'tpl',
  'bc',
  'agt',
  'kb',
  'chunk',
  'lead',
  'bk',
  'svc',
  'wh',
  'evt',
  'dlv',
  'ch',
  'call',
  'vf',
  'cmp',
  'usr',
  'team',
  'cr',
  'mac',
  'atm',
  'sla',
  'csat',
  'req',
  'job',
  'inb',
  'bcr',
  'att',
  'cmpr',
  'anr',
  'psub',
  'men',
  'tool',
  'tc',
  'tsec',
  'tset',
  'era',
  'alog',
  'sess',
  'vis',
  'wev',
  'ndi',
  'ndg',
  'pord',
  'pupd',
  'sv',
  'role',
  'scim',
] as const;
export type IdPrefix = (typeof idPrefixes)[number];

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford's base32, as ULIDs use
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
let lastMs = -1;
const lastRandom = new Uint8Array(16); // 16 base32 digits = 80 bits

function fillRandom(digits: Uint8Array) {
  // One randomFillSync per 400 ids instead of one per character: ids are made on every write.
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < 16; i++) digits[i] = pool[poolOffset + i] & 31;
  poolOffset += 16;
}

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32. Within one
 * millisecond the random part is incremented, so ids made by this process sort in creation order.
 */
function ulid(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    fillRandom(lastRandom);
  } else {
    let i = 15;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i < 0) throw new Error('ULID random part overflowed within one millisecond');
    lastRandom[i]++;
  }
  // One string per id (concatenating 26 characters made 26), the time part once per millisecond.
  if (lastMs !== timeMs) {
    timeMs = lastMs;
    let time = '';
    for (let i = 9, t = lastMs; i >= 0; i--, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
    timePart = time;
  }
  for (let i = 0; i < 16; i++) randomCodes[i] = ALPHABET_CODES[lastRandom[i]!]!;
  return timePart + String.fromCharCode.apply(null, randomCodes);
}
const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const randomCodes: number[] = new Array(16).fill(0);
let timeMs = -1;
let timePart = '';

/** A type prefix plus a ULID: `conv_01HXYZ...`. ULIDs sort by creation time. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27;
}
