import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { newRow, tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { requireEffect } from '../../platform/http/permissions.ts';
import type { Auth } from '../../platform/http/route.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import {
  type AttributeValue,
  applyContactFilter,
  type ContactFilter,
  findOrCreateContact,
  normalizePhone,
  presentContact,
  type Scope,
  scopedContacts,
} from '../contacts/index.ts';
import type { AudiencesTable } from './audiences.tables.ts';

export type { AudiencesTable } from './audiences.tables.ts';

/** A rule: contacts carrying all of `tags`, any of `any_tags`, and every `attributes` value. */
export interface AudienceFilter {
  tags?: string[];
  any_tags?: string[];
  attributes?: Record<string, AttributeValue>;
  dnd?: boolean;
  opted_out?: boolean;
}

export function getAudienceRow(db: Db | Trx, scope: Scope, id: string): Promise<AudiencesTable> {
  return tenant(db, scope).getById('audiences', id, 'audience');
}

function filterOf(row: AudiencesTable): ContactFilter {
  return fromJson<AudienceFilter>(row.filter, {});
}

/** The contacts of an audience, as a query over `contacts` (scoped). */
function membersQuery(db: Db | Trx, dialect: Dialect, scope: Scope, row: AudiencesTable) {
  const base = scopedContacts(db, scope);
  if (row.type === 'rule') return applyContactFilter(base, dialect, filterOf(row));
  return base.where((eb) =>
    eb.exists(
      eb
        .selectFrom('audience_members')
        .select('audience_members.contact_id')
        .whereRef('audience_members.contact_id', '=', 'contacts.id')
        .where('audience_members.audience_id', '=', row.id),
    ),
  );
}

