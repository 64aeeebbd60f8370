import { newRow, type Scope } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError, type FieldError, invalidField, validationFailed } from '../../platform/errors.ts';
import type { Auth } from '../../platform/http/route.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { PlanLimits } from '../../platform/limits.ts';
import { getAgentRow } from '../agents/index.ts';
import { audienceContactIds, getAudienceRow } from '../audiences/index.ts';
import { checkBroadcastVariables } from '../broadcasts/index.ts';
import { channelKinds, findChannelForSend } from '../channels/index.ts';
import { contactsByIds, normalizePhone } from '../contacts/index.ts';
import { findTemplateForSend } from '../messaging/index.ts';
import { getFlowRow } from '../voice-flows/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import type { CreateCampaignInput, UpdateCampaignInput } from './campaigns.schemas.ts';
import type { CampaignsTable } from './campaigns.tables.ts';
import { zeroCounts } from './counts.ts';
import { emptyStats, getCampaign, getCampaignRow, presentCampaign } from './read.ts';
import { DEFAULT_RETRY_ON } from './tuning.ts';
import { nextOpening, ruleFor, ruleKey, zonesFor } from './windows.ts';

// ---------------------------------------------------------------------------------------------
// Creating and changing.

export async function planLimits(
  db: Db | Trx,
  workspaceId: string,
): Promise<{ limits: PlanLimits; defaultCountry: string }> {
  const { limits, defaultCountry } = await workspaceTerms(db, workspaceId);
  return { limits, defaultCountry };
}

export const positional = (v: unknown): Record<string, string | number> =>
  Array.isArray(v)
    ? Object.fromEntries(v.map((x, i) => [String(i + 1), x as string | number]))
    : ((v ?? {}) as Record<string, string | number>);

/** Would any recipient's window open between start and end? Checked on a sample of the audience. */
export async function windowsEverOpen(
  ctx: AppContext,
  auth: Auth,
  audienceId: string,
  schedule: NonNullable<CreateCampaignInput['schedule']>,
  from: Date,
): Promise<boolean> {
  const until = schedule.end_at ? new Date(schedule.end_at) : new Date(from.getTime() + 8 * 86_400_000);
  const seen = new Set<string>();
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, auth, audienceId, 500)) {
    const contacts = await contactsByIds(ctx.db, auth, ids);
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
 * A voice campaign's `from` must be a voice channel of this workspace and mode (in test mode also
 * the sandbox's own number), refused at creation as a call with it would be, not at every dial.
 */
export async function checkVoiceFrom(ctx: AppContext, auth: Auth, raw: string) {
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

type CampaignTemplate = { name: string; language: string; variables: Record<string, string | number> };

/** Refused unless the record it names exists in this workspace and mode (a field error then). */
async function mustExist(errors: FieldError[], field: string, message: string, find: () => Promise<unknown>) {
  try {
    await find();
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
    errors.push({ field, message });
  }
}

/** What a voice campaign's input gets wrong (and a WhatsApp campaign's voice fields). */
async function typeErrors(ctx: AppContext, auth: Auth, input: CreateCampaignInput): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  if (input.type !== 'voice') {
    for (const k of ['agent_id', 'voice_flow_id', 'max_concurrency'] as const)
      if (input[k] !== undefined) errors.push({ field: k, message: 'is for voice campaigns' });
    if (!input.template)
      errors.push({ field: 'template', message: 'is required: the approved template to send' });
    return errors;
  }
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
  const agentId = input.agent_id;
  if (agentId)
    await mustExist(errors, 'agent_id', `no agent ${agentId} in this workspace and mode`, () =>
      getAgentRow(ctx.db, auth, agentId),
    );
  const flowId = input.voice_flow_id;
  if (flowId)
    await mustExist(errors, 'voice_flow_id', `no voice flow ${flowId} in this workspace and mode`, () =>
      getFlowRow(ctx.db, auth, flowId),
    );
  const concurrencyError = maxConcurrencyError(auth, input.max_concurrency);
  if (concurrencyError) errors.push(concurrencyError);
  return errors;
}

function maxConcurrencyError(auth: Auth, max: number | undefined): FieldError | null {
  const limit = auth.limits.concurrent_calls;
  if (max === undefined || limit === null || max <= limit) return null;
  return { field: 'max_concurrency', message: `must be at most ${limit}, the plan's concurrent calls` };
}

function scheduleErrors(schedule: NonNullable<CreateCampaignInput['schedule']>, now: Date): FieldError[] {
  if (schedule.start_at && schedule.end_at && Date.parse(schedule.end_at) <= Date.parse(schedule.start_at))
    return [{ field: 'schedule.end_at', message: 'must be later than schedule.start_at' }];
  if (schedule.end_at && Date.parse(schedule.end_at) <= now.getTime())
    return [{ field: 'schedule.end_at', message: 'is in the past' }];
  return [];
}

/** A WhatsApp campaign's template: approved, its variables given, a channel to send it from. */
async function campaignTemplate(
  ctx: AppContext,
  auth: Auth,
  input: CreateCampaignInput,
): Promise<CampaignTemplate | null> {
  if (input.type !== 'whatsapp' || !input.template) return null;
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
    throw new ApiError('channel_not_configured', `No active WhatsApp channel has the address ${input.from}.`);
  if (!input.from && auth.livemode && !(await findChannelForSend(ctx.db, auth, { type: 'whatsapp' })))
    throw new ApiError(
      'channel_not_configured',
      'No WhatsApp channel is configured for live mode; connect one with POST /v1/channels.',
    );
  return { name: tpl.name, language: tpl.language, variables };
}

function newCampaignRow(
  auth: Auth,
  input: CreateCampaignInput,
  template: CampaignTemplate | null,
  at: string,
): CampaignsTable {
  const schedule = input.schedule ?? {};
  return {
    ...newRow('cmp', auth),
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
}

/**
 * Checks everything a caller can fix now and stores the campaign as a draft; nothing is dialed
 * until it is started.
 */
export async function createCampaign(ctx: AppContext, auth: Auth, input: CreateCampaignInput) {
  const now = ctx.clock.now();
  const schedule = input.schedule ?? {};
  const errors = [...(await typeErrors(ctx, auth, input)), ...scheduleErrors(schedule, now)];
  await mustExist(errors, 'audience_id', `no audience ${input.audience_id} in this workspace and mode`, () =>
    getAudienceRow(ctx.db, auth, input.audience_id),
  );
  if (errors.length) throw validationFailed(errors);
  await requireMembers(ctx, auth, input.audience_id);
  const from = schedule.start_at ? new Date(schedule.start_at) : now;
  if (!(await windowsEverOpen(ctx, auth, input.audience_id, schedule, from)))
    throw validationFailed([
      {
        field: 'schedule.windows',
        message: schedule.end_at
          ? "never open for the audience's numbers between start_at and end_at (in their time zones, within the legal hours)"
          : "never open for the audience's numbers (in their time zones, within the legal hours)",
      },
    ]);
  const template = await campaignTemplate(ctx, auth, input);
  if (input.type === 'voice' && input.from) await checkVoiceFrom(ctx, auth, input.from);
  const row = newCampaignRow(auth, input, template, now.toISOString());
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('campaigns').values(row).execute();
    await tx.db
      .insertInto('campaign_counts')
      .values({ campaign_id: row.id, ...zeroCounts() })
      .execute();
  });
  return presentCampaign(row, emptyStats());
}

