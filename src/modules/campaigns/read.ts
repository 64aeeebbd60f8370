import { type Scope, tenant } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Page, type PageRequest, paginate, paginateWithBatch } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import type { recipientResults, recipientStates, statsSchema } from './campaigns.schemas.ts';
import type {
  CampaignRecipientsTable,
  CampaignStatus,
  CampaignsTable,
  RecipientResult,
  RecipientState,
} from './campaigns.tables.ts';
import { statColumns } from './counts.ts';
import type { CallingWindow } from './windows.ts';

// ---------------------------------------------------------------------------------------------
// Reading.

export type Stats = import('zod').infer<typeof statsSchema>;
export type PublicStatus = (typeof recipientStates)[number] | (typeof recipientResults)[number];

export const emptyStats = (): Stats => ({
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
export async function statsFor(db: Db | Trx, ids: string[]): Promise<Map<string, Stats>> {
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
    ...objectHead(row, 'campaign'),
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

export async function present(db: Db | Trx, row: CampaignsTable) {
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
  return paginateWithBatch(
    q.selectAll().orderBy('id', 'desc'),
    page,
    (ids) => statsFor(ctx.db, ids),
    presentCampaign,
  );
}

export function presentRecipient(row: CampaignRecipientsTable) {
  return {
    ...objectHead(row, 'campaign_recipient'),
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
