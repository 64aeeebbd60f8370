import { inScope, type Scope, scopeColumns, scopeOf, tenant } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError, type FieldError, invalidField, validationFailed } from '../../platform/errors.ts';
import type { Actor, ActorType, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { limitsFor, type PlanLimits } from '../../platform/limits.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import { type AgentDeleting, getAgentRow } from '../agents/index.ts';
import { audienceContactIds, getAudienceRow } from '../audiences/index.ts';
import { checkBroadcastVariables, recipientVariables } from '../broadcasts/index.ts';
import { channelKinds, findChannelForSend } from '../channels/index.ts';
import { normalizePhone } from '../contacts/index.ts';
import { findTemplateForSend, type Sender, sendMessage } from '../messaging/index.ts';
import { getFlowRow } from '../voice-flows/index.ts';
import { dialJob, expandJob, tickJob } from './campaigns.jobs.ts';
import type {
  CreateCampaignInput,
  recipientResults,
  recipientStates,
  statsSchema,
  UpdateCampaignInput,
} from './campaigns.schemas.ts';
import type {
  CampaignRecipientsTable,
  CampaignStatus,
  CampaignsTable,
  RecipientResult,
  RecipientState,
} from './campaigns.tables.ts';
import { CountChanges, statColumns, zeroCounts } from './counts.ts';
import { dialSpacingMs, PaceWait, takeDialSlot } from './pace.ts';
import { type CallingWindow, isOpen, nextOpening, ruleFor, ruleKey, zonesFor } from './windows.ts';

export type { Scope };

/** A scheduling pass plans this many seconds of dials at the campaign's pace. */
const PASS_SECONDS = 2;
/** Due recipients a pass looks at, at most (those outside their window are moved to its opening). */
const SCAN_LIMIT = 1000;
/** Due recipients read at a time, at least (twice the free slots when more). */
const PAGE_MIN = 50;
/** The longest a running campaign goes without a pass. */
const MAX_IDLE_MS = 5_000;
/** Audience contacts read and recipients written at a time. */
const EXPAND_BATCH = 500;
/** Recipients an expansion run writes (its first run fewer, so that dialing starts at once). */
const EXPAND_PER_RUN = 5000;
const EXPAND_FIRST = 100;
/** Recipients whose zones are resolved between two turns of the event loop. */
const ZONE_SLICE = 20;
/**
 * Recipients inserted per transaction. Small on SQLite, where a pass waits for the one
 * connection while an insert holds it (100 rows keep that wait to a few milliseconds); larger on
 * PostgreSQL, where each transaction costs round trips and a pass waits only for the campaign's lock.
 */
const EXPAND_INSERT_ROWS = { sqlite: 100, postgres: 250 } as const;
/** How soon the next pass looks while recipients are still being written. */
const EXPANDING_POLL_MS = 200;
const DEFAULT_RETRY_ON = ['no_answer', 'busy', 'voicemail', 'failed'];

// ---------------------------------------------------------------------------------------------
// Dialing voice calls goes through the call engine, which registers itself here.

export interface CampaignCall {
  campaign: CampaignsTable;
  recipient: CampaignRecipientsTable;
  contact: { id: string; phone: string; name: string | null };
  dynamicVariables: Record<string, string | number | boolean>;
  /**
   * Run in the transaction that writes the call, before it is written: takes the campaign's dial
   * slot or throws PaceWait (nothing is written then).
   */
  admit(tx: Trx): Promise<void>;
}

export interface CampaignDialer {
  /** Live calls of a workspace and mode (the plan's concurrent-call limit counts these). */
  activeCalls(db: Db | Trx, scope: Scope): Promise<number>;
  /** Places the call (in its own transaction; its jobs dial it). A refusal is an ApiError. */
  placeCall(ctx: AppContext, call: CampaignCall): Promise<{ callId: string }>;
  /** The call an interrupted run of this attempt placed: this campaign's, to this contact, since `since`. */
  findCall(db: Db | Trx, campaignId: string, contactId: string, since: string): Promise<string | null>;
  /** Ends live calls (cancel with hangup). */
  hangup?(ctx: AppContext, scope: Scope, callIds: string[]): Promise<void>;
}

/** The app's dialer (the campaigns module's instance holds it; none when the call engine is absent). */
const dialerOf = (ctx: AppContext): CampaignDialer | null => ctx.modules.campaigns?.dialer ?? null;

// ---------------------------------------------------------------------------------------------
// Reading.

type Stats = import('zod').infer<typeof statsSchema>;
type PublicStatus = (typeof recipientStates)[number] | (typeof recipientResults)[number];

const emptyStats = (): Stats => ({
  total: 0,
  pending: 0,
  scheduled: 0,
  in_progress: 0,
  completed: 0,
  answered: 0,
  voicemail: 0,
  no_answer: 0,
  busy: 0,
  failed: 0,
  sent: 0,
  skipped: 0,
  expired: 0,
  canceled: 0,
  attempts: 0,
  answer_rate: null,
  avg_duration_seconds: null,
  outcomes: {},
});

/** The campaigns' stats, from their counters (one row each, whatever the audience's size). */
async function statsFor(db: Db | Trx, ids: string[]): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>(ids.map((id) => [id, emptyStats()]));
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('campaign_counts').selectAll().where('campaign_id', 'in', ids).execute();
  for (const r of rows) {
    const s = out.get(r.campaign_id)!;
    for (const k of statColumns) s[k] = Number(r[k]);
    const voiceDone = s.completed - s.sent;
    s.answer_rate = voiceDone > 0 ? Math.round((s.answered / voiceDone) * 1000) / 1000 : null;
    const timed = Number(r.answered_timed);
    s.avg_duration_seconds = timed > 0 ? Math.round((Number(r.answered_seconds) / timed) * 10) / 10 : null;
  }
  const outcomes = await db
    .selectFrom('campaign_outcome_counts')
    .selectAll()
    .where('campaign_id', 'in', ids)
    .where('n', '>', 0)
    .execute();
  for (const o of outcomes) out.get(o.campaign_id)!.outcomes[o.outcome] = Number(o.n);
  return out;
}

