import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { ParleyEvent, Tx } from '../../../platform/events.ts';
import type { Reaction } from '../../../platform/reactions.ts';
import { type RoomMaybeFreed, teamIdsOf } from '../../users/index.ts';
import { emitConversation } from '../conversations.service.ts';
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

/**
 * A person's reply to a handed-off conversation that someone else (or a team's queue) holds: the
 * replier takes it, so the CSAT and reports credit the person who answered (a reassignment that
 * came just before their reply does not keep it from them).
 */
async function replierTakes(tx: Tx, e: ParleyEvent) {
  const sender = e.data.sender as { type?: string; id?: string | null } | undefined;
  if (sender?.type !== 'user' || !sender.id || typeof e.data.conversation_id !== 'string') return;
  const scope = scopeOfEvent(e);
  const row = await tenant(tx.db, scope).findById('conversations', e.data.conversation_id);
  if (!row || row.status === 'closed' || row.ai_paused !== 1) return;
  if (row.assignee_type === 'user' && row.assignee_id === sender.id) return;
  const patch = {
    assignee_type: 'user' as const,
    assignee_id: sender.id,
    queued_at: null,
    handoff_taken_from: null,
    updated_at: e.timestamp,
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const previous =
    row.assignee_type && row.assignee_id ? { type: row.assignee_type, id: row.assignee_id } : null;
  await emitConversation(
    tx,
    { ...row, ...patch },
    'conversation.assigned',
    { type: 'user', id: sender.id },
    { previous_assignee: previous, reason: 'replied' },
  );
}

export function routingListener(ctx: AppContext, reactions: RoutingReactions): Reaction['run'] {
  return async (tx, events) => {
    for (const e of events) {
      if (e.event === 'message.sent') {
        await replierTakes(tx, e);
        continue;
      }
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
