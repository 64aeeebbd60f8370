import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Dialect, Trx } from '../../platform/db/database.ts';
import { tenant } from '../../platform/db/scope.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import {
  type Attributes,
  findContactsByPhones,
  newContactRow,
  normalizeTags,
  type Scope,
} from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/** One contact of a bulk write, already validated and normalised (a phone or an email). */
export interface BulkContact {
  phone: string | null;
  email: string | null;
  name: string | null;
  tags: string[];
  attributes: Attributes;
}

export interface BulkOutcome {
  created: number;
  updated: number;
  skipped: number;
  /** The contacts the rows are now (created or existing); with `memberIds` only. */
  contactIds: string[];
}

const CONTACT_COLUMNS = [
  'id',
  'workspace_id',
  'livemode',
  'phone',
  'name',
  'email',
  'attributes',
  'tags',
  'dnd',
  'opted_out',
  'created_at',
  'updated_at',
] as const;

/**
 * PostgreSQL: one array parameter per column through unnest, instead of 6,000 scalar
 * parameters, which PostgreSQL parses and binds several times faster.
 */
async function insertContactsPg(trx: Trx, rows: ContactRow[]): Promise<{ id: string }[]> {
  const arrays = CONTACT_COLUMNS.map((c) => rows.map((r) => r[c]));
  const types = CONTACT_COLUMNS.map((c) =>
    c === 'livemode' || c === 'dnd' || c === 'opted_out' ? 'int[]' : 'text[]',
  );
  const result = await sql<{
    id: string;
  }>`insert into contacts (${sql.join(CONTACT_COLUMNS.map((c) => sql.ref(c)))})
    select * from unnest(${sql.join(arrays.map((a, i) => sql`${a}::${sql.raw(types[i])}`))})
    on conflict (workspace_id, livemode, phone) do nothing returning id`.execute(trx);
  return result.rows;
}

/** The existing contacts the rows match: by phone (only needed to update), else by email. */
async function existingContacts(trx: Trx, scope: Scope, rows: BulkContact[], update: boolean) {
  const byPhone = new Map<string, ContactRow>();
  const byEmail = new Map<string, ContactRow>();
  // Under skip, rows with a phone go straight to an insert that skips existing phones; only
  // update needs the existing contacts first.
  const phones = update ? rows.flatMap((v) => (v.phone ? [v.phone] : [])) : [];
  const emails = rows.flatMap((v) => (!v.phone && v.email ? [v.email] : []));
  for (const c of await findContactsByPhones(trx, scope, phones)) byPhone.set(c.phone as string, c);
  for (const part of chunked(emails)) {
    const found = await tenant(trx, scope)
      .selectFrom('contacts')
      .selectAll()
      .where('email', 'in', part)
      .orderBy('id', 'desc')
      .execute();
    // Descending, so the oldest contact with an email is the one kept.
    for (const c of found) byEmail.set(c.email as string, c);
  }
  return (v: BulkContact) => (v.phone ? byPhone.get(v.phone) : byEmail.get(v.email as string));
}

/**
 * Writes many contacts in the caller's transaction (an import's batch): new phones and emails
 * are created; an existing contact is updated (name, email, attributes and tags merged) when
 * `update`, else skipped. A contact created by another request since the lookup counts as skipped.
 */
export async function writeImportedContacts(
  trx: Trx,
  dialect: Dialect,
  scope: Scope,
  rows: BulkContact[],
  opts: { update: boolean; now: string; memberIds?: boolean },
): Promise<BulkOutcome> {
  const out: BulkOutcome = { created: 0, updated: 0, skipped: 0, contactIds: [] };
  const existing = await existingContacts(trx, scope, rows, opts.update);
  const inserts: ContactRow[] = [];
  for (const v of rows) {
    const found = existing(v);
    if (!found) {
      inserts.push(
        newContactRow(
          scope,
          { phone: v.phone, email: v.email, name: v.name, attributes: v.attributes, tags: v.tags },
          opts.now,
        ),
      );
      continue;
    }
    out.contactIds.push(found.id);
    if (!opts.update) {
      out.skipped++;
      continue;
    }
    const attributes = { ...fromJson<Attributes>(found.attributes, {}), ...v.attributes };
    const tags = normalizeTags([...fromJson<string[]>(found.tags, []), ...v.tags]);
    await trx
      .updateTable('contacts')
      .set({
        name: v.name ?? found.name,
        email: v.email ?? found.email,
        attributes: toJson(attributes),
        tags: toJson(tags),
        updated_at: opts.now,
      })
      .where('id', '=', found.id)
      .execute();
    out.updated++;
  }
  for (const part of chunked(inserts)) {
    const written =
      dialect === 'postgres'
        ? await insertContactsPg(trx, part)
        : await trx
            .insertInto('contacts')
            .values(part)
            .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'phone']).doNothing())
            .returning('id')
            .execute();
    out.created += written.length;
    out.skipped += part.length - written.length;
    for (const w of written) out.contactIds.push(w.id);
    if (opts.memberIds && written.length < part.length) {
      // Phones that already had a contact are still the rows' contacts.
      const ids = new Set(written.map((w) => w.id));
      const existingPhones = part.flatMap((r) => (!ids.has(r.id) && r.phone ? [r.phone] : []));
      for (const c of await findContactsByPhones(trx, scope, existingPhones)) out.contactIds.push(c.id);
    }
  }
  return out;
}
