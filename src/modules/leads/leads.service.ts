import { newRow, tenant } from '../../platform/db/scope.ts';
import './leads.tables.ts';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { getAgentRow } from '../agents/index.ts';
import {
  findOrCreateContact,
  getContactRow,
  invalidPhoneMessage,
  normalizeEmail,
  normalizePhone,
  type Scope,
} from '../contacts/index.ts';
import { type ConversationRow, getConversationRow } from '../conversations/index.ts';
import { aiLeadStatus } from './leads.qualify.ts';
import type { createLeadBody, updateLeadBody } from './leads.schemas.ts';
import type { LeadStatus, LeadsTable } from './leads.tables.ts';

export type { Scope } from '../contacts/index.ts';
export type CaptureLeadInput = z.output<typeof createLeadBody>;
export type UpdateLeadInput = z.output<typeof updateLeadBody>;
type FieldValue = string | number | boolean;

/** A lead still being worked: a new capture in the same conversation updates it. */
const openStatuses: LeadStatus[] = ['new', 'qualified'];

export function presentLead(row: LeadsTable) {
  return {
    ...objectHead(row, 'lead'),
    contact_id: row.contact_id,
    conversation_id: row.conversation_id,
    agent_id: row.agent_id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    intent: row.intent,
    source: row.source,
    status: row.status,
    fields: fromJson<Record<string, FieldValue>>(row.fields, {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type Lead = ReturnType<typeof presentLead>;

const scopedLeads = (db: Db | Trx, scope: Scope) => tenant(db, scope).selectFrom('leads').selectAll();

export function getLeadRow(db: Db | Trx, scope: Scope, id: string): Promise<LeadsTable> {
  return tenant(db, scope).getById('leads', id, 'lead');
}

/** A conversation of this workspace and mode (its contact and agent are what leads and bookings need). */
export async function getConversationRef(
  db: Db | Trx,
  scope: Scope,
  id: string,
): Promise<Pick<ConversationRow, 'id' | 'contact_id' | 'agent_id'>> {
  const row = await getConversationRow(db, scope, id);
  return { id: row.id, contact_id: row.contact_id, agent_id: row.agent_id };
}

function normalizedContactFields(scope: Scope, input: { phone?: string | null; email?: string | null }) {
  const errors: FieldError[] = [];
  let phone: string | null | undefined = input.phone;
  if (typeof input.phone === 'string') {
    phone = normalizePhone(input.phone, scope.defaultCountry);
    if (!phone)
      errors.push({ field: 'phone', message: invalidPhoneMessage(input.phone, scope.defaultCountry) });
  }
  let email: string | null | undefined = input.email;
  if (typeof input.email === 'string') {
    email = normalizeEmail(input.email);
    if (!email) errors.push({ field: 'email', message: 'must be a valid email address' });
  }
  if (errors.length) throw validationFailed(errors);
  return { phone, email };
}

function mergeFields(current: string, patch: Record<string, FieldValue | null> | undefined): string {
  const out = fromJson<Record<string, FieldValue>>(current, {});
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return toJson(out);
}

/** lead.qualified marks the move into `qualified`; every other change is lead.updated. */
async function emitChange(tx: Tx, scope: Scope, before: LeadsTable, after: LeadsTable, actor: Actor) {
  const type =
    after.status === 'qualified' && before.status !== 'qualified' ? 'lead.qualified' : 'lead.updated';
  await tx.emit({
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    type,
    actor,
    data: presentLead(after),
  });
}

/** lead.captured for a new lead, then lead.qualified when it is qualified from the start. */
async function emitCaptured(tx: Tx, scope: Scope, row: LeadsTable, actor: Actor) {
  const types =
    row.status === 'qualified'
      ? (['lead.captured', 'lead.qualified'] as const)
      : (['lead.captured'] as const);
  for (const type of types)
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type,
      actor,
      data: presentLead(row),
    });
}

/**
 * Records a lead for the API and the AI's lead-capture tool. With a conversation (or, without
 * one, a contact) that already has an open lead (`new` or `qualified`), that lead is updated
 * instead of creating a duplicate. Without a contact, the contact with the lead's phone (or
 * email) is used or created. Emits lead.captured, or lead.updated / lead.qualified.
 */
export async function captureLead(
  ctx: AppContext,
  scope: Scope,
  input: CaptureLeadInput,
  actor: Actor,
): Promise<{ lead: Lead; created: boolean }> {
  const contact = normalizedContactFields(scope, input);
  return ctx.transaction(async (tx) => {
    const refs = await leadRefs(ctx, tx, scope, input, contact, actor);
    const agent = refs.agentId ? await getAgentRow(tx.db, scope, refs.agentId) : null;
    // The AI's lead is qualified once its agent's required fields are captured (leads.qualify.ts).
    const qualify = (row: LeadsTable): LeadsTable =>
      actor.type === 'ai' && input.status === undefined
        ? { ...row, status: aiLeadStatus(row.status, agent?.lead_fields, row.fields) }
        : row;
    const open = await findOpenLead(ctx, tx, scope, refs);
    const now = ctx.clock.now().toISOString();

    if (open) {
      const next = qualify(capturedInto(open, input, refs, contact, now));
      await tx.db
        .updateTable('leads')
        .set({
          contact_id: next.contact_id,
          agent_id: next.agent_id,
          name: next.name,
          phone: next.phone,
          email: next.email,
          intent: next.intent,
          status: next.status,
          fields: next.fields,
          updated_at: now,
        })
        .where('id', '=', open.id)
        .execute();
      await emitChange(tx, scope, open, next, actor);
      return { lead: presentLead(next), created: false };
    }

    const row = qualify(newLead(scope, input, actor, refs, contact, now));
    await tx.db.insertInto('leads').values(row).execute();
    await emitCaptured(tx, scope, row, actor);
    return { lead: presentLead(row), created: true };
  });
}

interface LeadRefs {
  contactId: string | null;
  conversationId: string | null;
  agentId: string | null;
}
type ContactFields = ReturnType<typeof normalizedContactFields>;

/**
 * The lead's conversation, contact and agent: a conversation gives its contact and agent where the
 * input names none; without a contact, the one with the lead's phone (or email) is found or created.
 */
async function leadRefs(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  input: CaptureLeadInput,
  { phone, email }: ContactFields,
  actor: Actor,
): Promise<LeadRefs> {
  let contactId = input.contact_id ?? null;
  let agentId = input.agent_id ?? null;
  const conversationId = input.conversation_id ?? null;
  if (conversationId) {
    const conv = await getConversationRef(tx.db, scope, conversationId);
    contactId ??= conv.contact_id;
    agentId ??= conv.agent_id;
    // Two captures for one conversation must not both create: serialise them (SQLite already is).
    if (ctx.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(hashtext(${`lead:${conversationId}`}))`.execute(tx.db);
  }
  if (contactId) await getContactRow(tx.db, scope, contactId);
  else if (phone || email) {
    const { contact } = await findOrCreateContact(
      tx,
      scope,
      { ...(phone ? { phone } : { email: email as string }), ...(input.name ? { name: input.name } : {}) },
      actor,
    );
    contactId = contact.id;
  }
  return { contactId, conversationId, agentId };
}

/** The open lead of the conversation or, without one, of the contact (captures by contact serialised). */
async function findOpenLead(ctx: AppContext, tx: Tx, scope: Scope, refs: LeadRefs) {
  const { contactId, conversationId } = refs;
  if (!contactId && !conversationId) {
    throw validationFailed([
      { field: 'phone', message: 'a lead needs a contact_id, a conversation_id, a phone or an email' },
    ]);
  }
  if (!conversationId && contactId && ctx.dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext(${`lead:${contactId}`}))`.execute(tx.db);
  }
  const openQuery = scopedLeads(tx.db, scope).where('status', 'in', openStatuses).orderBy('id', 'desc');
  return (
    conversationId
      ? openQuery.where('conversation_id', '=', conversationId)
      : openQuery.where('contact_id', '=', contactId as string)
  ).executeTakeFirst();
}

/** An open lead with a new capture's values: given ones replace, fields merge, missing refs fill in. */
function capturedInto(
  open: LeadsTable,
  input: CaptureLeadInput,
  refs: LeadRefs,
  { phone, email }: ContactFields,
  now: string,
): LeadsTable {
  return {
    ...open,
    contact_id: open.contact_id ?? refs.contactId,
    agent_id: open.agent_id ?? refs.agentId,
    name: input.name !== undefined ? input.name : open.name,
    phone: phone !== undefined ? phone : open.phone,
    email: email !== undefined ? email : open.email,
    intent: input.intent !== undefined ? input.intent : open.intent,
    status: input.status ?? open.status,
    fields: mergeFields(open.fields, input.fields),
    updated_at: now,
  };
}

function newLead(
  scope: Scope,
  input: CaptureLeadInput,
  actor: Actor,
  refs: LeadRefs,
  { phone, email }: ContactFields,
  now: string,
): LeadsTable {
  return {
    ...newRow('lead', scope),
    contact_id: refs.contactId,
    conversation_id: refs.conversationId,
    agent_id: refs.agentId,
    name: input.name ?? null,
    phone: phone ?? null,
    email: email ?? null,
    intent: input.intent ?? null,
    source: input.source ?? (actor.type === 'ai' ? 'ai' : 'api'),
    status: input.status ?? 'new',
    fields: mergeFields('{}', input.fields),
    created_at: now,
    updated_at: now,
  };
}

export async function updateLead(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: UpdateLeadInput,
  actor: Actor,
): Promise<Lead> {
  const { phone, email } = normalizedContactFields(scope, input);
  return ctx.transaction(async (tx) => {
    const row = await getLeadRow(tx.db, scope, id);
    const next: LeadsTable = {
      ...row,
      name: input.name !== undefined ? input.name : row.name,
      phone: phone !== undefined ? phone : row.phone,
      email: email !== undefined ? email : row.email,
      intent: input.intent !== undefined ? input.intent : row.intent,
      source: input.source ?? row.source,
      status: input.status ?? row.status,
      fields: input.fields ? mergeFields(row.fields, input.fields) : row.fields,
      updated_at: ctx.clock.now().toISOString(),
    };
    await tenant(tx.db, scope)
      .updateTable('leads')
      .set({
        name: next.name,
        phone: next.phone,
        email: next.email,
        intent: next.intent,
        source: next.source,
        status: next.status,
        fields: next.fields,
        updated_at: next.updated_at,
      })
      .where('id', '=', row.id)
      .execute();
    await emitChange(tx, scope, row, next, actor);
    return presentLead(next);
  });
}

export interface LeadFilter {
  status?: LeadStatus;
  contact_id?: string;
  conversation_id?: string;
  agent_id?: string;
}

export async function listLeads(
  ctx: AppContext,
  scope: Scope,
  filter: LeadFilter,
  page: PageRequest,
): Promise<Page<Lead>> {
  let q = scopedLeads(ctx.db, scope).orderBy('id', 'desc');
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.contact_id) q = q.where('contact_id', '=', filter.contact_id);
  if (filter.conversation_id) q = q.where('conversation_id', '=', filter.conversation_id);
  if (filter.agent_id) q = q.where('agent_id', '=', filter.agent_id);
  return paginate(q, page, presentLead);
}
