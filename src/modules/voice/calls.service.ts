import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { type Page, type PageRequest, paginate, whereEquals } from '../../platform/http/pagination.ts';
import type { PlanLimits } from '../../platform/limits.ts';
import { type CallObject, presentCall } from './calls.present.ts';
import { activeStatuses, type CallRow, type CallStatus } from './voice.tables.ts';

export type { Scope };

export interface TranscriptEntry {
  role: 'customer' | 'agent';
  text: string;
  start_ms: number;
  end_ms: number;
  interrupted: boolean;
}

export interface TurnLatency {
  /** End of the caller's speech to the turn being committed (end-of-turn silence). */
  eou_ms: number;
  /** The turn committed to the agent's first sentence. */
  agent_ms: number;
  /** That sentence handed to speech to its first audio. */
  tts_ms: number;
  /** Parley's own share: the committed turn (final transcript) to the first audio frame out. */
  turn_ms: number;
  /** End of the caller's speech to the first audio frame out. */
  voice_to_voice_ms: number;
}

export interface CallLatency {
  turns: number;
  p50_ms: number | null;
  p95_ms: number | null;
  parley_p50_ms: number | null;
  per_turn: TurnLatency[];
  /** Turn-taking counts (engine/turn-taking.ts `TurnCounts`); absent on calls stored before them. */
  interruptions?: number;
  false_interruptions?: number;
  backchannels?: number;
  recoveries?: number;
}

export { type EndedReason, endedReasons } from './voice.tables.ts';

const terminal: CallStatus[] = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
export const isTerminal = (s: CallStatus) => terminal.includes(s);
/** Where each status stands: a status may only be replaced by one further on. */
export const rank: Record<CallStatus, number> = {
  queued: 0,
  dialing: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  busy: 4,
  no_answer: 4,
  failed: 4,
  canceled: 4,
  voicemail: 4,
};
export const statusesBefore = (s: CallStatus) =>
  (Object.keys(rank) as CallStatus[]).filter((x) => rank[x] < rank[s]);

export { type CallObject, presentCall };

export function getCallRow(db: Db | Trx, scope: Scope, id: string): Promise<CallRow> {
  return tenant(db, scope).getById('calls', id, 'call');
}

export async function getCall(ctx: AppContext, scope: Scope, id: string): Promise<CallObject> {
  return presentCall(await getCallRow(ctx.db, scope, id));
}

export interface CallFilters {
  status?: CallStatus;
  agent_id?: string;
  contact_id?: string;
  campaign_id?: string;
  identifier?: string;
  direction?: 'inbound' | 'outbound';
}

export async function listCalls(
  ctx: AppContext,
  scope: Scope,
  filters: CallFilters,
  page: PageRequest,
): Promise<Page<CallObject>> {
  const q = whereEquals(tenant(ctx.db, scope).selectFrom('calls').selectAll(), filters, [
    'status',
    'agent_id',
    'contact_id',
    'campaign_id',
    'identifier',
    'direction',
  ]);
  return paginate(q.orderBy('id', 'desc'), page, presentCall);
}

// ---------------------------------------------------------------- concurrency

/** The workspace's concurrent-call limit and how many slots are free, for the response headers. */
export interface Concurrency {
  limit: number | null;
  remaining: number | null;
}

export const concurrencyHeaders = (c: Concurrency): Record<string, string> =>
  c.limit === null
    ? { 'X-Concurrency-Limit': 'unlimited', 'X-Concurrency-Remaining': 'unlimited' }
    : { 'X-Concurrency-Limit': String(c.limit), 'X-Concurrency-Remaining': String(c.remaining) };

/** Calls holding a concurrent-call slot (queued, dialing, ringing, in progress) in a workspace and mode. */
export async function countActive(db: Db | Trx, scope: Scope): Promise<number> {
  const row = await tenant(db, scope)
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', [...activeStatuses])
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Active calls of every workspace and mode by provider and direction (the `parley_active_calls` gauge). */
export async function activeCallsByProvider(db: Db | Trx) {
  const rows = await db
    .selectFrom('calls')
    .select(['provider', 'direction', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', [...activeStatuses])
    .groupBy(['provider', 'direction'])
    .execute();
  return rows.map((r) => ({ labels: { provider: r.provider, direction: r.direction }, value: Number(r.n) }));
}

export async function concurrencyOf(ctx: AppContext, scope: Scope, limits: PlanLimits): Promise<Concurrency> {
  const limit = limits.concurrent_calls;
  if (limit === null) return { limit: null, remaining: null };
  return { limit, remaining: Math.max(0, limit - (await countActive(ctx.db, scope))) };
}

/** A call by id, whatever its workspace (a job or a driver knows the id only), or undefined. */
export function findCallRow(db: Db | Trx, id: string): Promise<CallRow | undefined> {
  return db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest call a campaign placed to a contact since `since` (ISO), or null. */
export async function findCampaignCall(
  db: Db | Trx,
  campaignId: string,
  contactId: string,
  since: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('calls')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('contact_id', '=', contactId)
    .where('queued_at', '>=', since)
    .orderBy('queued_at', 'desc')
    .executeTakeFirst();
  return row?.id ?? null;
}
