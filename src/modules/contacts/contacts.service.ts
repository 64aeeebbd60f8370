import { type Expression, type SqlBool, sql } from 'kysely';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { likeContains } from '../../platform/db/like.ts';
import { newRow, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField, validationFailed } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { lockContacts } from './contacts.lock.ts';
import type { ContactRow } from './contacts.tables.ts';
import { ambiguousNationalNumber, invalidPhoneMessage } from './phone.ts';

export type { ContactRow } from './contacts.tables.ts';

/** Where a contact lives. An `Auth` satisfies it. */
export interface Scope {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
}

/** Enough to find a contact: lookups need no default country. */
export type LookupScope = Pick<Scope, 'workspaceId' | 'livemode'>;

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const E164 = 'must be a valid E.164 phone number';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A number a provider vouches for (a WhatsApp `wa_id`: Meta delivered a message from it) that
 * the phone library does not know yet (new ranges, test numbers): kept as `+digits` when it has
 * the length of an international number (E.164: 8 to 15 digits).
 */
function vouchedPhone(input: string): string | null {
  const digits = input.trim().replace(/^\+/, '');
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : null;
}

/** Parses a phone number written locally (with the default country) or internationally; E.164 or null. */
export function normalizePhone(input: string, defaultCountry: string): string | null {
  const trimmed = input.trim();
  if (!trimmed || trimmed.length > 40) return null;
  // "00" is the international prefix in most of the world; libphonenumber only knows "+".
  const text = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode);
  if (!parsed?.isValid() || ambiguousNationalNumber(text, defaultCountry)) return null;
  return parsed.number;
}

/** Lower-cased address, or null when it is not one. */
export function normalizeEmail(input: string): string | null {
  const e = input.trim().toLowerCase();
  return e.length <= 254 && EMAIL.test(e) ? e : null;
}

/** Trimmed, non-empty, de-duplicated tags in first-seen order. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

export function presentContact(row: ContactRow) {
  return {
    ...objectHead(row, 'contact'),
    phone: row.phone,
    name: row.name,
    email: row.email,
    whatsapp_user_id: row.whatsapp_user_id ?? null,
    messenger_psid: row.messenger_psid ?? null,
    instagram_igsid: row.instagram_igsid ?? null,
    telegram_chat_id: row.telegram_chat_id ?? null,
    attributes: fromJson<Attributes>(row.attributes, {}),
    tags: fromJson<string[]>(row.tags, []),
    dnd: row.dnd === 1,
    opted_out: row.opted_out === 1,
    merged_into: row.merged_into ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type Contact = ReturnType<typeof presentContact>;

export function getContactRow(db: Db | Trx, scope: LookupScope, id: string): Promise<ContactRow> {
  return tenant(db, scope).getById('contacts', id, 'contact');
}

/** The contact with this id in this scope, or undefined (another workspace's or mode's is not found). */
export function findContactRow(
  db: Db | Trx,
  scope: LookupScope,
  id: string,
): Promise<ContactRow | undefined> {
  return tenant(db, scope).findById('contacts', id);
}

export async function findContactByPhone(
  db: Db | Trx,
  scope: LookupScope,
  phoneE164: string,
): Promise<ContactRow | undefined> {
  return tenant(db, scope)
    .selectFrom('contacts')
    .selectAll()
    .where('phone', '=', phoneE164)
    .executeTakeFirst();
}

/** The contacts with these phones (E.164), with one query per 500 phones. */
export async function findContactsByPhones(
  db: Db | Trx,
  scope: LookupScope,
  phonesE164: string[],
): Promise<ContactRow[]> {
  const found: ContactRow[] = [];
  for (const phones of chunked([...new Set(phonesE164)])) {
    found.push(
      ...(await tenant(db, scope).selectFrom('contacts').selectAll().where('phone', 'in', phones).execute()),
    );
  }
  return found;
}

/**
 * Stores new contacts (rows from `newContactRow`) with one insert per 500, phones in order (so
 * concurrent batches take the unique index's locks in the same order). A phone that another
 * transaction gave a contact meanwhile is not stored again: `taken` maps it to that contact
 * (read with one query). `made` holds the ids of the rows stored. Emits nothing: the caller
 * records `contact.created` for what it made, with its other events.
 */