export async function countAudience(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  row: AudiencesTable,
): Promise<number> {
  const r = await membersQuery(db, dialect, scope, row)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export function presentAudience(row: AudiencesTable, contactCount: number) {
  return {
    ...objectHead(row, 'audience'),
    name: row.name,
    description: row.description,
    type: row.type,
    filter: row.type === 'rule' ? (fromJson<AudienceFilter>(row.filter, {}) as AudienceFilter) : null,
    contact_count: contactCount,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function getAudience(ctx: AppContext, scope: Scope, id: string) {
  const row = await getAudienceRow(ctx.db, scope, id);
  return presentAudience(row, await countAudience(ctx.db, ctx.dialect, scope, row));
}

export async function createAudience(
  ctx: AppContext,
  scope: Scope,
  input: { name: string; description?: string; filter?: AudienceFilter },
) {
  const now = ctx.clock.now().toISOString();
  const row: AudiencesTable = {
    ...newRow('aud', scope),
    name: input.name,
    description: input.description ?? null,
    type: input.filter ? 'rule' : 'static',
    filter: input.filter ? toJson(input.filter) : null,
    created_at: now,
    updated_at: now,
  };
  // Evaluating the rule once refuses a bad one (e.g. an attribute name) at creation.
  const count = await countAudience(ctx.db, ctx.dialect, scope, row);
  await ctx.db.insertInto('audiences').values(row).execute();
  return presentAudience(row, count);
}

export async function listAudiences(
  ctx: AppContext,
  scope: Scope,
  filter: { type?: 'static' | 'rule' },
  page: PageRequest,
) {
  let q = tenant(ctx.db, scope).selectFrom('audiences').selectAll();
  if (filter.type) q = q.where('type', '=', filter.type);
  const result = await paginate(q.orderBy('id', 'desc'), page, (r) => r);
  const data = [];
  for (const r of result.data)
    data.push(presentAudience(r, await countAudience(ctx.db, ctx.dialect, scope, r)));
  return { ...result, data };
}

export async function updateAudience(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { name?: string; description?: string | null; filter?: AudienceFilter },
) {
  const row = await getAudienceRow(ctx.db, scope, id);
  if (input.filter && row.type !== 'rule') {
    throw new ApiError(
      'conflict',
      'This is a static audience; its members are changed with POST/DELETE /v1/audiences/{id}/contacts, not a filter.',
    );
  }
  const next: AudiencesTable = {
    ...row,
    name: input.name ?? row.name,
    description: input.description === undefined ? row.description : input.description,
    filter: input.filter ? toJson(input.filter) : row.filter,
    updated_at: ctx.clock.now().toISOString(),
  };
  const count = await countAudience(ctx.db, ctx.dialect, scope, next);
  await ctx.db
    .updateTable('audiences')
    .set({ name: next.name, description: next.description, filter: next.filter, updated_at: next.updated_at })
    .where('id', '=', row.id)
    .execute();
  return presentAudience(next, count);
}

export async function deleteAudience(ctx: AppContext, scope: Scope, id: string) {
  const row = await getAudienceRow(ctx.db, scope, id);
  await ctx.transaction(async (tx) => {
    await tx.db.deleteFrom('audience_members').where('audience_id', '=', row.id).execute();
    await tx.db.deleteFrom('audiences').where('id', '=', row.id).execute();
  });
  return { id: row.id, object: 'audience' as const, deleted: true as const };
}

function staticOnly(row: AudiencesTable) {
  if (row.type !== 'static') {
    throw new ApiError(
      'conflict',
      'This audience is rule-based: its members are the contacts matching its filter. Change the filter instead.',
    );
  }
}

/** Resolves `contact_ids` (must exist here) and `phones` (created when new) to contact ids; 400 naming each bad entry. */
async function resolveMembers(
  ctx: AppContext,
  scope: Scope,
  input: { contact_ids?: string[]; phones?: string[] },
  create: boolean,
  actor: Actor,
): Promise<{ ids: string[]; created: number }> {
  const errors: { field: string; message: string }[] = [];
  const contactIds = [...new Set(input.contact_ids ?? [])];
  if (contactIds.length) {
    const found = new Set(
      (
        await scopedContacts(ctx.db, scope)
          .select('contacts.id')
          .where('contacts.id', 'in', contactIds)
          .execute()
      ).map((r) => r.id),
    );
    (input.contact_ids ?? []).forEach((id, i) => {
      if (!found.has(id)) errors.push({ field: `contact_ids.${i}`, message: `no contact ${id}` });
    });
  }
  const phones: string[] = [];
  (input.phones ?? []).forEach((p, i) => {
    const e164 = normalizePhone(p, scope.defaultCountry);
    if (e164) phones.push(e164);
    else errors.push({ field: `phones.${i}`, message: 'must be a valid E.164 phone number' });
  });
  if (errors.length)
    throw new ApiError(
      'validation_failed',
      errors
        .slice(0, 5)
        .map((e) => `${e.field}: ${e.message}`)
        .join('; '),
      { errors },
    );
  if (!contactIds.length && !phones.length) {
    throw new ApiError('validation_failed', 'Give contact_ids or phones.', {
      errors: [{ field: 'contact_ids', message: 'give contact_ids or phones' }],
    });
  }
  const ids = new Set(contactIds);
  let created = 0;
  if (phones.length) {
    if (create) {
      await ctx.transaction(async (tx) => {
        for (const phone of new Set(phones)) {
          const r = await findOrCreateContact(tx, scope, { phone }, actor);
          ids.add(r.contact.id);
          if (r.created) created++;
        }
      });
    } else {
      const rows = await scopedContacts(ctx.db, scope)
        .select('contacts.id')
        .where('contacts.phone', 'in', [...new Set(phones)])
        .execute();
      for (const r of rows) ids.add(r.id);
    }
  }
  return { ids: [...ids], created };
}

export async function addAudienceMembers(
  ctx: AppContext,
  scope: Auth,
  id: string,
  input: { contact_ids?: string[]; phones?: string[] },
  actor: Actor,
) {
  // New phones create contacts: the same rule as creating them with `POST /v1/contacts`.
  if (input.phones?.length) requireEffect(scope, 'contacts.write');
  const row = await getAudienceRow(ctx.db, scope, id);
  staticOnly(row);
  const { ids, created } = await resolveMembers(ctx, scope, input, true, actor);
  const now = ctx.clock.now().toISOString();
  let added = 0;
  await ctx.transaction(async (tx) => {
    for (const part of chunked(ids)) {
      const res = await tx.db
        .insertInto('audience_members')
        .values(part.map((contact_id) => ({ audience_id: row.id, contact_id, created_at: now })))
        .onConflict((oc) => oc.columns(['audience_id', 'contact_id']).doNothing())
        .executeTakeFirst();
      added += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    await tx.db.updateTable('audiences').set({ updated_at: now }).where('id', '=', row.id).execute();
  });
  return { audience: await getAudience(ctx, scope, id), added, created_contacts: created };
}

export async function removeAudienceMembers(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { contact_ids?: string[]; phones?: string[] },
  actor: Actor,
) {
  const row = await getAudienceRow(ctx.db, scope, id);
  staticOnly(row);
  const { ids } = await resolveMembers(ctx, scope, input, false, actor);
  let removed = 0;
  if (ids.length) {
    const res = await ctx.db
      .deleteFrom('audience_members')
      .where('audience_id', '=', row.id)
      .where('contact_id', 'in', ids)
      .executeTakeFirst();
    removed = Number(res.numDeletedRows);
  }
  await ctx.db
    .updateTable('audiences')
    .set({ updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', row.id)
    .execute();
  return { audience: await getAudience(ctx, scope, id), removed };
}

export async function listAudienceContacts(ctx: AppContext, scope: Scope, id: string, page: PageRequest) {
  const row = await getAudienceRow(ctx.db, scope, id);
  const q = membersQuery(ctx.db, ctx.dialect, scope, row)
    .selectAll('contacts')
    .orderBy('contacts.id', 'desc');
  return paginate(q, page, presentContact);
}

/**
 * The audience's contact ids in batches, by ascending id (keyset, so memory stays flat and a
 * large audience is never loaded at once). A rule audience is evaluated as it is read.
 */
export async function* audienceContactIds(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  audienceId: string,
  batchSize = 1000,
  /** Resume after this contact id (a caller that read part of the audience earlier). */
  startAfter = '',
): AsyncIterable<string[]> {
  const row = await getAudienceRow(db, scope, audienceId);
  let after = startAfter;
  for (;;) {
    const rows = await membersQuery(db, dialect, scope, row)
      .select('contacts.id')
      .where('contacts.id', '>', after)
      .orderBy('contacts.id')
      .limit(batchSize)
      .execute();
    if (!rows.length) return;
    yield rows.map((r) => r.id);
    after = rows[rows.length - 1].id;
    if (rows.length < batchSize) return;
  }
}

/** Adds contacts to a static audience inside the caller's transaction (imports use it). */
export async function addMembersInTx(trx: Trx, audienceId: string, contactIds: string[], now: string) {
  for (const part of chunked(contactIds)) {
    await trx
      .insertInto('audience_members')
      .values(part.map((contact_id) => ({ audience_id: audienceId, contact_id, created_at: now })))
      .onConflict((oc) => oc.columns(['audience_id', 'contact_id']).doNothing())
      .execute();
  }
}

export async function requireStaticAudience(db: Db | Trx, scope: Scope, id: string) {
  const row = await getAudienceRow(db, scope, id);
  staticOnly(row);
  return row;
}

/**
 * For another route that adds contacts to an audience (an import with `audience_id`): the same
 * permission rule as `POST /v1/audiences/{id}/contacts` (403 before the audience is looked up),
 * then the audience must exist here and be static.
 */
export async function requireAudienceToFill(db: Db | Trx, auth: Auth, id: string) {
  requireEffect(auth, 'audience.members');
  return requireStaticAudience(db, auth, id);
}
