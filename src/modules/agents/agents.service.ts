import { newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import './agents.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError, type FieldError, notFound, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { unbindAgentChannels } from '../channels/index.ts';
import { normalizePhone } from '../contacts/index.ts';
import { type HandoffPolicyInput, unlinkAgentConversations } from '../conversations/index.ts';
import { assertToolsExist } from '../tools/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import {
  type agentTools,
  type CreateAgentInput,
  type UpdateAgentInput,
  type Weekday,
  weekdays,
} from './agents.schemas.ts';
import type { AgentsTable } from './agents.tables.ts';
import { type AnalysisSettings, mergeAnalysisSettings, parseAnalysisSettings } from './analysis-settings.ts';
import { buildModel, type ModelConfig, modelConfig, presentModel } from './model-settings.ts';
import { mergeVoiceSettings, presentVoiceSettings, type StoredVoiceSettings } from './voice-settings.ts';

export type { Scope };

/** A built-in tool, or the id of a workspace tool (`tool_…`). */
export type AgentTool = (typeof agentTools)[number] | `tool_${string}`;
export type { ModelProvider } from './model-settings.ts';

export interface Interval {
  open: string;
  close: string;
}
export interface Service {
  id: string;
  name: string;
  duration_minutes: number;
  price: number | null;
  /** How many bookings may run at once when this service is booked (staff, chairs, rooms). */
  capacity: number;
}
/** The business as stored and returned: every day present, defaults filled. */
export interface Business {
  timezone: string;
  hours: Record<Weekday, Interval[]>;
  /**
   * Stored only while `hours` are the defaults a new agent gets (the business never gave any):
   * bookings use them, but the agent does not tell customers hours nobody set. Not returned.
   */
  hours_default?: true;
  address: string | null;
  services: Service[];
  holidays: string[];
  buffer_minutes: number;
}
export interface Handoff {
  keywords: string[];
  max_unanswered: number;
  /** While the AI is paused and no person has answered a waiting customer for this long, one holding message goes out. */
  holding_message_after_minutes: number;
  /** The holding message; null: a built-in one in the customer's language. */
  holding_message: string | null;
}
/** What a booking needs before it is made. */
export interface BookingSettings {
  /** A website visitor gives a name and a phone or email first (stored on the contact). */
  require_contact: boolean;
}
const defaultBooking: BookingSettings = { require_contact: true };
export const parseBooking = (json: string | null): BookingSettings => ({
  ...defaultBooking,
  ...fromJson<Partial<BookingSettings>>(json, {}),
});

export interface LeadField {
  key: string;
  label: string;
  required: boolean;
}

/** Everything the reply engine needs about an agent, with JSON parsed and the API key opened. */
export interface AgentConfig {
  id: string;
  workspaceId: string;
  livemode: boolean;
  name: string;
  status: 'active' | 'paused';
  phoneNumber: string | null;
  instructions: string;
  greeting: string | null;
  languages: string[];
  model: ModelConfig;
  tools: AgentTool[];
  handoff: Handoff;
  business: Business;
  leadFields: LeadField[];
  /** Absent (tests' agents): the defaults. */
  booking?: BookingSettings;
  analysis?: AnalysisSettings;
}

/** Mon–Fri 09:00–17:00 UTC until the business says otherwise, so a new agent can take bookings. */
const nineToFive = [{ open: '09:00', close: '17:00' }];
export const defaultHours = (): Record<Weekday, Interval[]> => ({
  mon: nineToFive,
  tue: nineToFive,
  wed: nineToFive,
  thu: nineToFive,
  fri: nineToFive,
  sat: [],
  sun: [],
});
const defaultTools: AgentTool[] = ['knowledge', 'lead_capture', 'booking', 'handoff'];
const defaultHandoff: Handoff = {
  keywords: ['human', 'agent', 'manager'],
  // Nobody unseen: the first message the AI cannot answer is offered a person (and queued).
  max_unanswered: 1,
  holding_message_after_minutes: 5,
  holding_message: null,
};
/** The stored handoff settings, with the defaults of settings added since it was stored. */
export const parseHandoff = (json: string | null): Handoff => ({
  ...defaultHandoff,
  ...fromJson<Partial<Handoff>>(json, {}),
});