export function presentCampaign(row: CampaignsTable, stats: Stats) {
  return {
    id: row.id,
    object: 'campaign' as const,
    livemode: row.livemode === 1,
    name: row.name,
    type: row.type,
    agent_id: row.agent_id,
    voice_flow_id: row.voice_flow_id,
    template: row.template_name
      ? {
          name: row.template_name,
          language: row.template_language ?? 'en',
          variables: fromJson<unknown>(row.template_variables, {}),
        }
      : null,
    audience_id: row.audience_id,
    from: row.from_address,
    schedule: {
      start_at: row.start_at,
      end_at: row.end_at,
      windows: fromJson<CallingWindow[] | null>(row.windows, null),
      timezone: row.timezone,
    },
    max_attempts: row.max_attempts,
    retry_delay_minutes: row.retry_delay_minutes,
    retry_on: fromJson<Array<'no_answer' | 'busy' | 'voicemail' | 'failed'>>(row.retry_on, []),
    calls_per_second: Number(row.calls_per_second),
    max_concurrency: row.max_concurrency,
    ignore_dnd: row.ignore_dnd === 1,
    dynamic_variables: fromJson<Record<string, string | number | boolean | null>>(row.dynamic_variables, {}),
    status: row.status,
    stats,
    started_at: row.started_at,
    paused_at: row.paused_at,
    canceled_at: row.canceled_at,
    completed_at: row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type Campaign = ReturnType<typeof presentCampaign>;

export function getCampaignRow(db: Db | Trx, scope: Scope, id: string): Promise<CampaignsTable> {
  return tenant(db, scope).getById('campaigns', id, 'campaign');
}

async function present(db: Db | Trx, row: CampaignsTable) {
  return presentCampaign(row, (await statsFor(db, [row.id])).get(row.id)!);
}

export async function getCampaign(ctx: AppContext, scope: Scope, id: string) {
  return present(ctx.db, await getCampaignRow(ctx.db, scope, id));
}

export async function listCampaigns(
  ctx: AppContext,
  scope: Scope,
  f: { status?: CampaignStatus; type?: 'voice' | 'whatsapp' },
  page: PageRequest,
): Promise<Page<Campaign>> {
  let q = tenant(ctx.db, scope).selectFrom('campaigns');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('type', '=', f.type);
  const rows = await paginate(q.selectAll().orderBy('id', 'desc'), page, (r) => r);
  const stats = await statsFor(
    ctx.db,
    rows.data.map((r) => r.id),
  );
  return { ...rows, data: rows.data.map((r) => presentCampaign(r, stats.get(r.id)!)) };
}

function presentRecipient(row: CampaignRecipientsTable) {
  return {
    id: row.id,
    object: 'campaign_recipient' as const,
    livemode: row.livemode === 1,
    campaign_id: row.campaign_id,
    contact_id: row.contact_id,
    phone: row.phone,
    status: row.state,
    result: row.result,
    attempts: row.attempts,
    next_attempt_at: row.state === 'pending' ? row.next_attempt_at : null,
    last_call_id: row.last_call_id,
    message_id: row.message_id,
    outcome: row.outcome,
    duration_seconds: row.duration_seconds,
    timezones: row.timezones.split(','),
    timezone_source: row.timezone_source as 'contact' | 'country' | 'prefix' | 'campaign',
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function listRecipients(
  ctx: AppContext,
  scope: Scope,
  campaignId: string,
  f: { status?: PublicStatus },
  page: PageRequest,
) {
  await getCampaignRow(ctx.db, scope, campaignId);
  let q = tenant(ctx.db, scope).selectFrom('campaign_recipients').where('campaign_id', '=', campaignId);
  const s = f.status;
  if (s && (['answered', 'voicemail', 'no_answer', 'busy', 'failed', 'sent'] as string[]).includes(s))
    q = q.where('state', '=', 'completed').where('result', '=', s as RecipientResult);
  else if (s) q = q.where('state', '=', s as RecipientState);
  return paginate(q.selectAll().orderBy('id', 'asc'), page, presentRecipient);
}

// ---------------------------------------------------------------------------------------------
// Creating and changing.

async function planLimits(
  db: Db | Trx,
  workspaceId: string,
): Promise<{ limits: PlanLimits; defaultCountry: string }> {
  const ws = await db
    .selectFrom('workspaces')
    .selectAll()
    .where('id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return {
    limits: limitsFor(ws.plan, fromJson<Partial<PlanLimits> | null>(ws.limits, null)),
    defaultCountry: ws.default_country,
  };
}

const positional = (v: unknown): Record<string, string | number> =>
  Array.isArray(v)
    ? Object.fromEntries(v.map((x, i) => [String(i + 1), x as string | number]))
    : ((v ?? {}) as Record<string, string | number>);

/** Would any recipient's window open between start and end? Checked on a sample of the audience. */
async function windowsEverOpen(
  ctx: AppContext,
  auth: Auth,
  audienceId: string,
  schedule: NonNullable<CreateCampaignInput['schedule']>,
  from: Date,
): Promise<boolean> {
  const until = schedule.end_at ? new Date(schedule.end_at) : new Date(from.getTime() + 8 * 86_400_000);
  const seen = new Set<string>();
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, auth, audienceId, 500)) {
    const contacts = await ctx.db
      .selectFrom('contacts')
      .select(['phone', 'attributes'])
      .where('id', 'in', ids)
      .execute();
    for (const c of contacts) {
      const attrs = fromJson<Record<string, unknown>>(c.attributes, {});
      const z = zonesFor(c.phone, attrs.timezone, schedule.timezone ?? 'recipient');
      const rule = ruleFor(z, schedule.windows ?? null);
      const key = ruleKey(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      const at = nextOpening(rule, from);
      if (at && at.getTime() < until.getTime()) return true;
    }
    break;
  }
  return seen.size === 0;
}

/**
 * Checks everything a caller can fix now and stores the campaign as a draft; nothing is dialed
 * until it is started.
 */
/**
 * A voice campaign's `from` must be a voice channel of this workspace and mode (in test mode also
 * the sandbox's own number), refused at creation as a call with it would be, not at every dial.
 */
async function checkVoiceFrom(ctx: AppContext, auth: Auth, raw: string) {
  if (!auth.livemode && raw.trim() === channelKinds.voice.sandboxAddress) return;
  const from = normalizePhone(raw, auth.defaultCountry);
  if (!from) throw invalidField('from', 'must be a valid phone number (E.164)');
  if (await findChannelForSend(ctx.db, auth, { type: 'voice', from })) return;
  throw new ApiError(
    'channel_not_configured',
    auth.livemode
      ? `No active voice channel has the number ${from}.`
      : `No active test-mode voice channel has the number ${from}: test calls go out from the sandbox number ${channelKinds.voice.sandboxAddress} (leave out from) or from a voice channel created with a test key.`,
  );
}

export async function createCampaign(ctx: AppContext, auth: Auth, input: CreateCampaignInput) {
  const errors: FieldError[] = [];
  const now = ctx.clock.now();
  let template: { name: string; language: string; variables: Record<string, string | number> } | null = null;
  if (input.type === 'voice') {
    if (input.template)
      errors.push({
        field: 'template',
        message: 'is for whatsapp campaigns; a voice campaign takes agent_id or voice_flow_id',
      });
    if (!input.agent_id === !input.voice_flow_id)
      errors.push({
        field: input.agent_id ? 'voice_flow_id' : 'agent_id',
        message: 'give one of agent_id or voice_flow_id',
      });
    if (input.agent_id)
      await getAgentRow(ctx.db, auth, input.agent_id).catch((err) => {
        if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
        errors.push({ field: 'agent_id', message: `no agent ${input.agent_id} in this workspace and mode` });
      });
    if (input.voice_flow_id)
      await getFlowRow(ctx.db, auth, input.voice_flow_id).catch((err) => {
        if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
        errors.push({
          field: 'voice_flow_id',
          message: `no voice flow ${input.voice_flow_id} in this workspace and mode`,
        });
      });
    if (
      input.max_concurrency !== undefined &&
      auth.limits.concurrent_calls !== null &&
      input.max_concurrency > auth.limits.concurrent_calls
    )
      errors.push({
        field: 'max_concurrency',
        message: `must be at most ${auth.limits.concurrent_calls}, the plan's concurrent calls`,
      });
  } else {
    for (const k of ['agent_id', 'voice_flow_id', 'max_concurrency'] as const)
      if (input[k] !== undefined) errors.push({ field: k, message: 'is for voice campaigns' });
    if (!input.template)
      errors.push({ field: 'template', message: 'is required: the approved template to send' });
  }
  const schedule = input.schedule ?? {};
  if (schedule.start_at && schedule.end_at && Date.parse(schedule.end_at) <= Date.parse(schedule.start_at))
    errors.push({ field: 'schedule.end_at', message: 'must be later than schedule.start_at' });
  else if (schedule.end_at && Date.parse(schedule.end_at) <= now.getTime())
    errors.push({ field: 'schedule.end_at', message: 'is in the past' });
  try {
    await getAudienceRow(ctx.db, auth, input.audience_id);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
    errors.push({
      field: 'audience_id',
      message: `no audience ${input.audience_id} in this workspace and mode`,
    });
  }
  if (errors.length) throw validationFailed(errors);
  await requireMembers(ctx, auth, input.audience_id);
  if (
    !(await windowsEverOpen(
      ctx,
      auth,
      input.audience_id,
      schedule,
      schedule.start_at ? new Date(schedule.start_at) : now,
    ))
  )
    throw validationFailed([
      {
        field: 'schedule.windows',
        message: schedule.end_at
          ? "never open for the audience's numbers between start_at and end_at (in their time zones, within the legal hours)"
          : "never open for the audience's numbers (in their time zones, within the legal hours)",
      },
    ]);

  if (input.type === 'whatsapp' && input.template) {
    const ref = typeof input.template === 'string' ? { name: input.template } : input.template;
    const tpl = await findTemplateForSend(ctx.db, auth, ref.name, ref.language);
    if (tpl.status !== 'approved')
      throw new ApiError(
        'template_not_approved',
        `Template ${tpl.name} (${tpl.language}) is ${tpl.status}; only approved templates can be sent by a campaign.`,
        { details: { template: tpl.name, template_status: tpl.status } },
      );
    const variables = positional(typeof input.template === 'string' ? {} : input.template.variables);
    const varErrors = checkBroadcastVariables(tpl.body, variables).map((e) => ({
      ...e,
      field: `template.${e.field}`,
    }));
    if (varErrors.length) throw validationFailed(varErrors);
    if (input.from && !(await findChannelForSend(ctx.db, auth, { type: 'whatsapp', from: input.from })))
      throw new ApiError(
        'channel_not_configured',
        `No active WhatsApp channel has the address ${input.from}.`,
      );
    if (!input.from && auth.livemode && !(await findChannelForSend(ctx.db, auth, { type: 'whatsapp' })))
      throw new ApiError(
        'channel_not_configured',
        'No WhatsApp channel is configured for live mode; connect one with POST /v1/channels.',
      );
    template = { name: tpl.name, language: tpl.language, variables };
  }
  if (input.type === 'voice' && input.from) await checkVoiceFrom(ctx, auth, input.from);

  const at = now.toISOString();
  const row: CampaignsTable = {
    id: newId('cmp'),
    ...scopeColumns(auth),
    name: input.name,
    type: input.type,
    agent_id: input.agent_id ?? null,
    voice_flow_id: input.voice_flow_id ?? null,
    template_name: template?.name ?? null,
    template_language: template?.language ?? null,
    template_variables: template ? toJson(template.variables) : null,
    audience_id: input.audience_id,
    from_address: input.from ?? null,
    start_at: schedule.start_at ? new Date(schedule.start_at).toISOString() : null,
    end_at: schedule.end_at ? new Date(schedule.end_at).toISOString() : null,
    windows: schedule.windows ? toJson(schedule.windows) : null,
    timezone: schedule.timezone ?? 'recipient',
    max_attempts: input.max_attempts ?? 3,
    retry_delay_minutes: input.retry_delay_minutes ?? 60,
    // A WhatsApp send has one result that can be tried again: failed.
    retry_on: toJson(input.retry_on ?? (input.type === 'whatsapp' ? ['failed'] : DEFAULT_RETRY_ON)),
    calls_per_second: input.calls_per_second ?? 1,
    max_concurrency: input.max_concurrency ?? null,
    ignore_dnd: input.ignore_dnd ? 1 : 0,
    dynamic_variables: toJson(input.dynamic_variables ?? {}),
    status: 'draft',
    actor_type: auth.actor.type,
    actor_id: auth.actor.id,
    expanded_at: null,
    pace_cursor: null,
    last_dial_at: null,
    started_at: null,
    paused_at: null,
    canceled_at: null,
    completed_at: null,
    created_at: at,
    updated_at: at,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('campaigns').values(row).execute();
    await tx.db
      .insertInto('campaign_counts')
      .values({ campaign_id: row.id, ...zeroCounts() })
      .execute();
  });
  return presentCampaign(row, emptyStats());
}

async function requireMembers(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  audienceId: string,
) {
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, scope, audienceId, 1))
    if (ids.length) return;
  throw validationFailed([{ field: 'audience_id', message: 'the audience has no contacts' }]);
}

