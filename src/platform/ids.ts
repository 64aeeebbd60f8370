import { monotonicFactory } from 'ulid';

export const idPrefixes = [
  'ws',
  'key',
  'ct',
  'aud',
  'imp',
  'conv',
  'msg',
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
  'req',
  'job',
  'inb',
  'bcr',
] as const;
export type IdPrefix = (typeof idPrefixes)[number];

const ulid = monotonicFactory();

/** A type prefix plus a ULID: `conv_01HXYZ...`. ULIDs sort by creation time. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27;
}