export async function insertContacts(
  tx: Tx,
  scope: LookupScope,
  rows: ContactRow[],
): Promise<{ made: Set<string>; taken: Map<string, ContactRow> }> {
  const made = new Set<string>();
  const taken = new Map<string, ContactRow>();
  if (rows.length === 0) return { made, taken };
  const withPhone = rows
    .filter((r) => r.phone !== null)
    .sort((a, b) => (a.phone! < b.phone! ? -1 : a.phone! > b.phone! ? 1 : 0));
  const ordered = [...withPhone, ...rows.filter((r) => r.phone === null)];
  for (const part of chunked(ordered)) {
    const inserted = await tx.db
      .insertInto('contacts')
      .values(part)
      .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'phone']).doNothing())
      .returning('id')
      .execute();
    for (const { id } of inserted) made.add(id);
  }
  const lost = withPhone.filter((r) => !made.has(r.id)).map((r) => r.phone!);
  if (lost.length > 0) {
    for (const winner of await findContactsByPhones(tx.db, scope, lost)) taken.set(winner.phone!, winner);
    const unread = lost.find((phone) => !taken.has(phone));
    if (unread) throw new Error(`contact ${unread} conflicted on insert but cannot be read`);
  }
  return { made, taken };
}

/** The oldest contact with this email (emails are not unique). */
export async function findContactByEmail(
  db: Db | Trx,
  scope: LookupScope,
  email: string,
): Promise<ContactRow | undefined> {
  const e = normalizeEmail(email);
  if (!e) return undefined;
  return tenant(db, scope)
    .selectFrom('contacts')
    .selectAll()
    .where('email', '=', e)
    .orderBy('id')
    .executeTakeFirst();
}

export async function emitContact(
  tx: Tx,
  scope: LookupScope,
  type: 'contact.created' | 'contact.updated' | 'contact.deleted',
  row: ContactRow,
  actor: Actor,
) {
  await tx.emit({
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    type,
    actor,
    data: type === 'contact.deleted' ? { id: row.id, object: 'contact', deleted: true } : presentContact(row),
  });
}

function duplicatePhone(existingId: string, phone: string) {
  return new ApiError('conflict', `A contact with phone ${phone} already exists: ${existingId}.`, {
    details: { existing_id: existingId },
  });
}

/**
 * The contact with this phone (or, without a phone, this email), created when there is none.
 * Emits contact.created in `tx` when it creates one. Throws 400 on an invalid phone or email.
 */
export async function findOrCreateContact(
  tx: Tx,
  scope: Scope,
  input: { phone?: string; email?: string; name?: string; providerVouched?: boolean },
  actor: Actor,
): Promise<{ contact: ContactRow; created: boolean }> {
  let phone: string | null = null;
  if (input.phone !== undefined) {
    phone =
      normalizePhone(input.phone, scope.defaultCountry) ??
      (input.providerVouched ? vouchedPhone(input.phone) : null);
    if (!phone) throw invalidField('phone', invalidPhoneMessage(input.phone, scope.defaultCountry, E164));
  }
  let email: string | null = null;
  if (input.email !== undefined) {
    email = normalizeEmail(input.email);
    if (!email) throw invalidField('email', 'must be a valid email address');
  }
  if (!phone && !email) throw invalidField('phone', 'a phone or an email is required');
  const existing = phone
    ? await findContactByPhone(tx.db, scope, phone)
    : await findContactByEmail(tx.db, scope, email as string);
  if (existing) return { contact: existing, created: false };
  const row = newContactRow(
    scope,
    { phone, email, name: input.name?.trim() || null },
    new Date().toISOString(),
  );
  if (phone) {
    // Another process may make the same phone's contact between the look-up and this insert:
    // then that one is the contact (phones are unique per workspace and mode).
    const made = await tx.db
      .insertInto('contacts')
      .values(row)
      .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'phone']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!made) {
      const winner = await findContactByPhone(tx.db, scope, phone);
      if (!winner) throw new Error(`contact ${phone} conflicted on insert but cannot be read`);
      return { contact: winner, created: false };
    }
  } else {
    await tx.db.insertInto('contacts').values(row).execute();
  }
  await emitContact(tx, scope, 'contact.created', row, actor);
  return { contact: row, created: true };
}

/**
 * The contact of a WhatsApp sender, keyed by phone and by business-scoped user id (BSUID), either
 * of which Meta may leave out: a known BSUID finds its contact (even once Meta stops sending the
 * phone); a phone finds or makes its contact and learns the BSUID; a BSUID alone (a username-only
 * sender) makes a contact with no phone. Verified webhooks only: Meta vouches for both.
 */
