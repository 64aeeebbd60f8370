import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { ParleyEvent, Tx, TxListener } from '../../../platform/events.ts';
import { type RoomMaybeFreed, teamIdsOf } from '../../users/index.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import { giveOut, routeToTeam } from './assign.ts';

const scopeOfEvent = (e: ParleyEvent): Scope => ({ workspaceId: e.workspace_id, livemode: e.livemode });

async function rowOf(tx: Tx, e: ParleyEvent): Promise<ConversationRow | undefined> {
  return tenant(tx.db, scopeOfEvent(e)).findById('conversations', String(e.data.id));
}

/**
 * What each conversation event means for routing and timers. The routing's own writes carry the
 * actor `rule` and are ignored here (they would otherwise route again).
 */
export interface RoutingReactions {
  /** A handoff began: route it and start its reply timer. */
  escalated(tx: Tx, row: ConversationRow, e: ParleyEvent): Promise<void>;
  /** A closed or snoozed conversation is active again: a handoff nobody online owns is routed again. */
  reopened(tx: Tx, row: ConversationRow, e: ParleyEvent): Promise<void>;
}

async function react(ctx: AppContext, reactions: RoutingReactions, tx: Tx, e: ParleyEvent) {
  if (e.event === 'conversation.escalated') {
    const row = await rowOf(tx, e);
    if (row) await reactions.escalated(tx, row, e);
  } else if (e.event === 'conversation.assigned') {
    // Given to a team by a person, a key or an automation: a member by the team's rule.
    const row = await rowOf(tx, e);
    if (row?.assignee_type === 'team' && row.assignee_id)
      await routeToTeam(ctx, tx, scopeOfEvent(e), row, row.assignee_id, new Set(), { wait: false });
    // Taken away from a person who still had it open: their room goes to their teams' queues.
    const previous = e.data.previous_assignee as { type: string; id: string } | null | undefined;
    if (previous?.type === 'user' && row && row.status !== 'closed')
      await giveOut(ctx, tx, scopeOfEvent(e), await teamIdsOf(tx.db, previous.id));
  } else if (e.event === 'conversation.reopened') {
    const row = await rowOf(tx, e);
    if (row) await reactions.reopened(tx, row, e);
  } else if (e.event === 'conversation.resolved') {
    const assignee = e.data.assignee as { type: string; id: string } | null;
    if (assignee?.type === 'user')
      await giveOut(ctx, tx, scopeOfEvent(e), await teamIdsOf(tx.db, assignee.id));
  }
}

export function routingListener(ctx: AppContext, reactions: RoutingReactions): TxListener {
  return async (tx, events) => {
    for (const e of events) {
      if (e.actor.type === 'rule' || !e.event.startsWith('conversation.')) continue;
      await react(ctx, reactions, tx, e);
    }
  };
}

/** Someone came online, or a capacity or a team's rule changed: give out what waits. */
export function roomListener(ctx: AppContext) {
  return async (tx: Tx, e: RoomMaybeFreed) => {
    const teams = new Set(e.teamIds);
    for (const userId of e.userIds) for (const t of await teamIdsOf(tx.db, userId)) teams.add(t);
    await giveOut(ctx, tx, e.scope, [...teams]);
  };
}