export function parseBusiness(row: Pick<AgentsTable, 'business'>): Business {
  const business = fromJson<Business>(row.business, null as never);
  // Services stored before capacity existed have one place.
  return { ...business, services: business.services.map((s) => ({ ...s, capacity: s.capacity ?? 1 })) };
}

/** The business as the API shows it (without what is kept for the agent's own use). */
function publicBusiness({ hours_default: _, ...business }: Business): Omit<Business, 'hours_default'> {
  return business;
}

export function presentAgent(row: AgentsTable) {
  return {
    ...objectHead(row, 'agent'),
    name: row.name,
    status: row.status,
    phone_number: row.phone_number,
    instructions: row.instructions,
    greeting: row.greeting,
    languages: fromJson<string[]>(row.languages, []),
    model: presentModel(row),
    tools: fromJson<AgentTool[]>(row.tools, []),
    handoff: parseHandoff(row.handoff),
    handoff_policy: fromJson<HandoffPolicyInput | null>(row.handoff_policy, null),
    business: publicBusiness(parseBusiness(row)),
    lead_fields: fromJson<LeadField[]>(row.lead_fields, []),
    booking: parseBooking(row.booking),
    voice: presentVoiceSettings(row.voice),
    analysis: parseAnalysisSettings(row.analysis),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type AgentView = ReturnType<typeof presentAgent>;

export function agentConfig(ctx: AppContext, row: AgentsTable): AgentConfig {
  const view = presentAgent(row);
  return {
    id: row.id,
    ...scopeOf(row),
    name: row.name,
    status: row.status,
    phoneNumber: row.phone_number,
    instructions: row.instructions,
    greeting: row.greeting,
    languages: view.languages,
    model: modelConfig(ctx, row),
    tools: view.tools,
    handoff: view.handoff,
    business: parseBusiness(row),
    leadFields: view.lead_fields,
    booking: view.booking,
    analysis: view.analysis,
  };
}

const scoped = (db: Db | Trx, scope: Scope) =>
  tenant(db, scope).selectFrom('agents').selectAll().where('deleted_at', 'is', null);

/** The agent, or `not_found` (also for another workspace's or mode's agent, or a deleted one). */
export async function getAgentRow(db: Db | Trx, scope: Scope, id: string): Promise<AgentsTable> {
  const row = await scoped(db, scope).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('agent', id);
  return row;
}

/**
 * The agent with this id in this scope, or undefined. Unlike getAgentRow, a deleted agent's row is
 * returned too: a record that names its agent (a call) reads the agent as stored.
 */
export function findAgentRow(db: Db | Trx, scope: Scope, id: string): Promise<AgentsTable | undefined> {
  return tenant(db, scope).findById('agents', id);
}

/** The workspace's default agent: the oldest active one (ids sort by creation time). */
export async function defaultAgent(db: Db | Trx, scope: Scope): Promise<AgentsTable | undefined> {
  return scoped(db, scope).where('status', '=', 'active').orderBy('id', 'asc').executeTakeFirst();
}

/** The agent answering on a number (E.164), whatever its status. */
export async function findAgentByPhone(
  db: Db | Trx,
  scope: Scope,
  phoneNumber: string,
): Promise<AgentsTable | undefined> {
  return scoped(db, scope).where('phone_number', '=', phoneNumber).executeTakeFirst();
}

export async function listAgents(
  ctx: AppContext,
  scope: Scope,
  page: PageRequest,
  filters: { status?: string },
): Promise<Page<AgentView>> {
  let q = scoped(ctx.db, scope).orderBy('id', 'desc');
  if (filters.status) q = q.where('status', '=', filters.status as AgentsTable['status']);
  return paginate(q, page, presentAgent);
}

function buildBusiness(
  input: NonNullable<CreateAgentInput['business']>,
  previous: Business | null,
): Business {
  const errors: FieldError[] = [];
  const known = new Map((previous?.services ?? []).map((s) => [s.id, s]));
  const services: Service[] = [];
  if (input.services) {
    input.services.forEach((s, i) => {
      if (s.id && !known.has(s.id))
        errors.push({
          field: `business.services.${i}.id`,
          message: `is not a service of this agent (omit it for a new service)`,
        });
      services.push({
        id: s.id ?? newId('svc'),
        name: s.name,
        duration_minutes: s.duration_minutes,
        price: s.price ?? null,
        capacity: s.capacity ?? known.get(s.id ?? '')?.capacity ?? 1,
      });
    });
    const ids = services.map((s) => s.id);
    if (new Set(ids).size !== ids.length)
      errors.push({ field: 'business.services', message: 'lists the same service id twice' });
  }
  if (errors.length) throw validationFailed(errors);
  const hours = input.hours
    ? (Object.fromEntries(
        weekdays.map((d) => [d, [...(input.hours?.[d] ?? [])].sort((a, b) => a.open.localeCompare(b.open))]),
      ) as Business['hours'])
    : (previous?.hours ?? defaultHours());
  const hoursDefault = !input.hours && (previous === null || previous.hours_default === true);
  return {
    timezone: input.timezone ?? previous?.timezone ?? 'UTC',
    hours,
    ...(hoursDefault ? { hours_default: true as const } : {}),
    address: input.address !== undefined ? input.address : (previous?.address ?? null),
    services: input.services ? services : (previous?.services ?? []),
    holidays: input.holidays ? [...new Set(input.holidays)].sort() : (previous?.holidays ?? []),
    buffer_minutes: input.buffer_minutes ?? previous?.buffer_minutes ?? 0,
  };
}

/** Voice settings merged over the stored ones, checked as a whole (an update may complete an earlier half). */
function buildVoice(
  ctx: AppContext,
  input: NonNullable<CreateAgentInput['voice']>,
  previous: string | null,
): string {
  const merged = mergeVoiceSettings(ctx, previous, input);
  const errors: FieldError[] = [];
  for (const stage of ['stt', 'tts'] as const) {
    const e = merged[stage];
    if (e?.provider === 'openai_compatible' && !e.base_url && !ctx.config.voice.speechUrl)
      errors.push({
        field: `voice.${stage}.base_url`,
        message:
          'is required for the openai_compatible engine (or set PARLEY_VOICE_SPEECH_URL on the server)',
      });
  }
  if (merged.voicemail?.action === 'leave_message' && !merged.voicemail.message)
    errors.push({ field: 'voice.voicemail.message', message: 'is required when action is leave_message' });
  if (merged.transfer?.mode === 'warm' && !merged.transfer.to)
    errors.push({
      field: 'voice.transfer.to',
      message: 'is required when mode is warm (the number dialled first)',
    });
  if (errors.length) throw validationFailed(errors);
  return toJson(merged);
}

async function defaultCountryOf(db: Db | Trx, workspaceId: string): Promise<string> {
  return (await workspaceTerms(db, workspaceId)).defaultCountry;
}

async function normalizedPhone(
  db: Db | Trx,
  scope: Scope,
  phone: string | null | undefined,
  selfId: string | null,
) {
  if (phone === null || phone === undefined) return phone;
  const e164 = normalizePhone(phone, await defaultCountryOf(db, scope.workspaceId));
  if (!e164)
    throw validationFailed([
      { field: 'phone_number', message: 'must be a valid phone number (E.164, e.g. +919876543210)' },
    ]);
  const taken = await findAgentByPhone(db, scope, e164);
  if (taken && taken.id !== selfId) {
    throw new ApiError('conflict', `Agent ${taken.id} already answers on ${e164}.`, {
      details: { existing_id: taken.id },
    });
  }
  return e164;
}

/** The workspace tools an agent lists must be tools of its workspace and mode. */
async function checkToolIds(ctx: AppContext, scope: Scope, tools: readonly string[] | undefined) {
  const ids = (tools ?? []).filter((t) => t.startsWith('tool_'));
  if (ids.length) await assertToolsExist(ctx.db, scope, [...new Set(ids)]);
}

export async function createAgent(
  ctx: AppContext,
  scope: Scope,
  input: CreateAgentInput,
): Promise<AgentView> {
  const now = ctx.clock.now().toISOString();
  await checkToolIds(ctx, scope, input.tools);
  const phone = await normalizedPhone(ctx.db, scope, input.phone_number, null);
  const row: AgentsTable = {
    ...newRow('agt', scope),
    name: input.name,
    status: input.status ?? 'active',
    phone_number: phone ?? null,
    instructions: input.instructions ?? '',
    greeting: input.greeting ?? null,
    // English and Hindi (Hinglish and Devanagari): a customer is answered in the language they write.
    languages: toJson(input.languages ?? ['en', 'hi']),
    ...buildModel(ctx, input.model, null),
    tools: toJson([...new Set(input.tools ?? defaultTools)]),
    handoff: toJson({ ...defaultHandoff, ...input.handoff }),
    business: toJson(buildBusiness(input.business ?? {}, null)),
    lead_fields: toJson(
      (input.lead_fields ?? []).map((f) => ({ key: f.key, label: f.label, required: f.required ?? false })),
    ),
    booking: input.booking ? toJson({ ...defaultBooking, ...input.booking }) : null,
    voice: input.voice ? buildVoice(ctx, input.voice, null) : null,
    handoff_policy: input.handoff_policy ? toJson(input.handoff_policy) : null,
    analysis: input.analysis ? mergeAnalysisSettings(null, input.analysis) : null,
    deleted_at: null,
    created_at: now,
    updated_at: now,
  };
  await insertOrConflict(() => ctx.db.insertInto('agents').values(row).execute(), row.phone_number);
  return presentAgent(row);
}

/** The phone check above races with a concurrent write; the unique index decides, reported as a 409. */
async function insertOrConflict(write: () => Promise<unknown>, phone: string | null) {
  try {
    await write();
  } catch (err) {
    if (phone && /unique|duplicate/i.test((err as Error).message)) {
      throw new ApiError('conflict', `Another agent already answers on ${phone}.`);
    }
    throw err;
  }
}

export async function updateAgent(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: UpdateAgentInput,
): Promise<AgentView> {
  const row = await getAgentRow(ctx.db, scope, id);
  await checkToolIds(ctx, scope, input.tools);
  const phone =
    input.phone_number !== undefined
      ? await normalizedPhone(ctx.db, scope, input.phone_number, row.id)
      : row.phone_number;
  const next = withChanges(ctx, row, input, phone ?? null);
  const { id: _id, workspace_id: _ws, livemode: _lm, created_at: _c, ...changes } = next;
  await insertOrConflict(
    () => tenant(ctx.db, scope).updateTable('agents').set(changes).where('id', '=', row.id).execute(),
    next.phone_number,
  );
  return presentAgent(next);
}

/**
 * The agent as it would be with a draft change applied, nothing saved: what a replay runs
 * (the same merge rules as PATCH, so a draft behaves as the change would once made).
 */
export function draftAgentConfig(
  ctx: AppContext,
  row: AgentsTable,
  draft: Omit<UpdateAgentInput, 'phone_number' | 'status'>,
): AgentConfig {
  return agentConfig(ctx, withChanges(ctx, row, draft, row.phone_number));
}

function withChanges(
  ctx: AppContext,
  row: AgentsTable,
  input: UpdateAgentInput,
  phone: string | null,
): AgentsTable {
  return {
    ...row,
    name: input.name ?? row.name,
    status: input.status ?? row.status,
    phone_number: phone,
    instructions: input.instructions ?? row.instructions,
    greeting: input.greeting !== undefined ? input.greeting : row.greeting,
    languages: input.languages ? toJson(input.languages) : row.languages,
    ...(input.model ? buildModel(ctx, input.model, row) : {}),
    tools: input.tools ? toJson([...new Set(input.tools)]) : row.tools,
    handoff: input.handoff ? toJson({ ...parseHandoff(row.handoff), ...input.handoff }) : row.handoff,
    business: input.business ? toJson(buildBusiness(input.business, parseBusiness(row))) : row.business,
    lead_fields: input.lead_fields
      ? toJson(input.lead_fields.map((f) => ({ key: f.key, label: f.label, required: f.required ?? false })))
      : row.lead_fields,
    booking: input.booking ? toJson({ ...parseBooking(row.booking), ...input.booking }) : row.booking,
    voice: input.voice ? buildVoice(ctx, input.voice, row.voice) : row.voice,
    handoff_policy:
      input.handoff_policy !== undefined
        ? input.handoff_policy && toJson(input.handoff_policy)
        : row.handoff_policy,
    analysis: input.analysis ? mergeAnalysisSettings(row.analysis, input.analysis) : row.analysis,
    updated_at: ctx.clock.now().toISOString(),
  };
}

/** What the `agentDeleting` port gets, inside the delete's transaction. */
export interface AgentDeleting {
  scope: Scope;
  agentId: string;
  now: Date;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /**
     * A module above this one acts inside an agent's delete, before anything is written: refuses
     * it (throws an `ApiError`: a campaign that still needs the agent) or lets go of the agent.
     * Provided by the campaigns module.
     */
    agentDeleting: (tx: Tx, e: AgentDeleting) => Promise<void>;
  }
}

/**
 * Soft delete: leads, bookings and calls keep pointing at the agent's id (their history), so the
 * row stays (with `deleted_at`) while the API, the default-agent choice and phone lookups no
 * longer see it; its phone number becomes free for another agent. In the same transaction the
 * `agentDeleting` port may refuse it, and channels and conversations let go of the agent.
 */
export async function deleteAgent(ctx: AppContext, scope: Scope, id: string) {
  await ctx.transaction(async (tx) => {
    const row = await getAgentRow(tx.db, scope, id);
    const now = ctx.clock.now();
    await ctx.ports.agentDeleting?.(tx, { scope, agentId: row.id, now });
    // Its channels and conversations go on without it: the default agent answers on them.
    await unbindAgentChannels(ctx, tx, scope, row.id);
    await unlinkAgentConversations(tx, scope, row.id, now);
    await tenant(tx.db, scope)
      .updateTable('agents')
      .set({ deleted_at: now.toISOString(), updated_at: now.toISOString(), status: 'paused' })
      .where('id', '=', row.id)
      .execute();
  });
  return { id, object: 'agent' as const, deleted: true as const };
}

/**
 * An agent's stored voice settings (`{}` for an agent without any), or null when there is no such
 * agent. Deleted agents count: a call keeps the settings of the agent it was placed with. Without a
 * scope, the id alone (a carrier's callback knows the call, not its workspace).
 */
export async function agentVoiceSettings(
  db: Db | Trx,
  agentId: string,
  scope?: Scope,
): Promise<StoredVoiceSettings | null> {
  const from = scope ? tenant(db, scope).selectFrom('agents') : db.selectFrom('agents');
  const row = await from.select('voice').where('id', '=', agentId).executeTakeFirst();
  return row ? fromJson<StoredVoiceSettings>(row.voice, {}) : null;
}

/** Whether a live (not deleted) agent has this id in this workspace and mode. */
/*
 * The sandbox's reads of test-mode agents (the channels module binds its sandbox channels with
 * them): deleted agents are none.
 */

/** The agent with this phone number (E.164), whatever its status, or undefined. */
export function agentAtPhone(
  db: Db | Trx,
  scope: Scope,
  phoneNumber: string,
): Promise<Pick<AgentsTable, 'id' | 'phone_number'> | undefined> {
  return tenant(db, scope)
    .selectFrom('agents')
    .select(['id', 'phone_number'])
    .where('deleted_at', 'is', null)
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst();
}

/** The oldest active agent (by creation), the sandbox's default agent, or undefined. */
export function oldestActiveAgent(
  db: Db | Trx,
  scope: Scope,
): Promise<Pick<AgentsTable, 'id' | 'phone_number'> | undefined> {
  return tenant(db, scope)
    .selectFrom('agents')
    .select(['id', 'phone_number'])
    .where('deleted_at', 'is', null)
    .where('status', '=', 'active')
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .executeTakeFirst();
}

/** Whether the agent exists, is not deleted and is active. */
export async function agentIsActive(db: Db | Trx, scope: Scope, agentId: string): Promise<boolean> {
  const row = await tenant(db, scope)
    .selectFrom('agents')
    .select('id')
    .where('deleted_at', 'is', null)
    .where('id', '=', agentId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row !== undefined;
}

export async function agentExists(db: Db | Trx, scope: Scope, agentId: string): Promise<boolean> {
  const row = await tenant(db, scope)
    .selectFrom('agents')
    .select('id')
    .where('id', '=', agentId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}