export async function updateCampaign(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: UpdateCampaignInput,
  auth: Auth,
) {
  const row = await getCampaignRow(ctx.db, scope, id);
  const onlyName = Object.keys(input).every((k) => k === 'name');
  if (!onlyName && !['draft', 'scheduled', 'paused'].includes(row.status))
    throw new ApiError('conflict', `Campaign ${id} is ${row.status}; pause it to change more than its name.`);
  const errors: FieldError[] = [];
  const s = input.schedule;
  const startAt = s ? (s.start_at ?? null) : row.start_at;
  const endAt = s ? (s.end_at ?? null) : row.end_at;
  if (startAt && endAt && Date.parse(endAt) <= Date.parse(startAt))
    errors.push({ field: 'schedule.end_at', message: 'must be later than schedule.start_at' });
  if (
    input.max_concurrency &&
    row.type === 'voice' &&
    auth.limits.concurrent_calls !== null &&
    input.max_concurrency > auth.limits.concurrent_calls
  )
    errors.push({
      field: 'max_concurrency',
      message: `must be at most ${auth.limits.concurrent_calls}, the plan's concurrent calls`,
    });
  if (input.max_concurrency !== undefined && row.type !== 'voice')
    errors.push({ field: 'max_concurrency', message: 'is for voice campaigns' });
  if (errors.length) throw validationFailed(errors);
  const patch: Partial<CampaignsTable> = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(s
      ? {
          start_at: startAt ? new Date(startAt).toISOString() : null,
          end_at: endAt ? new Date(endAt).toISOString() : null,
          windows: s.windows ? toJson(s.windows) : null,
          timezone: s.timezone ?? 'recipient',
        }
      : {}),
    ...(input.max_attempts !== undefined ? { max_attempts: input.max_attempts } : {}),
    ...(input.retry_delay_minutes !== undefined ? { retry_delay_minutes: input.retry_delay_minutes } : {}),
    ...(input.retry_on !== undefined ? { retry_on: toJson(input.retry_on) } : {}),
    ...(input.calls_per_second !== undefined ? { calls_per_second: input.calls_per_second } : {}),
    ...(input.max_concurrency !== undefined ? { max_concurrency: input.max_concurrency } : {}),
    ...(input.ignore_dnd !== undefined ? { ignore_dnd: input.ignore_dnd ? 1 : 0 } : {}),
    ...(input.dynamic_variables !== undefined ? { dynamic_variables: toJson(input.dynamic_variables) } : {}),
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db.updateTable('campaigns').set(patch).where('id', '=', id).execute();
  return getCampaign(ctx, scope, id);
}

// ---------------------------------------------------------------------------------------------
// Controls.

async function transition(
  ctx: AppContext,
  scope: Scope,
  id: string,
  allowed: CampaignStatus[],
  verb: string,
  change: (tx: Tx, row: CampaignsTable, now: string) => Promise<void>,
) {
  await ctx.transaction(async (tx) => {
    const row = await getCampaignRow(tx.db, scope, id);
    if (!allowed.includes(row.status))
      throw new ApiError('conflict', `Campaign ${id} is ${row.status}; it cannot be ${verb}.`, {
        details: { status: row.status },
      });
    await change(tx, row, ctx.clock.now().toISOString());
  });
  return getCampaign(ctx, scope, id);
}

async function setStatus(tx: Tx, row: CampaignsTable, patch: Partial<CampaignsTable>) {
  const res = await tx.db
    .updateTable('campaigns')
    .set(patch)
    .where('id', '=', row.id)
    .where('status', '=', row.status)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    throw new ApiError('conflict', `Campaign ${row.id} changed meanwhile; retry.`);
}

const tickKey = (id: string) => `campaign:${id}`;

/**
 * Serializes the transactions that claim, cancel or write a campaign's recipients: SQLite has one
 * writer; PostgreSQL takes a transaction-scoped advisory lock per campaign.
 */
