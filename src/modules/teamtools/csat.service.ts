import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import type { PageRequest } from '../../platform/http/pagination.ts';
import { paginate } from '../../platform/http/pagination.ts';
import { getAgentRow } from '../agents/index.ts';
import type { CsatRequestsTable, CsatSettingsTable } from './teamtools.tables.ts';

export interface CsatSettings {
  enabled: boolean;
  question: string;
  scale: 5;
  send_on: 'resolve';
}
const defaults: CsatSettings = {
  enabled: false,
  question: 'How did we do today?',
  scale: 5,
  send_on: 'resolve',
};

const present = (row: CsatSettingsTable | undefined): CsatSettings =>
  row ? { enabled: row.enabled === 1, question: row.question, scale: 5, send_on: 'resolve' } : defaults;

/** The settings that apply to an agent's conversations: its own, else the workspace's (off by default). */
export async function effectiveCsat(
  db: Db | Trx,
  scope: Scope,
  agentId: string | null,
): Promise<CsatSettings> {
  const rows = await tenant(db, scope)
    .selectFrom('csat_settings')
    .selectAll()
    .where('agent_id', 'in', agentId ? ['', agentId] : [''])
    .execute();
  return present(rows.find((r) => r.agent_id === agentId) ?? rows.find((r) => r.agent_id === ''));
}

export async function getCsatSettings(ctx: AppContext, scope: Scope, agentId?: string) {
  if (agentId) await getAgentRow(ctx.db, scope, agentId);
  return {
    object: 'csat_settings' as const,
    agent_id: agentId ?? null,
    csat: await effectiveCsat(ctx.db, scope, agentId ?? null),
  };
}

export async function putCsatSettings(
  ctx: AppContext,
  scope: Scope,
  input: { agent_id?: string; enabled?: boolean | undefined; question?: string | undefined },
) {
  if (input.agent_id) await getAgentRow(ctx.db, scope, input.agent_id);
  const current = await effectiveCsat(ctx.db, scope, input.agent_id ?? null);
  const row: CsatSettingsTable = {
    ...scopeColumns(scope),
    agent_id: input.agent_id ?? '',
    enabled: (input.enabled ?? current.enabled) ? 1 : 0,
    question: input.question ?? current.question,
    scale: 5,
    send_on: 'resolve',
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db
    .insertInto('csat_settings')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'livemode', 'agent_id']).doUpdateSet({
        enabled: row.enabled,
        question: row.question,
        updated_at: row.updated_at,
      }),
    )
    .execute();
  return { object: 'csat_settings' as const, agent_id: input.agent_id ?? null, csat: present(row) };
}

const presentAnswer = (r: CsatRequestsTable) => ({
  object: 'csat_answer' as const,
  conversation_id: r.conversation_id,
  contact_id: r.contact_id,
  agent_id: r.agent_id,
  channel: r.channel,
  score: r.score ?? 0,
  comment: r.comment,
  asked_at: r.created_at,
  answered_at: r.answered_at ?? r.updated_at,
});

export function listCsatAnswers(
  ctx: AppContext,
  scope: Scope,
  query: { agent_id?: string; score?: number; contact_id?: string; conversation_id?: string },
  page: PageRequest,
) {
  let q = tenant(ctx.db, scope).selectFrom('csat_requests').selectAll().where('status', '=', 'answered');
  if (query.agent_id) q = q.where('agent_id', '=', query.agent_id);
  if (query.score) q = q.where('score', '=', query.score);
  if (query.contact_id) q = q.where('contact_id', '=', query.contact_id);
  if (query.conversation_id) q = q.where('conversation_id', '=', query.conversation_id);
  return paginate(q.orderBy('answered_at', 'desc').orderBy('id', 'desc'), page, presentAnswer);
}

/**
 * The public link's per-client limit: null when this address may open one more link this minute,
 * else the seconds to wait. Counted in the shared rate-limit store, so every process agrees.
 */
export async function admitCsatLink(ctx: AppContext, clientAddress: string): Promise<number | null> {
  const now = ctx.clock.now().getTime();
  const hit = await ctx.rateLimits.hit(
    `csat:client:${clientAddress}`,
    60_000,
    ctx.config.csatLinksPerMinute,
    1,
    now,
  );
  return hit.allowed ? null : Math.max(1, Math.ceil((hit.resetAtMs - now) / 1000));
}