export async function findOrCreateWhatsAppContact(
  tx: Tx,
  scope: Scope,
  input: { phone?: string; userId?: string; name?: string },
  actor: Actor,
): Promise<{ contact: ContactRow; created: boolean }> {
  const byUserId = input.userId
    ? await tenant(tx.db, scope)
        .selectFrom('contacts')
        .selectAll()
        .where('whatsapp_user_id', '=', input.userId)
        .executeTakeFirst()
    : undefined;
  if (byUserId) return { contact: byUserId, created: false };
  if (input.phone !== undefined) {
    const found = await findOrCreateContact(
      tx,
      scope,
      { phone: input.phone, name: input.name, providerVouched: true },
      actor,
    );
    if (!input.userId || found.contact.whatsapp_user_id) return found;
    const now = new Date().toISOString();
    await tx.db
      .updateTable('contacts')
      .set({ whatsapp_user_id: input.userId, updated_at: now })
      .where('id', '=', found.contact.id)
      .execute();
    return { ...found, contact: { ...found.contact, whatsapp_user_id: input.userId, updated_at: now } };
  }
  if (!input.userId) throw invalidField('phone', 'a phone or a WhatsApp user id is required');
  const row: ContactRow = {
    ...newContactRow(
      scope,
      { phone: null, email: null, name: input.name?.trim() || null },
      new Date().toISOString(),
    ),
    whatsapp_user_id: input.userId,
  };
  const made = await tx.db
    .insertInto('contacts')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'whatsapp_user_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!made) {
    const winner = await tenant(tx.db, scope)
      .selectFrom('contacts')
      .selectAll()
      .where('whatsapp_user_id', '=', input.userId)
      .executeTakeFirstOrThrow();
    return { contact: winner, created: false };
  }
  await emitContact(tx, scope, 'contact.created', row, actor);
  return { contact: row, created: true };
}

/**
 * The customer moved to a new number (WhatsApp's `user_changed_number`, or a known business-scoped
 * user id with a new `wa_id`): the contact takes it, keeping its conversations and history (the
 * old number in `attributes.previous_phones`). Not when another contact already has that number
 * (the customer wrote from it first): then nothing changes and that contact is returned.
 */
export async function moveContactPhone(
  tx: Tx,
  scope: Scope,
  contact: ContactRow,
  newPhone: string,
  actor: Actor,
): Promise<{ moved: boolean; contact: ContactRow; holder?: ContactRow }> {
  const phone = normalizePhone(newPhone, scope.defaultCountry) ?? vouchedPhone(newPhone);
  if (!phone) throw invalidField('phone', invalidPhoneMessage(newPhone, scope.defaultCountry, E164));
  if (phone === contact.phone) return { moved: false, contact };
  const holder = await findContactByPhone(tx.db, scope, phone);
  if (holder) return { moved: false, contact, holder };
  const now = new Date().toISOString();
  // The old number stays in the contact's history: `attributes.previous_phones`, oldest first.
  const attrs = fromJson<Attributes>(contact.attributes, {});
  if (contact.phone) {
    const earlier = typeof attrs.previous_phones === 'string' ? attrs.previous_phones.split(',') : [];
    attrs.previous_phones = [...earlier.filter((p) => p && p !== contact.phone), contact.phone].join(',');
  }
  const patch = { phone, attributes: toJson(attrs), updated_at: now };
  await tx.db.updateTable('contacts').set(patch).where('id', '=', contact.id).execute();
  const moved = { ...contact, ...patch };
  await emitContact(tx, scope, 'contact.updated', moved, actor);
  return { moved: true, contact: moved };
}