async function lockCampaign(ctx: AppContext, tx: Tx, id: string) {
  if (ctx.dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${`campaign:${id}`}))`.execute(tx.db);
}
const expandKey = (id: string) => `campaign-expand:${id}`;

/** Starts a draft: its first pass writes the recipients, then dialing begins when the window is open. */
export async function startCampaign(ctx: AppContext, scope: Scope & { defaultCountry: string }, id: string) {
  const row = await getCampaignRow(ctx.db, scope, id);
  if (row.status === 'draft') {
    if (row.type === 'voice' && !dialerOf(ctx))
      throw new ApiError(
        'unprocessable',
        'Voice calling is not available in this server (the call engine is not loaded).',
      );
    await requireMembers(ctx, scope, row.audience_id).catch((err) => {
      if (err instanceof ApiError && err.code === 'not_found')
        throw validationFailed([
          { field: 'audience_id', message: `audience ${row.audience_id} no longer exists` },
        ]);
      throw err;
    });
  }
  return transition(ctx, scope, id, ['draft'], 'started', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'running', started_at: now, updated_at: now });
    // Writing the recipients comes first; its first slice queues the first pass.
    await ctx.queue.enqueue(tx.db, expandJob, { campaignId: id }, { singletonKey: expandKey(id) });
  });
}

/** Stops new dials; live calls finish. Dial jobs already queued put their recipient back. */
export function pauseCampaign(ctx: AppContext, scope: Scope, id: string) {
  return transition(ctx, scope, id, ['running', 'scheduled'], 'paused', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'paused', paused_at: now, updated_at: now });
  });
}

export function resumeCampaign(ctx: AppContext, scope: Scope, id: string) {
  return transition(ctx, scope, id, ['paused'], 'resumed', async (tx, r, now) => {
    await setStatus(tx, r, { status: 'running', updated_at: now });
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId: id }, { singletonKey: tickKey(id) });
  });
}

/**
 * Stops the campaign for good: recipients not yet on a call become `canceled`; live calls
 * finish unless `hangup` is asked for.
 */
export async function cancelCampaign(ctx: AppContext, scope: Scope, id: string, hangup: boolean) {
  const result = await transition(
    ctx,
    scope,
    id,
    ['draft', 'scheduled', 'running', 'paused'],
    'canceled',
    async (tx, r, now) => {
      // Under the pass's lock, and rows locked in the order everyone takes them: recipients,
      // counters, campaign.
      await lockCampaign(ctx, tx, id);
      const counts = new CountChanges();
      for (const state of ['pending', 'scheduled'] as const) {
        const res = await tx.db
          .updateTable('campaign_recipients')
          .set({
            state: 'canceled',
            error_code: 'campaign_canceled',
            error_message: 'The campaign was canceled before this recipient was reached.',
            updated_at: now,
          })
          .where('campaign_id', '=', id)
          .where('state', '=', state)
          .executeTakeFirst();
        counts.moved({ state }, { state: 'canceled' }, Number(res.numUpdatedRows));
      }
      await counts.apply(tx.db, id);
      await setStatus(tx, r, { status: 'canceled', canceled_at: now, updated_at: now });
    },
  );
  if (hangup) {
    const live = await ctx.db
      .selectFrom('campaign_recipients')
      .select('last_call_id')
      .where('campaign_id', '=', id)
      .where('state', '=', 'in_progress')
      .where('last_call_id', 'is not', null)
      .execute();
    const dialer = dialerOf(ctx);
    if (live.length && dialer?.hangup)
      await dialer.hangup(
        ctx,
        scope,
        live.map((l) => l.last_call_id!),
      );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Completion: every recipient final (nothing pending, scheduled or in progress).

async function completeIfDone(ctx: AppContext, tx: Tx, campaignId: string): Promise<boolean> {
  const c = await tx.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!c || c.completed_at || !c.expanded_at || c.status === 'canceled') return true;
  const open = await tx.db
    .selectFrom('campaign_recipients')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('state', 'in', ['pending', 'scheduled', 'in_progress'])
    .limit(1)
    .executeTakeFirst();
  if (open) return false;
  const now = ctx.clock.now().toISOString();
  const res = await tx.db
    .updateTable('campaigns')
    .set({ status: 'completed', completed_at: now, updated_at: now })
    .where('id', '=', campaignId)
    .where('completed_at', 'is', null)
    .where('status', 'in', ['running', 'paused', 'scheduled'])
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return true;
  await tx.emit({
    workspaceId: c.workspace_id,
    livemode: c.livemode === 1,
    type: 'campaign.completed',
    actor: { type: 'system', id: null },
    data: await present(tx.db, { ...c, status: 'completed', completed_at: now, updated_at: now }),
  });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Expansion: one recipient row per audience contact, its time zones resolved once.

/**
 * The expansion job: writes the campaign's recipients, resuming after the last contact written
 * (the audience is read by ascending contact id), apart from the scheduling passes so that a pass
 * never pays for writing the audience. Its first run writes a small slice, so the first dials
 * need not wait for a large audience; each slice pokes the pass. It queues its own next run until
 * every recipient exists, then marks the campaign expanded.
 */
export async function runExpansion(ctx: AppContext, campaignId: string, job?: JobContext) {
  const c = await ctx.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!c || c.expanded_at || (c.status !== 'running' && c.status !== 'paused')) return;
  const scope = { ...scopeOf(c), defaultCountry: (await planLimits(ctx.db, c.workspace_id)).defaultCountry };
  const startAt =
    c.start_at && c.start_at > (c.started_at ?? '')
      ? c.start_at
      : (c.started_at ?? ctx.clock.now().toISOString());
  const last = await ctx.db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.max('contact_id').as('id'))
    .where('campaign_id', '=', c.id)
    .executeTakeFirst();
  const after = (last?.id as string | null) ?? '';
  const limit = after ? EXPAND_PER_RUN : EXPAND_FIRST;
  const batch = Math.min(EXPAND_BATCH, limit);
  let written = 0;
  let finished = true;
  let marked = false;
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, scope, c.audience_id, batch, after)) {
    if (written >= limit) {
      finished = false;
      break;
    }
    written += ids.length;
    // A short batch is the audience's last: the campaign is marked expanded with its last rows,
    // so nobody sees every recipient written and the campaign not yet expanded.
    const wrote = await writeRecipients(ctx, c, ids, startAt, ids.length < batch);
    if (wrote === 'stopped') return cancelLeftovers(ctx, c.id);
    marked = wrote;
  }
  await ctx.transaction(async (tx) => {
    await job?.completeWith?.(tx.db);
    if (finished) {
      if (!marked) await markExpanded(ctx, tx, c.id);
    } else await ctx.queue.enqueue(tx.db, expandJob, { campaignId }, { singletonKey: expandKey(campaignId) });
    // The pass dials whom this run wrote (or, once all are written, may complete the campaign).
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId }, { singletonKey: tickKey(campaignId) });
  });
  await cancelLeftovers(ctx, c.id);
}

/**
 * Rows this run inserted while a cancel committed were not seen by the cancel: once the run's
 * writes are committed, a canceled campaign's pending recipients are canceled (and counted) here.
 */
async function cancelLeftovers(ctx: AppContext, campaignId: string) {
  await ctx.transaction(async (tx) => {
    const current = await tx.db
      .selectFrom('campaigns')
      .select(['status', 'canceled_at'])
      .where('id', '=', campaignId)
      .executeTakeFirst();
    if (current?.status !== 'canceled') return;
    await lockCampaign(ctx, tx, campaignId);
    const res = await tx.db
      .updateTable('campaign_recipients')
      .set({
        state: 'canceled',
        error_code: 'campaign_canceled',
        error_message: 'The campaign was canceled before this recipient was reached.',
        updated_at: current.canceled_at ?? ctx.clock.now().toISOString(),
      })
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    await new CountChanges()
      .moved({ state: 'pending' }, { state: 'canceled' }, Number(res.numUpdatedRows))
      .apply(tx.db, campaignId);
  });
}

function recipientRow(
  c: CampaignsTable,
  ct: { id: string; phone: string | null; attributes: string; dnd: number; opted_out: number },
  startAt: string,
  now: string,
): CampaignRecipientsTable {
  const z = zonesFor(ct.phone, fromJson<{ timezone?: unknown }>(ct.attributes, {}).timezone, c.timezone);
  const skip =
    ct.opted_out === 1
      ? { code: 'contact_opted_out', message: 'The contact opted out.' }
      : ct.dnd === 1 && c.ignore_dnd === 0
        ? {
            code: 'contact_dnd',
            message: 'The contact is on do-not-disturb (the campaign does not ignore DND).',
          }
        : !ct.phone
          ? { code: 'validation_failed', message: 'The contact has no phone number.' }
          : null;
  return {
    id: newId('cmpr'),
    campaign_id: c.id,
    workspace_id: c.workspace_id,
    livemode: c.livemode,
    contact_id: ct.id,
    phone: ct.phone,
    timezones: z.zones.join(','),
    timezone_source: z.source,
    country: z.country,
    state: skip ? 'skipped' : 'pending',
    result: null,
    attempts: 0,
    next_attempt_at: skip ? null : startAt,
    claim_token: null,
    last_call_id: null,
    message_id: null,
    outcome: null,
    duration_seconds: null,
    error_code: skip?.code ?? null,
    error_message: skip?.message ?? null,
    created_at: now,
    updated_at: now,
  };
}

const markExpanded = (ctx: AppContext, tx: Tx, id: string) =>
  tx.db
    .updateTable('campaigns')
    .set({ expanded_at: ctx.clock.now().toISOString() })
    .where('id', '=', id)
    .execute();

/**
 * Writes the recipient rows of some audience contacts, their time zones resolved once, and counts
 * them; `last`: marks the campaign expanded with the last rows (returns whether it did).
 */
async function writeRecipients(
  ctx: AppContext,
  c: CampaignsTable,
  ids: string[],
  startAt: string,
  last: boolean,
): Promise<boolean | 'stopped'> {
  const contacts = await tenant(ctx.db, scopeOf(c))
    .selectFrom('contacts')
    .select(['id', 'phone', 'attributes', 'dnd', 'opted_out'])
    .where('id', 'in', ids)
    .execute();
  const now = ctx.clock.now().toISOString();
  const rows: CampaignRecipientsTable[] = [];
  for (const [i, ct] of contacts.entries()) {
    // Parsing numbers for their zones is the CPU-heavy part: let the event loop (a pass's queries
    // among them) run between short slices, rather than hold it for a whole batch.
    if (i > 0 && i % ZONE_SLICE === 0) await new Promise((r) => setImmediate(r));
    rows.push(recipientRow(c, ct, startAt, now));
  }
  const parts = chunked(rows, EXPAND_INSERT_ROWS[ctx.dialect]);
  for (const [i, part] of parts.entries()) {
    const stopped = await ctx.transaction(async (tx) => {
      // A cancel stops the writing (rows written while it commits are canceled after: see
      // runExpansion). Not under the campaign's lock, which would hold passes back while rows are inserted.
      const current = await tx.db
        .selectFrom('campaigns')
        .select('status')
        .where('id', '=', c.id)
        .executeTakeFirst();
      if (current?.status !== 'running' && current?.status !== 'paused') return true;
      // A retried run may meet rows it wrote before: only the rows inserted now are counted.
      const inserted = await tx.db
        .insertInto('campaign_recipients')
        .values(part)
        .onConflict((oc) => oc.columns(['campaign_id', 'contact_id']).doNothing())
        .returning('state')
        .execute();
      const counts = new CountChanges();
      for (const r of inserted) counts.added({ state: r.state });
      await counts.apply(tx.db, c.id);
      if (last && i === parts.length - 1) await markExpanded(ctx, tx, c.id);
      return false;
    });
    if (stopped) return 'stopped';
  }
  return last && parts.length > 0;
}

// ---------------------------------------------------------------------------------------------
// The scheduling pass.

/**
 * Free slots for new dials: the campaign's own cap and the workspace's, shared with API calls.
 * Held slots are read from the counters (never by counting recipients): this campaign's
 * scheduled and in-progress recipients, and the claimed (scheduled) ones of every campaign of the
 * workspace, which have no call yet but will.
 */
async function freeSlots(ctx: AppContext, db: Db | Trx, c: CampaignsTable): Promise<number> {
  const perPass = Math.max(1, Math.ceil(Number(c.calls_per_second) * PASS_SECONDS));
  if (c.type !== 'voice') return perPass;
  const dialer = dialerOf(ctx);
  if (!dialer) return 0;
  const held = await db
    .selectFrom('workspaces as w')
    .select((eb) => [
      'w.plan',
      'w.limits',
      eb
        .selectFrom('campaign_counts')
        .select((e) => e('scheduled', '+', e.ref('in_progress')).as('n'))
        .where('campaign_id', '=', c.id)
        .as('own'),
      eb
        .selectFrom('campaign_counts as cc')
        .innerJoin('campaigns as k', 'k.id', 'cc.campaign_id')
        .select((e) => e.fn.sum<number>('cc.scheduled').as('n'))
        .where(inScope(scopeOf(c), 'k'))
        .where('k.status', 'in', ['running', 'paused'])
        .as('waiting'),
    ])
    .where('w.id', '=', c.workspace_id)
    .executeTakeFirstOrThrow();
  const plan =
    limitsFor(held.plan, fromJson<Partial<PlanLimits> | null>(held.limits, null)).concurrent_calls ??
    Number.POSITIVE_INFINITY;
  const active = await dialer.activeCalls(db, scopeOf(c));
  const campaignCap = Math.min(c.max_concurrency ?? plan, plan) - Number(held.own ?? 0);
  const workspaceCap = plan - active - Number(held.waiting ?? 0);
  return Math.max(0, Math.min(perPass, campaignCap, workspaceCap));
}

export interface PassReport {
  claimed: number;
  deferred: number;
  skipped: number;
  expired: number;
  completed: boolean;
}

/**
 * One pass: claims due recipients whose window is open (up to the free slots and the pace),
 * queues their dial jobs spaced `1/calls_per_second` apart, moves those outside their window to
 * its next opening, and queues the next pass. Safe to run twice at once: a recipient is claimed
 * by one pass only (a conditional update marked with the pass's token).
 */
export async function runPass(ctx: AppContext, campaignId: string, job?: JobContext): Promise<PassReport> {
  const report: PassReport = {
    claimed: 0,
    deferred: 0,
    skipped: 0,
    expired: 0,
    completed: false,
  };
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const next = async (tx: Tx, delayMs: number) => {
    await job?.completeWith?.(tx.db);
    await ctx.queue.enqueue(
      tx.db,
      tickJob,
      { campaignId },
      { delayMs: Math.max(0, Math.round(delayMs)), singletonKey: tickKey(campaignId) },
    );
  };
  // The whole pass is one transaction under the campaign's lock: passes of a campaign never
  // interleave (the free slots and the pace they read are still true when they claim), and a
  // pass is about a dozen statements whatever the audience's size.
  await ctx.transaction(async (tx) => {
    await lockCampaign(ctx, tx, campaignId);
    const row = await tx.db
      .selectFrom('campaigns as c')
      .leftJoin('campaign_counts as cc', 'cc.campaign_id', 'c.id')
      .selectAll('c')
      .select([
        'cc.pending as open_pending',
        'cc.scheduled as open_scheduled',
        'cc.in_progress as open_live',
        'cc.pace_cursor as counts_pace_cursor',
      ])
      .where('c.id', '=', campaignId)
      .executeTakeFirst();
    if (row?.status !== 'running') return;
    const { open_pending, open_scheduled, open_live, counts_pace_cursor, ...c } = row;
    // Recipients not final yet, from the counters (null: no counters, so unknown).
    const open =
      open_pending === null ? null : Number(open_pending) + Number(open_scheduled) + Number(open_live);
    if (c.start_at && Date.parse(c.start_at) > now.getTime())
      return next(tx, Math.min(Date.parse(c.start_at) - now.getTime(), MAX_IDLE_MS));
    if (c.end_at && Date.parse(c.end_at) <= now.getTime()) {
      const res = await tx.db
        .updateTable('campaign_recipients')
        .set({
          state: 'expired',
          error_code: 'campaign_ended',
          error_message: 'The schedule ended before this recipient was reached.',
          updated_at: nowIso,
        })
        .where('campaign_id', '=', campaignId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      report.expired = Number(res.numUpdatedRows);
      await new CountChanges()
        .moved({ state: 'pending' }, { state: 'expired' }, report.expired)
        .apply(tx.db, campaignId);
      report.completed = await completeIfDone(ctx, tx, campaignId);
      // Live calls still end their recipients; their end runs completion again.
      return;
    }

    const windows = fromJson<CallingWindow[] | null>(c.windows, null);
    // The pace is wall-clock time, as in the dial jobs (pace.ts), whatever the app's (test)
    // clock says. Dials are queued at most PASS_SECONDS ahead, however often passes run.
    const spacingMs = dialSpacingMs(Number(c.calls_per_second));
    const wall = Date.now();
    // The campaign row's own cursor is where passes before migration 0964 kept it.
    const since = counts_pace_cursor ?? c.pace_cursor;
    let cursor = Math.max(wall, since ? Date.parse(since) : 0);
    const paceRoom = Math.max(0, Math.ceil((wall + PASS_SECONDS * 1000 - cursor) / spacingMs));
    const slots = paceRoom > 0 ? Math.min(paceRoom, await freeSlots(ctx, tx.db, c)) : 0;
    const claim: string[] = [];
    const skips = new Map<string, { message: string; ids: string[] }>();
    const moves = new Map<string, string[]>();
    const expire: string[] = [];
    const openings = new Map<string, Date | null>();
    // Due recipients, oldest first, a page at a time from the "due" index, until the free slots
    // are filled: a pass reads about as many rows as it claims, and at most SCAN_LIMIT when those
    // at the front are outside their window (they move to its opening, out of the next pass's way).
    let scanned = 0;
    let scannedAll = slots === 0;
    let after: { at: string; id: string } | null = null;
    while (!scannedAll && claim.length < slots && scanned < SCAN_LIMIT) {
      const size = Math.min(SCAN_LIMIT - scanned, Math.max(PAGE_MIN, 2 * (slots - claim.length)));
      let q = tx.db
        .selectFrom('campaign_recipients as r')
        .innerJoin('contacts as ct', 'ct.id', 'r.contact_id')
        .select(['r.id', 'r.next_attempt_at', 'r.timezones', 'r.country', 'r.phone', 'r.timezone_source'])
        .select(['ct.dnd', 'ct.opted_out'])
        .where('r.campaign_id', '=', campaignId)
        .where('r.state', '=', 'pending')
        .where('r.next_attempt_at', '<=', nowIso);
      if (after) {
        const { at, id } = after;
        q = q.where((eb) => eb(eb.refTuple('r.next_attempt_at', 'r.id'), '>', eb.tuple(at, id)));
      }
      const page = await q.orderBy('r.next_attempt_at').orderBy('r.id').limit(size).execute();
      scanned += page.length;
      if (page.length < size) scannedAll = true;
      const last = page.at(-1);
      if (last) after = { at: last.next_attempt_at!, id: last.id };
      for (const r of page) {
        const skip =
          r.opted_out === 1
            ? { code: 'contact_opted_out', message: 'The contact opted out.' }
            : r.dnd === 1 && c.ignore_dnd === 0
              ? { code: 'contact_dnd', message: 'The contact is on do-not-disturb.' }
              : null;
        if (skip) {
          const list = skips.get(skip.code) ?? { message: skip.message, ids: [] };
          list.ids.push(r.id);
          skips.set(skip.code, list);
          continue;
        }
        const rule = ruleFor({ ...r, zones: r.timezones.split(','), source: r.timezone_source }, windows);
        const key = ruleKey(rule);
        let opening = openings.get(key);
        if (opening === undefined) {
          opening = nextOpening(rule, now);
          openings.set(key, opening);
        }
        if (opening && opening.getTime() <= now.getTime()) {
          if (claim.length < slots) claim.push(r.id);
          continue;
        }
        if (!opening || (c.end_at && opening.getTime() >= Date.parse(c.end_at))) expire.push(r.id);
        else {
          const at = opening.toISOString();
          moves.set(at, [...(moves.get(at) ?? []), r.id]);
        }
      }
    }

    const counts = new CountChanges();
    for (const [code, { message, ids }] of skips)
      for (const part of chunked(ids)) {
        const res = await tx.db
          .updateTable('campaign_recipients')
          .set({ state: 'skipped', error_code: code, error_message: message, updated_at: nowIso })
          .where('id', 'in', part)
          .where('state', '=', 'pending')
          .executeTakeFirst();
        counts.moved({ state: 'pending' }, { state: 'skipped' }, Number(res.numUpdatedRows));
        report.skipped += Number(res.numUpdatedRows);
      }
    for (const part of chunked(expire)) {
      const res = await tx.db
        .updateTable('campaign_recipients')
        .set({
          state: 'expired',
          error_code: 'outside_calling_window',
          error_message: 'No calling window opens before the schedule ends.',
          updated_at: nowIso,
        })
        .where('id', 'in', part)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      counts.moved({ state: 'pending' }, { state: 'expired' }, Number(res.numUpdatedRows));
      report.expired += Number(res.numUpdatedRows);
    }
    for (const [at, ids] of moves)
      for (const part of chunked(ids))
        await tx.db
          .updateTable('campaign_recipients')
          .set({ next_attempt_at: at, updated_at: nowIso })
          .where('id', 'in', part)
          .where('state', '=', 'pending')
          .execute();
    report.deferred = [...moves.values()].reduce((n, ids) => n + ids.length, 0);
    if (claim.length) {
      const token = newId('job');
      const claimed: Array<{ id: string; attempts: number }> = [];
      for (const part of chunked(claim))
        claimed.push(
          ...(await tx.db
            .updateTable('campaign_recipients')
            .set((eb) => ({
              state: 'scheduled',
              claim_token: token,
              attempts: eb('attempts', '+', 1),
              updated_at: nowIso,
            }))
            .where('id', 'in', part)
            .where('state', '=', 'pending')
            .returning(['id', 'attempts'])
            .execute()),
        );
      claimed.sort((a, b) => (a.id < b.id ? -1 : 1));
      counts.moved({ state: 'pending' }, { state: 'scheduled' }, claimed.length).attempts(claimed.length);
      const items = claimed.map((r) => {
        const dueAt = cursor;
        cursor += spacingMs;
        return {
          payload: { recipientId: r.id, attempt: r.attempts },
          opts: { delayMs: Math.max(0, Math.round(dueAt - wall)) },
        };
      });
      if (items.length) await ctx.queue.enqueueMany(tx.db, dialJob, items);
      report.claimed = items.length;
    }
    // Rows locked in one order everywhere: recipients, then counters, then the campaign.
    await counts.apply(
      tx.db,
      campaignId,
      report.claimed ? { paceCursor: new Date(cursor).toISOString() } : {},
    );
    if (
      report.claimed === 0 &&
      c.expanded_at &&
      (open === null || open - report.skipped - report.expired <= 0)
    ) {
      // Nothing claimed, and nothing or only what this pass moved was left: it may be done.
      // (Otherwise whoever moves the last recipient completes the campaign.)
      report.completed = await completeIfDone(ctx, tx, campaignId);
      if (report.completed) return;
    }
    // Next pass: when this pass's dials are due, sooner when work is waiting, at the latest MAX_IDLE_MS.
    let delay = MAX_IDLE_MS;
    if (report.claimed > 0) delay = Math.max(200, cursor - wall - spacingMs);
    // Recipients are still being written: look again soon (each slice written also pokes the pass).
    else if (!c.expanded_at) delay = EXPANDING_POLL_MS;
    else if (slots === 0) delay = paceRoom === 0 ? Math.max(200, cursor - wall - PASS_SECONDS * 1000) : 1000;
    else if (!scannedAll) delay = 0;
    else {
      const soonest = await tx.db
        .selectFrom('campaign_recipients')
        .select((eb) => eb.fn.min('next_attempt_at').as('at'))
        .where('campaign_id', '=', campaignId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (soonest?.at)
        delay = Math.min(MAX_IDLE_MS, Math.max(200, Date.parse(String(soonest.at)) - now.getTime()));
    }
    // A campaign whose writing stopped (paused, or started before it was a job of its own) goes
    // on. Enqueued before the next pass, in the order the expansion job takes the two jobs' keys.
    // While the writing runs, its job is live: the look costs one statement and waits on nobody.
    if (!c.expanded_at)
      await ctx.queue.enqueue(
        tx.db,
        expandJob,
        { campaignId },
        { singletonKey: expandKey(campaignId), unlessLive: true },
      );
    await next(tx, delay);
  });
  return report;
}

// ---------------------------------------------------------------------------------------------
// Dialing one recipient.

async function senderFor(ctx: AppContext, c: CampaignsTable): Promise<Sender> {
  const { limits, defaultCountry } = await planLimits(ctx.db, c.workspace_id);
  return {
    workspaceId: c.workspace_id,
    livemode: c.livemode === 1,
    defaultCountry,
    actor: { type: c.actor_type as ActorType, id: c.actor_id } satisfies Actor,
    limits,
  };
}

/**
 * Moves one recipient out of `from` (a conditional update: nothing happens when another run
 * moved it first) and counts the move with the row as written, in one transaction. Then, when
 * the recipient became final, completes the campaign if nothing is left.
 */
async function moveRecipient(
  ctx: AppContext,
  r: Pick<CampaignRecipientsTable, 'id' | 'campaign_id'>,
  from: 'pending' | 'scheduled' | 'in_progress',
  patch: Partial<CampaignRecipientsTable> & { state: RecipientState },
  opts: {
    attempts?: number;
    where?: Partial<Pick<CampaignRecipientsTable, 'attempts' | 'last_call_id'>>;
  } = {},
  tx?: Tx,
): Promise<boolean> {
  const run = async (tx: Tx) => {
    let q = tx.db
      .updateTable('campaign_recipients')
      .set((eb) => ({
        ...patch,
        ...(opts.attempts ? { attempts: eb('attempts', '+', opts.attempts) } : {}),
      }))
      .where('id', '=', r.id)
      .where('state', '=', from);
    if (opts.where?.attempts !== undefined) q = q.where('attempts', '=', opts.where.attempts);
    if (opts.where?.last_call_id) q = q.where('last_call_id', '=', opts.where.last_call_id);
    const row = await q.returning(['state', 'result', 'outcome', 'duration_seconds']).executeTakeFirst();
    if (!row) return false;
    await new CountChanges()
      .moved({ state: from }, row)
      .attempts(opts.attempts ?? 0)
      .apply(tx.db, r.campaign_id);
    if (!['pending', 'scheduled', 'in_progress'].includes(row.state))
      await completeIfDone(ctx, tx, r.campaign_id);
    return true;
  };
  return tx ? run(tx) : ctx.transaction(run);
}

/** Puts a claimed recipient back to wait (paused campaign, closed window, no free slot); the attempt is not spent. */
async function release(ctx: AppContext, r: CampaignRecipientsTable, nextAt: string, now: string) {
  await moveRecipient(
    ctx,
    r,
    'scheduled',
    { state: 'pending', claim_token: null, next_attempt_at: nextAt, updated_at: now },
    { attempts: -1, where: { attempts: r.attempts } },
  );
}

/** The dial job: one attempt for one recipient; runs at most once per attempt whatever happens. */
export async function runDial(ctx: AppContext, recipientId: string, attempt: number) {
  let r = await ctx.db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('id', '=', recipientId)
    .executeTakeFirst();
  if (!r || r.attempts !== attempt) return;
  const c = await ctx.db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', r.campaign_id)
    .executeTakeFirstOrThrow();
  if (r.state === 'in_progress' && c.type === 'whatsapp' && !r.message_id) {
    // A run of this job died while sending: adopt the message it sent, or send now.
    if (await adoptSentMessage(ctx, c, r)) return;
    r = { ...r, state: 'scheduled' };
  }
  if (r.state !== 'scheduled') return;
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  if (c.status === 'canceled') return;
  if (c.status !== 'running') return void (await release(ctx, r, nowIso, nowIso));
  const rule = ruleFor(
    { ...r, zones: r.timezones.split(','), source: r.timezone_source },
    fromJson<CallingWindow[] | null>(c.windows, null),
  );
  if (!isOpen(rule, now)) {
    // The window closed between the pass and this job (a clock edge): wait for it to open again.
    const opening = nextOpening(rule, now);
    await release(ctx, r, (opening ?? now).toISOString(), nowIso);
    return;
  }
  const contact = await tenant(ctx.db, scopeOf(c)).findById('contacts', r.contact_id);
  if (!contact?.phone) {
    await moveRecipient(ctx, r, 'scheduled', {
      state: 'skipped',
      claim_token: null,
      updated_at: nowIso,
      error_code: 'not_found',
      error_message: 'The contact or its number no longer exists.',
    });
    return;
  }
  if (c.type === 'voice')
    return dialVoice(ctx, c, r, {
      id: contact.id,
      phone: contact.phone,
      name: contact.name,
      attributes: contact.attributes,
      email: contact.email,
    });
  return sendWhatsApp(ctx, c, r, contact);
}

async function dialVoice(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
  contact: { id: string; phone: string; name: string | null; email: string | null; attributes: string },
) {
  const dialer = dialerOf(ctx);
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  if (!dialer) return void (await release(ctx, r, new Date(now.getTime() + 60_000).toISOString(), nowIso));
  // Moves of this attempt only: a call that ended quickly may have settled it already.
  const finish = (patch: Partial<CampaignRecipientsTable> & { state: RecipientState }) =>
    moveRecipient(
      ctx,
      r,
      'scheduled',
      { claim_token: null, updated_at: nowIso, ...patch },
      { where: { attempts: r.attempts } },
    );
  // An earlier run of this attempt may have placed the call and died before recording it.
  let callId = await dialer.findCall(ctx.db, c.id, contact.id, r.updated_at);
  if (!callId) {
    const dynamic: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(fromJson<Record<string, unknown>>(c.dynamic_variables, {})))
      if (v !== null && v !== undefined) dynamic[k] = v as string | number | boolean;
    try {
      callId = (
        await dialer.placeCall(ctx, {
          campaign: c,
          recipient: r,
          contact: { id: contact.id, phone: contact.phone, name: contact.name },
          dynamicVariables: dynamic,
          admit: async (tx) => {
            const waitMs = await takeDialSlot(tx, c.id, Number(c.calls_per_second), Date.now());
            if (waitMs > 0) throw new PaceWait(waitMs);
          },
        })
      ).callId;
    } catch (err) {
      if (err instanceof PaceWait) {
        // Another dial of this campaign took the slot (a late job, another process): this attempt
        // runs again when the slot frees, still claimed.
        await ctx.queue.enqueue(
          ctx.db,
          dialJob,
          { recipientId: r.id, attempt: r.attempts },
          { delayMs: err.waitMs },
        );
        return;
      }
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'concurrency_limited' || err.code === 'rate_limited')
        // API calls took the slot meanwhile: wait a moment (a campaign never gets a 429).
        return void (await release(ctx, r, new Date(now.getTime() + 2000).toISOString(), nowIso));
      const skip = err.code === 'contact_opted_out' || err.code === 'contact_dnd';
      await finish(
        skip
          ? { state: 'skipped', error_code: err.code, error_message: err.message }
          : { state: 'completed', result: 'failed', error_code: err.code, error_message: err.message },
      );
      return;
    }
  }
  await finish({ state: 'in_progress', last_call_id: callId, error_code: null, error_message: null });
}

/**
 * The message an interrupted send left: the newest template message of this campaign's template
 * to the recipient's number since the attempt began. Found: the recipient completes with it.
 */
async function adoptSentMessage(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
): Promise<boolean> {
  if (!r.phone) return false;
  const msg = await tenant(ctx.db, scopeOf(c))
    .selectFrom('messages')
    .select(['id', 'template'])
    .where('direction', '=', 'outbound')
    .where('type', '=', 'template')
    .where('to_address', '=', r.phone)
    .where('created_at', '>=', r.updated_at)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!msg || fromJson<{ name?: string }>(msg.template, {}).name !== c.template_name) {
    await moveRecipient(ctx, r, 'in_progress', { state: 'scheduled' });
    return false;
  }
  await moveRecipient(ctx, r, 'in_progress', {
    state: 'completed',
    result: 'sent',
    message_id: msg.id,
    claim_token: null,
    updated_at: ctx.clock.now().toISOString(),
  });
  return true;
}

async function sendWhatsApp(
  ctx: AppContext,
  c: CampaignsTable,
  r: CampaignRecipientsTable,
  contact: {
    id: string;
    phone: string | null;
    name: string | null;
    email: string | null;
    attributes: string;
  },
) {
  const nowIso = ctx.clock.now().toISOString();
  // The send takes the campaign's pace slot with the claim, as a voice dial does with its call.
  const claim = await ctx
    .transaction(async (tx) => {
      const claimed = await moveRecipient(
        ctx,
        r,
        'scheduled',
        { state: 'in_progress', updated_at: nowIso },
        { where: { attempts: r.attempts } },
        tx,
      );
      if (!claimed) return 'gone' as const;
      const waitMs = await takeDialSlot(tx.db, c.id, Number(c.calls_per_second), Date.now());
      if (waitMs > 0) throw new PaceWait(waitMs);
      return 'claimed' as const;
    })
    .catch(async (err) => {
      if (!(err instanceof PaceWait)) throw err;
      await ctx.queue.enqueue(
        ctx.db,
        dialJob,
        { recipientId: r.id, attempt: r.attempts },
        { delayMs: err.waitMs },
      );
      return 'waiting' as const;
    });
  if (claim !== 'claimed') return;
  const done = (patch: Partial<CampaignRecipientsTable>) =>
    moveRecipient(ctx, r, 'in_progress', {
      claim_token: null,
      updated_at: ctx.clock.now().toISOString(),
      state: 'completed',
      ...patch,
    });
  const body = (
    await tenant(ctx.db, scopeOf(c))
      .selectFrom('templates')
      .select('body')
      .where('name', '=', c.template_name!)
      .where('language', '=', c.template_language!)
      .executeTakeFirst()
  )?.body;
  if (body === undefined)
    return void (await done({
      result: 'failed',
      error_code: 'template_not_approved',
      error_message: `Template ${c.template_name} no longer exists.`,
    }));
  const vars = recipientVariables(body, positional(fromJson(c.template_variables, {})), {
    name: contact.name,
    phone: contact.phone,
    email: contact.email,
    attributes: fromJson<Record<string, unknown>>(contact.attributes, {}),
  });
  if ('error' in vars)
    return void (await done({
      result: 'failed',
      error_code: 'validation_failed',
      error_message: `Not sent: ${vars.error}.`,
    }));
  try {
    const message = await sendMessage(ctx, await senderFor(ctx, c), {
      to: contact.phone!,
      channel: 'whatsapp',
      type: 'template',
      template: { name: c.template_name!, language: c.template_language!, variables: vars.values },
      ...(c.from_address ? { from: c.from_address } : {}),
      business_initiated: true,
      ...(c.ignore_dnd ? { ignore_dnd: true } : {}),
    });
    await done({ result: 'sent', message_id: message.id });
  } catch (err) {
    if (!(err instanceof ApiError)) {
      await moveRecipient(ctx, r, 'in_progress', { state: 'scheduled', updated_at: nowIso });
      throw err;
    }
    if (err.code === 'rate_limited') {
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      await moveRecipient(
        ctx,
        r,
        'in_progress',
        {
          state: 'pending',
          next_attempt_at: new Date(
            ctx.clock.now().getTime() + (Number.isFinite(seconds) ? seconds : 60) * 1000,
          ).toISOString(),
          updated_at: nowIso,
        },
        { attempts: -1 },
      );
      return;
    }
    if (err.code === 'contact_opted_out')
      await done({ state: 'skipped', error_code: err.code, error_message: err.message });
    else await done({ result: 'failed', error_code: err.code, error_message: err.message });
  }
}

// ---------------------------------------------------------------------------------------------
// A campaign call ended: its recipient completes, or waits for a retry.

export interface CallEnd {
  callId: string;
  campaignId?: string | null;
  contactId?: string | null;
  status: string;
  /** When the call was placed (it belongs to the recipient's attempt claimed at or before then). */
  queuedAt?: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  outcome?: string | null;
  errorCode?: string | null;
}

/** The recipient result of a call's final status. */
export function resultOf(status: string): RecipientResult {
  switch (status) {
    case 'completed':
      return 'answered';
    case 'voicemail':
      return 'voicemail';
    case 'no_answer':
      return 'no_answer';
    case 'busy':
      return 'busy';
    default:
      return 'failed';
  }
}

/**
 * Runs in the transaction that ends a campaign call: the recipient completes with the call's
 * result, or goes back to pending for a retry after `retry_delay_minutes` (the pass then waits
 * for its window). The campaign completes when nothing is left.
 */
export async function onCampaignCallEnded(ctx: AppContext, tx: Tx, end: CallEnd) {
  let r = await tx.db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('last_call_id', '=', end.callId)
    .where('state', '=', 'in_progress')
    .executeTakeFirst();
  let from: 'in_progress' | 'scheduled' = 'in_progress';
  if (!r && end.campaignId && end.contactId && end.queuedAt) {
    // The call ended before its dial job recorded it (a quick busy line, a sandbox call): its
    // recipient is still claimed for the attempt that placed it, and settles from there (the dial
    // job's own record then finds it no longer claimed and changes nothing).
    const claimed = await tx.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', end.campaignId)
      .where('contact_id', '=', end.contactId)
      .where('state', '=', 'scheduled')
      .executeTakeFirst();
    if (claimed && claimed.updated_at <= end.queuedAt) {
      r = claimed;
      from = 'scheduled';
    }
  }
  if (!r) return;
  const c = await tx.db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', r.campaign_id)
    .executeTakeFirstOrThrow();
  const result = resultOf(end.status);
  const ended = end.endedAt ? Date.parse(end.endedAt) : ctx.clock.now().getTime();
  const nowIso = ctx.clock.now().toISOString();
  const retry =
    fromJson<string[]>(c.retry_on, []).includes(result) &&
    r.attempts < c.max_attempts &&
    c.status !== 'canceled';
  // Conditional on the call still being the recipient's live one: a second run of this job
  // (or a late one) changes and counts nothing.
  const moved = await moveRecipient(
    ctx,
    r,
    from,
    {
      state: retry ? 'pending' : 'completed',
      result,
      last_call_id: end.callId,
      claim_token: null,
      next_attempt_at: retry
        ? new Date(ended + c.retry_delay_minutes * 60_000).toISOString()
        : r.next_attempt_at,
      outcome: end.outcome ?? (result === 'answered' ? r.outcome : null),
      duration_seconds: result === 'answered' ? end.durationSeconds : r.duration_seconds,
      error_code: result === 'failed' ? (end.errorCode ?? 'call_failed') : null,
      error_message: result === 'failed' ? `The call ended ${end.status}.` : null,
      updated_at: nowIso,
    },
    { where: from === 'in_progress' ? { last_call_id: end.callId } : { attempts: r.attempts } },
    tx,
  );
  if (moved && c.status === 'running' && !(await completeIfDone(ctx, tx, c.id)))
    // A slot is free: the next pass may dial now.
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId: c.id }, { singletonKey: tickKey(c.id) });
}

/** A campaign in one of these may still dial or send: what it uses cannot be deleted. */
const unfinishedStatuses = ['draft', 'scheduled', 'running', 'paused'] as const;

/** Flows a campaign still needs cannot be deleted. */
export async function flowInUse(db: Trx, scope: Scope, flowId: string): Promise<string | null> {
  const c = await tenant(db, scope)
    .selectFrom('campaigns')
    .select('id')
    .where('voice_flow_id', '=', flowId)
    .where('status', 'in', unfinishedStatuses)
    .executeTakeFirst();
  return c
    ? `Voice flow ${flowId} is used by campaign ${c.id}, which has not finished; cancel it first.`
    : null;
}

/** Agents a campaign still needs cannot be deleted (an `onAgentDelete` listener). */
export async function refuseAgentInUse(tx: Tx, e: AgentDeleting): Promise<void> {
  const c = await tenant(tx.db, e.scope)
    .selectFrom('campaigns')
    .select('id')
    .where('agent_id', '=', e.agentId)
    .where('status', 'in', unfinishedStatuses)
    .executeTakeFirst();
  if (c)
    throw new ApiError(
      'conflict',
      `Agent ${e.agentId} is used by campaign ${c.id}, which has not finished; cancel it first.`,
    );
}