export async function requireMembers(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  audienceId: string,
) {
  for await (const ids of audienceContactIds(ctx.db, ctx.dialect, scope, audienceId, 1))
    if (ids.length) return;
  throw validationFailed([{ field: 'audience_id', message: 'the audience has no contacts' }]);
}

function updateErrors(row: CampaignsTable, input: UpdateCampaignInput, auth: Auth): FieldError[] {
  const errors: FieldError[] = [];
  const s = input.schedule;
  const startAt = s ? (s.start_at ?? null) : row.start_at;
  const endAt = s ? (s.end_at ?? null) : row.end_at;
  if (startAt && endAt && Date.parse(endAt) <= Date.parse(startAt))
    errors.push({ field: 'schedule.end_at', message: 'must be later than schedule.start_at' });
  if (input.max_concurrency !== undefined && row.type !== 'voice')
    errors.push({ field: 'max_concurrency', message: 'is for voice campaigns' });
  else if (input.max_concurrency) {
    const tooMany = maxConcurrencyError(auth, input.max_concurrency);
    if (tooMany) errors.push(tooMany);
  }
  return errors;
}

/** The columns an update sets: only the fields given. */
function updatePatch(row: CampaignsTable, input: UpdateCampaignInput, at: string): Partial<CampaignsTable> {
  const s = input.schedule;
  const startAt = s ? (s.start_at ?? null) : row.start_at;
  const endAt = s ? (s.end_at ?? null) : row.end_at;
  const given = <K extends keyof UpdateCampaignInput, V>(
    k: K,
    f: (v: NonNullable<UpdateCampaignInput[K]>) => V,
  ) => (input[k] !== undefined ? f(input[k] as NonNullable<UpdateCampaignInput[K]>) : undefined);
  const patch: Partial<CampaignsTable> = {
    name: given('name', (v) => v),
    max_attempts: given('max_attempts', (v) => v),
    retry_delay_minutes: given('retry_delay_minutes', (v) => v),
    retry_on: given('retry_on', (v) => toJson(v)),
    calls_per_second: given('calls_per_second', (v) => v),
    max_concurrency: given('max_concurrency', (v) => v),
    ignore_dnd: given('ignore_dnd', (v) => (v ? 1 : 0)),
    dynamic_variables: given('dynamic_variables', (v) => toJson(v)),
    updated_at: at,
  };
  if (s) {
    patch.start_at = startAt ? new Date(startAt).toISOString() : null;
    patch.end_at = endAt ? new Date(endAt).toISOString() : null;
    patch.windows = s.windows ? toJson(s.windows) : null;
    patch.timezone = s.timezone ?? 'recipient';
  }
  return Object.fromEntries(
    Object.entries(patch).filter(([, v]) => v !== undefined),
  ) as Partial<CampaignsTable>;
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
  const errors = updateErrors(row, input, auth);
  if (errors.length) throw validationFailed(errors);
  const patch = updatePatch(row, input, ctx.clock.now().toISOString());
  await ctx.db.updateTable('campaigns').set(patch).where('id', '=', id).execute();
  return getCampaign(ctx, scope, id);
}