export function newContactRow(
  scope: Scope,
  f: {
    phone: string | null;
    email: string | null;
    name: string | null;
    attributes?: Attributes;
    tags?: string[];
    dnd?: boolean;
    opted_out?: boolean;
  },
  now: string,
): ContactRow {
  return {
    ...newRow('ct', scope),
    phone: f.phone,
    name: f.name,
    email: f.email,
    attributes: toJson(f.attributes ?? {}),
    tags: toJson(f.tags ?? []),
    dnd: f.dnd ? 1 : 0,
    opted_out: f.opted_out ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
}

/** Records an opt-out (STOP) or opt-in (START); emits contact.updated when it changes. */
export async function setContactOptOut(
  tx: Tx,
  scope: LookupScope,
  contactId: string,
  optedOut: boolean,
  actor: Actor,
): Promise<ContactRow> {
  const row = await getContactRow(tx.db, scope, contactId);
  if ((row.opted_out === 1) === optedOut) return row;
  const updated = { ...row, opted_out: optedOut ? 1 : 0, updated_at: new Date().toISOString() };
  await tx.db
    .updateTable('contacts')
    .set({ opted_out: updated.opted_out, updated_at: updated.updated_at })
    .where('id', '=', row.id)
    .execute();
  await emitContact(tx, scope, 'contact.updated', updated, actor);
  return updated;
}

export interface ContactInput {
  phone?: string | null;
  name?: string | null;
  email?: string | null;
  attributes?: Record<string, AttributeValue | null>;
  tags?: string[];
  dnd?: boolean;
  opted_out?: boolean;
}

function checkedFields(scope: Scope, input: ContactInput) {
  const errors: { field: string; message: string }[] = [];
  let phone: string | null | undefined;
  if (input.phone === null || input.phone === '') phone = null;
  else if (input.phone !== undefined) {
    phone = normalizePhone(input.phone, scope.defaultCountry);
    if (!phone)
      errors.push({ field: 'phone', message: invalidPhoneMessage(input.phone, scope.defaultCountry, E164) });
  }
  let email: string | null | undefined;
  if (input.email === null || input.email === '') email = null;
  else if (input.email !== undefined) {
    email = normalizeEmail(input.email);
    if (!email) errors.push({ field: 'email', message: 'must be a valid email address' });
  }
  if (errors.length) throw validationFailed(errors);
  return { phone, email };
}

export async function createContact(ctx: AppContext, scope: Scope, input: ContactInput, actor: Actor) {
  const { phone, email } = checkedFields(scope, input);
  if (!phone && !email) throw invalidField('phone', 'a phone or an email is required');
  const attributes = Object.fromEntries(
    Object.entries(input.attributes ?? {}).filter(([, v]) => v !== null),
  ) as Attributes;
  return ctx.transaction(async (tx) => {
    if (phone) {
      const existing = await findContactByPhone(tx.db, scope, phone);
      if (existing) throw duplicatePhone(existing.id, phone);
    }
    const row = newContactRow(
      scope,
      {
        phone: phone ?? null,
        email: email ?? null,
        name: input.name?.trim() || null,
        attributes,
        tags: normalizeTags(input.tags ?? []),
        dnd: input.dnd,
        opted_out: input.opted_out,
      },
      ctx.clock.now().toISOString(),
    );
    await tx.db.insertInto('contacts').values(row).execute();
    await emitContact(tx, scope, 'contact.created', row, actor);
    return presentContact(row);
  });
}

/** A contact's row with a PATCH applied (its phone and email already normalized). */
function patchedContact(
  row: ContactRow,
  input: ContactInput,
  { phone, email }: { phone: string | null | undefined; email: string | null | undefined },
  now: string,
): ContactRow {
  const next: ContactRow = { ...row, updated_at: now };
  if (phone !== undefined) next.phone = phone;
  if (email !== undefined) next.email = email;
  if (input.name !== undefined) next.name = input.name?.trim() || null;
  if (input.attributes) {
    const attrs = fromJson<Attributes>(row.attributes, {});
    for (const [k, v] of Object.entries(input.attributes)) {
      if (v === null) delete attrs[k];
      else attrs[k] = v;
    }
    next.attributes = toJson(attrs);
  }
  if (input.tags) next.tags = toJson(normalizeTags(input.tags));
  if (input.dnd !== undefined) next.dnd = input.dnd ? 1 : 0;
  if (input.opted_out !== undefined) next.opted_out = input.opted_out ? 1 : 0;
  return next;
}

/** Merges a PATCH: `attributes` keys merge (a null value removes the key); `tags` replaces the list. */
export async function updateContact(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: ContactInput,
  actor: Actor,
) {
  const { phone, email } = checkedFields(scope, input);
  return ctx.transaction(async (tx) => {
    await lockContacts(tx.db, [id]);
    const row = await getContactRow(tx.db, scope, id);
    if (phone && phone !== row.phone) {
      const existing = await findContactByPhone(tx.db, scope, phone);
      if (existing && existing.id !== row.id) throw duplicatePhone(existing.id, phone);
    }
    const next = patchedContact(row, input, { phone, email }, ctx.clock.now().toISOString());
    // A contact keeps a way to reach it: its last phone or email goes only beside another address
    // (a website visitor, a Messenger or Instagram user has neither, and can still be edited).
    if (!next.phone && !next.email && (row.phone || row.email) && !otherAddress(row))
      throw invalidField('phone', 'a contact needs a phone or an email');
    // Only the columns this PATCH changed are written, so a write beside it (a merge that filled
    // an address, a profile read) is never put back.
    const changes = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => v !== (row as unknown as Record<string, unknown>)[k]),
    ) as Partial<ContactRow>;
    if (Object.keys(changes).length > 0)
      await tx.db.updateTable('contacts').set(changes).where('id', '=', row.id).execute();
    await emitContact(tx, scope, 'contact.updated', next, actor);
    return presentContact(next);
  });
}

