import type { AppContext } from '../../../platform/context.ts';
import type { Db, Trx } from '../../../platform/db/database.ts';
import { type Scope, scopeColumns, tenant } from '../../../platform/db/scope.ts';
import { notFound } from '../../../platform/errors.ts';
import { fromJson, toJson } from '../../../platform/json.ts';
import { channelHandoffTeam } from '../../channels/index.ts';
import { teamForRouting } from '../../users/index.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import type { OpeningHours } from './hours.ts';
import {
  DEFAULT_HANDOFF_POLICY,
  type HandoffPolicy,
  type HandoffPolicyInput,
  mergePolicy,
} from './policy.schemas.ts';

/** What an agent adds to routing: its handoff policy override and its opening hours (null: none set). */
export interface AgentRoutingSettings {
  handoffPolicy: HandoffPolicyInput | null;
  hours: OpeningHours | null;
}

/** Provided by the agents module (a module above this one), so routing reads agents through it. */
export type AgentSettingsLookup = (
  db: Db | Trx,
  scope: Scope,
  agentId: string,
) => Promise<AgentRoutingSettings | undefined>;

declare module '../../../platform/ports.ts' {
  interface Ports {
    /** An agent's handoff policy override and opening hours (`ctx.ports.agentRoutingSettings`). */
    agentRoutingSettings: AgentSettingsLookup;
  }
}

export async function workspacePolicy(db: Db | Trx, scope: Scope): Promise<HandoffPolicy> {
  const row = await tenant(db, scope).selectFrom('handoff_settings').select('policy').executeTakeFirst();
  return mergePolicy(DEFAULT_HANDOFF_POLICY, fromJson<HandoffPolicyInput | null>(row?.policy ?? null, null));
}

/** `PUT /v1/handoff-policy`: fields given change, the others stay. */
export async function setWorkspacePolicy(ctx: AppContext, scope: Scope, input: HandoffPolicyInput) {
  if (input.team_id && !(await teamForRouting(ctx.db, scope, input.team_id, ctx.clock.now())))
    throw notFound('team', input.team_id);
  const next = mergePolicy(await workspacePolicy(ctx.db, scope), input);
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('handoff_settings')
    .values({ ...scopeColumns(scope), policy: toJson(next), updated_at: now })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'livemode']).doUpdateSet({ policy: toJson(next), updated_at: now }),
    )
    .execute();
  return next;
}

/** The policy of a conversation's handoff: the agent's override over the workspace default; and the agent's hours. */
export async function policyFor(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  row: Pick<ConversationRow, 'agent_id' | 'channel_id'>,
): Promise<{ policy: HandoffPolicy; hours: OpeningHours | null }> {
  const base = await workspacePolicy(db, scope);
  const lookup = ctx.ports.agentRoutingSettings;
  const agent = row.agent_id && lookup ? await lookup(db, scope, row.agent_id) : undefined;
  const policy = mergePolicy(base, agent?.handoffPolicy);
  const channelTeam = await channelHandoffTeam(db, scope, row.channel_id);
  return { policy: channelTeam ? { ...policy, team_id: channelTeam } : policy, hours: agent?.hours ?? null };
}

/** The conversation's `auto_resolve_after_minutes` (its agent's policy over the workspace's); null: never. */
export async function autoResolveAfterMinutes(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  row: Pick<ConversationRow, 'agent_id' | 'channel_id'>,
): Promise<number | null> {
  return (await policyFor(ctx, db, scope, row)).policy.auto_resolve_after_minutes;
}
