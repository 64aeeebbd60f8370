/**
 * Duplicates across the whole workspace (GET /v1/contacts/duplicates): groups of contacts that may
 * be one person, by the rule of `GET /v1/contacts/{id}/duplicates` (the same email in any case, the
 * same phone number by its last 10 digits, the same full name in any case). Two contacts joined by
 * one reason and a third joined to either by another are one group.
 */
import { type RawBuilder, sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { DuplicateReason } from './contacts.merge.ts';
import { type LookupScope, presentContact } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/** The key two contacts share for each reason; a phone needs 7 digits or more, as for one contact. */
const KEYS: Record<DuplicateReason, { key: RawBuilder<string>; present: RawBuilder<boolean> }> = {
  email: { key: sql<string>`lower(email)`, present: sql<boolean>`email is not null` },
  phone: {
    key: sql<string>`case when length(phone) > 10 then substr(phone, length(phone) - 9) else replace(phone, '+', '') end`,
    present: sql<boolean>`length(phone) >= 8`,
  },
  name: { key: sql<string>`lower(trim(name))`, present: sql<boolean>`trim(name) <> ''` },
};
const REASONS: DuplicateReason[] = ['email', 'phone', 'name'];
/** Shared keys looked at per reason: enough for a team's clean-up, bounded for a large workspace. */
const MAX_KEYS = 500;

function keyOf(row: ContactRow, reason: DuplicateReason): string | null {
  if (reason === 'email') return row.email ? row.email.toLowerCase() : null;
  if (reason === 'name') return row.name?.trim() ? row.name.trim().toLowerCase() : null;
  const digits = row.phone?.replace(/\D/g, '') ?? '';
  return digits.length >= 7 ? digits.slice(-10) : null;
}

export async function workspaceDuplicates(ctx: AppContext, scope: LookupScope, limit: number) {
  const db = tenant(ctx.db, scope);
  const shared = new Map<DuplicateReason, string[]>();
  for (const reason of REASONS) {
    const { key, present } = KEYS[reason];
    const rows = await db
      .selectFrom('contacts')
      .select(key.as('k'))
      .where('merged_into', 'is', null)
      .where(present)
      .groupBy(key)
      .having(sql<boolean>`count(*) > 1`)
      .orderBy(key)
      .limit(MAX_KEYS)
      .execute();
    shared.set(
      reason,
      rows.map((r) => String(r.k)),
    );
  }
  const rows: ContactRow[] = [];
  const seen = new Set<string>();
  for (const reason of REASONS) {
    const keys = shared.get(reason)!;
    if (!keys.length) continue;
    const found = await db
      .selectFrom('contacts')
      .selectAll()
      .where('merged_into', 'is', null)
      .where(KEYS[reason].present)
      .where((eb) => eb(KEYS[reason].key, 'in', keys))
      .execute();
    for (const r of found as ContactRow[]) if (!seen.has(r.id) && seen.add(r.id)) rows.push(r);
  }
  return groupsOf(rows, limit);
}

/** Contacts joined by any shared key, as groups (union-find), strongest reason first, then newest. */
function groupsOf(rows: ContactRow[], limit: number) {
  const parent = new Map(rows.map((r) => [r.id, r.id]));
  const find = (id: string): string => {
    const p = parent.get(id)!;
    if (p === id) return id;
    const root = find(p);
    parent.set(id, root);
    return root;
  };
  const firstByKey = new Map<string, string>();
  const reasonsOf = new Map<string, Set<DuplicateReason>>();
  const joins: Array<[string, DuplicateReason]> = [];
  for (const row of rows)
    for (const reason of REASONS) {
      const key = keyOf(row, reason);
      if (key === null) continue;
      const first = firstByKey.get(`${reason}:${key}`);
      if (first === undefined) firstByKey.set(`${reason}:${key}`, row.id);
      else {
        parent.set(find(row.id), find(first));
        joins.push([row.id, reason]);
      }
    }
  for (const [id, reason] of joins) {
    const root = find(id);
    if (!reasonsOf.has(root)) reasonsOf.set(root, new Set());
    reasonsOf.get(root)!.add(reason);
  }
  const members = new Map<string, ContactRow[]>();
  for (const row of rows) {
    const root = find(row.id);
    if (!reasonsOf.has(root)) continue;
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(row);
  }
  const rank = (r: Set<DuplicateReason>) => Math.min(...[...r].map((x) => REASONS.indexOf(x)));
  const groups = [...members.entries()].map(([root, list]) => {
    const reasons = reasonsOf.get(root)!;
    list.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    return {
      reasons: REASONS.filter((r) => reasons.has(r)),
      rank: rank(reasons),
      newest: list[0]!.created_at,
      contacts: list.map(presentContact),
    };
  });
  groups.sort((a, b) => a.rank - b.rank || b.newest.localeCompare(a.newest));
  return {
    object: 'list' as const,
    data: groups.slice(0, limit).map(({ reasons, contacts }) => ({ reasons, contacts })),
    has_more: groups.length > limit,
  };
}