const otherAddress = (row: ContactRow) =>
  Boolean(row.whatsapp_user_id || row.messenger_psid || row.instagram_igsid || row.telegram_chat_id);

/** Filters shared by the contact list and rule-based audiences. */
export interface ContactFilter {
  q?: string;
  /** Contacts carrying every one of these tags. */
  tags?: string[];
  /** Contacts carrying at least one of these tags. */
  any_tags?: string[];
  /** Attribute equality; query strings compare as text, so `5` matches 5 and "5", `true` matches true and "true". */
  attributes?: Record<string, AttributeValue>;
  dnd?: boolean;
  opted_out?: boolean;
}

function tagCondition(dialect: Dialect, tag: string): Expression<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`contacts.tags::jsonb @> jsonb_build_array(${tag}::text)`
    : sql<SqlBool>`exists (select 1 from json_each(contacts.tags) where json_each.value = ${tag})`;
}

function attributeCondition(dialect: Dialect, key: string, value: AttributeValue): Expression<SqlBool> {
  // `->` gives the value's JSON text on both storages ('"premium"', '5', 'true'), so one comparison serves both.
  const text =
    dialect === 'postgres'
      ? sql`(contacts.attributes::jsonb -> ${key})::text`
      : sql`(contacts.attributes -> ${`$."${key}"`})`;
  const forms = new Set<string>([JSON.stringify(String(value))]);
  if (typeof value !== 'string' || /^-?\d+(\.\d+)?$/.test(value) || value === 'true' || value === 'false')
    forms.add(String(value));
  return sql<SqlBool>`${text} in (${sql.join([...forms])})`;
}

/** Applies a `ContactFilter` to a query over `contacts` (already scoped by the caller). */
export function applyContactFilter<Q extends { where: (...args: any[]) => Q }>(
  query: Q,
  dialect: Dialect,
  f: ContactFilter,
): Q {
  let q = query;
  if (f.q?.trim()) {
    const text = f.q.trim();
    const digits = f.q.replace(/[^\d]/g, '');
    q = q.where((eb: any) =>
      eb.or([
        likeContains('contacts.name', text, { lower: true }),
        likeContains('contacts.email', text, { lower: true }),
        ...(digits.length >= 3 ? [sql<SqlBool>`contacts.phone like ${`%${digits}%`}`] : []),
      ]),
    );
  }
  for (const tag of f.tags ?? []) q = q.where(tagCondition(dialect, tag));
  if (f.any_tags?.length) {
    const list = f.any_tags;
    q = q.where((eb: any) => eb.or(list.map((t) => tagCondition(dialect, t))));
  }
  for (const [k, v] of Object.entries(f.attributes ?? {})) {
    if (!ATTRIBUTE_KEY.test(k))
      throw invalidField(`attributes.${k}`, 'attribute names are letters, digits, `_` and `-` (at most 64)');
    q = q.where(attributeCondition(dialect, k, v));
  }
  if (f.dnd !== undefined) q = q.where('contacts.dnd', '=', f.dnd ? 1 : 0);
  if (f.opted_out !== undefined) q = q.where('contacts.opted_out', '=', f.opted_out ? 1 : 0);
  return q;
}

export function scopedContacts(db: Db | Trx, scope: LookupScope) {
  return tenant(db, scope).selectFrom('contacts').where('contacts.merged_into', 'is', null);
}

export async function listContacts(
  ctx: AppContext,
  scope: Scope,
  filter: ContactFilter,
  page: PageRequest,
): Promise<Page<Contact>> {
  const query = applyContactFilter(
    scopedContacts(ctx.db, scope).selectAll('contacts'),
    ctx.dialect,
    filter,
  ).orderBy('contacts.id', 'desc');
  return paginate(query, page, presentContact);
}
