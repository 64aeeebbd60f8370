import { sql } from 'kysely';
import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { Actor, Tx } from '../../../platform/events.ts';
import {
  type RoutingMember,
  type RoutingTeam,
  setRoundRobinCursor,
  teamExists,
  teamForRouting,
} from '../../users/index.ts';
import { emitConversation } from '../conversations.service.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import { routeQueueJob } from './routing.jobs.ts';

/**
 * Routing: a conversation routed to a team goes to a member by the team's rule (online members
 * under capacity), else waits in the team's queue, oldest first. Decisions of one workspace and
 * mode are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite has one writer), and
 * each write is conditional, so nobody is assigned twice and nobody goes over capacity.
 *
 * A request never waits for that lock: when another transaction holds it (a burst of handoffs),
 * the conversation joins the team's queue at once and a dispatch job (`conversations.route_queue`,
 * run after the commit, on whichever process works jobs) gives it out. Without that, a burst of 200
 * handoffs held 200 pool connections waiting on one lock and ran into the pool's 5 s timeout.
 */

export const ruleActor = (teamId: string): Actor => ({ type: 'rule', id: teamId });

const lockKey = (scope: Scope) => `routing:${scope.workspaceId}:${scope.livemode ? 1 : 0}`;

/** Serialises routing decisions of one workspace and mode until the transaction ends. */
export async function lockRouting(ctx: AppContext, tx: Tx, scope: Scope) {
  if (ctx.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey(scope)}, 0))`.execute(tx.db);
}

/** Takes the routing lock if nobody holds it (then until the transaction ends); false when held. */
export async function tryLockRouting(ctx: AppContext, tx: Tx, scope: Scope): Promise<boolean> {
  if (ctx.dialect !== 'postgres') return true;
  const r = await sql<{
    got: boolean;
  }>`select pg_try_advisory_xact_lock(hashtextextended(${lockKey(scope)}, 0)) as got`.execute(tx.db);
  return r.rows[0]?.got === true;
}

/** What a routing decision counts: each member's open conversations, and how many wait in the team's queue. */
export interface TeamLoad {
  /** Open conversations (not closed) assigned to each member. */
  open: Map<string, number>;
  /** Conversations waiting in the team's queue (`except` not counted). */
  queued: number;
}

/**
 * Open conversations of each member and the team's queue length, with one statement (both read
 * through the (workspace, mode, assignee) index; the routing lock is held on PostgreSQL).
 */
export async function teamLoad(
  tx: Tx,
  scope: Scope,
  team: RoutingTeam,
  except: string | null = null,
): Promise<TeamLoad> {
  const userIds = team.members.map((m) => m.id);
  const open = new Map<string, number>(userIds.map((id) => [id, 0]));
  const rows = await tenant(tx.db, scope)
    .selectFrom('conversations')
    .select(['assignee_type', 'assignee_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('assignee_id', 'in', [...userIds, team.id])
    .where('status', '!=', 'closed')
    .where((eb) =>
      eb.or([
        eb('assignee_type', '=', 'user'),
        eb.and([
          eb('assignee_type', '=', 'team'),
          eb('queued_at', 'is not', null),
          ...(except ? [eb('id', '!=', except)] : []),
        ]),
      ]),
    )
    .groupBy(['assignee_type', 'assignee_id'])
    .execute();
  let queued = 0;
  for (const r of rows) {
    if (r.assignee_type === 'team' && r.assignee_id === team.id) queued = Number(r.n);
    else if (r.assignee_type === 'user' && r.assignee_id && open.has(r.assignee_id))
      open.set(r.assignee_id, Number(r.n));
  }
  return { open, queued };
}

const takes = (team: RoutingTeam, m: RoutingMember) =>
  m.availability === 'online' || (!team.rule.only_online && m.availability === 'offline');

/** The member who gets the next conversation of the team, or undefined (all full or away; manual). */
export function pickMember(
  team: RoutingTeam,
  open: Map<string, number>,
  exclude: ReadonlySet<string> = new Set(),
): string | undefined {
  if (team.rule.mode === 'manual') return undefined;
  const free = team.members.filter(
    (m) =>
      takes(team, m) && !exclude.has(m.id) && (m.capacity === null || (open.get(m.id) ?? 0) < m.capacity),
  );
  if (!free.length) return undefined;
  if (team.rule.mode === 'balanced') {
    // Fewest open first; among equals, the one after the last given (so ties rotate).
    const least = Math.min(...free.map((m) => open.get(m.id) ?? 0));
    return nextAfter(
      free.filter((m) => (open.get(m.id) ?? 0) === least).map((m) => m.id),
      team.rrCursor,
    );
  }
  return nextAfter(
    free.map((m) => m.id),
    team.rrCursor,
  );
}

/**
 * Who gets each waiting conversation of the queue (`waiting` in queue order) while members have
 * room: each pick counts in `open` (updated here) and moves the round-robin cursor on. A
 * conversation is not given back to the person a reassignment just took it from (it waits for
 * another member, and the rest of the queue goes on); the plan stops when nobody has room.
 */
export function drainPlan<R extends { handoff_taken_from: string | null }>(
  team: RoutingTeam,
  open: Map<string, number>,
  waiting: readonly R[],
): Array<{ row: R; userId: string }> {
  const plan: Array<{ row: R; userId: string }> = [];
  let at: RoutingTeam = team;
  for (const row of waiting) {
    if (!pickMember(at, open)) break;
    // Not back to the person a reassignment just took it from (until its next round).
    const userId = pickMember(at, open, new Set(row.handoff_taken_from ? [row.handoff_taken_from] : []));
    if (!userId) continue;
    plan.push({ row, userId });
    open.set(userId, (open.get(userId) ?? 0) + 1);
    at = { ...at, rrCursor: userId };
  }
  return plan;
}

/** The first id after `cursor` in id order, wrapping around. */
function nextAfter(ids: string[], cursor: string | null): string {
  const sorted = [...ids].sort();
  return sorted.find((id) => cursor === null || id > cursor) ?? sorted[0]!;
}

async function giveTo(
  tx: Tx,
  row: ConversationRow,
  team: RoutingTeam,
  userId: string,
  now: Date,
): Promise<ConversationRow> {
  const patch = {
    assignee_type: 'user' as const,
    assignee_id: userId,
    queued_at: null,
    updated_at: now.toISOString(),
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  await setRoundRobinCursor(tx.db, team.id, userId);
  team.rrCursor = userId;
  const updated = { ...row, ...patch };
  await emitConversation(tx, updated, 'conversation.assigned', ruleActor(team.id), {
    routed_by: { team_id: team.id, mode: team.rule.mode },
  });
  return updated;
}

async function enqueue(tx: Tx, row: ConversationRow, teamId: string, now: Date): Promise<ConversationRow> {
  const sameTeam = row.assignee_type === 'team' && row.assignee_id === teamId;
  if (sameTeam && row.queued_at) return row;
  const patch = {
    assignee_type: 'team' as const,
    assignee_id: teamId,
    queued_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  if (!sameTeam)
    await emitConversation(tx, updated, 'conversation.assigned', ruleActor(teamId), { queued: true });
  return updated;
}

/**
 * Routes one conversation (already locked by the caller's write) to a team: a member by the rule,
 * else the team's queue. `exclude`: members not to give it to (a reassignment after a timeout).
 * A team that is gone leaves the conversation as it is. `wait: false` (requests): when another
 * transaction holds the routing lock, the conversation joins the queue and a dispatch job routes
 * it after the commit, instead of holding a pool connection while waiting for the lock.
 */
export async function routeToTeam(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  teamId: string,
  exclude: ReadonlySet<string> = new Set(),
  opts: { wait?: boolean } = {},
): Promise<ConversationRow> {
  if (row.status === 'closed') return row;
  const now = ctx.clock.now();
  if (opts.wait === false && !(await tryLockRouting(ctx, tx, scope))) {
    if (!(await teamExists(tx.db, scope, teamId))) return row;
    const queued = await enqueue(tx, row, teamId, now);
    await ctx.queue.enqueue(tx.db, routeQueueJob, { ...scope, teamId });
    return queued;
  }
  if (opts.wait !== false) await lockRouting(ctx, tx, scope);
  const team = await teamForRouting(tx.db, scope, teamId, now);
  if (!team) return row;
  const load = await teamLoad(tx, scope, team, row.id);
  // Those already waiting (committed before this decision) go first: oldest first.
  await drain(ctx, tx, scope, team, load, now, row.id);
  const userId = pickMember(team, load.open, exclude);
  return userId ? giveTo(tx, row, team, userId, now) : enqueue(tx, row, teamId, now);
}

/** Urgent first, then high, normal, low (the queue's order before age). */
export const priorityRank = sql<number>`case priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end`;

/**
 * Since when a queued customer has waited: their first unanswered message, else the handoff's
 * waiting start, else the time it joined the queue (a reassignment does not restart it).
 */
export const waitingFrom = sql<string>`coalesce(unanswered_since, waiting_since, queued_at)`;

/** The team's queue, priority first then the longest wait (PostgreSQL: rows another transaction holds are skipped). */
async function queuedRows(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  teamId: string,
  limit: number,
  except: string | null,
) {
  let q = tenant(tx.db, scope)
    .selectFrom('conversations')
    .selectAll()
    .where('assignee_type', '=', 'team')
    .where('assignee_id', '=', teamId)
    .where('queued_at', 'is not', null)
    .where('status', '!=', 'closed')
    .orderBy(priorityRank)
    .orderBy(waitingFrom)
    .orderBy('id')
    .limit(limit);
  if (except) q = q.where('id', '!=', except);
  if (ctx.dialect === 'postgres') q = q.forUpdate().skipLocked();
  return q.execute();
}

/** Gives out the team's queue, oldest first, while members have room (the routing lock is held). */
async function drain(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  team: RoutingTeam,
  load: TeamLoad,
  now: Date,
  except: string | null = null,
): Promise<number> {
  if (team.rule.mode === 'manual' || load.queued === 0) return 0;
  const { open } = load;
  // A first pick tells whether anyone has room before the queue is read.
  if (!pickMember(team, open)) return 0;
  let given = 0;
  const waiting = await queuedRows(ctx, tx, scope, team.id, 200, except);
  for (const { row, userId } of drainPlan(team, open, waiting)) {
    await giveTo(tx, row, team, userId, now);
    given++;
  }
  // Rows another transaction held were skipped (a timer being armed holds a key lock on its
  // conversation): while someone still has room, the dispatch job tries them again after this commit.
  if (waiting.length < Math.min(load.queued, 200) && pickMember(team, open))
    await ctx.queue.enqueue(tx.db, routeQueueJob, { ...scope, teamId: team.id });
  return given;
}

/**
 * Gives out what waits in these teams' queues, oldest first, while members have room. Runs when
 * room may have appeared: a conversation resolved, someone came online, a capacity or rule changed,
 * and in the dispatch job of conversations queued while the routing lock was busy.
 */
export async function giveOut(ctx: AppContext, tx: Tx, scope: Scope, teamIds: string[]): Promise<number> {
  if (!teamIds.length) return 0;
  await lockRouting(ctx, tx, scope);
  const now = ctx.clock.now();
  let given = 0;
  for (const teamId of [...new Set(teamIds)].sort()) {
    const team = await teamForRouting(tx.db, scope, teamId, now);
    if (!team) continue;
    given += await drain(ctx, tx, scope, team, await teamLoad(tx, scope, team), now);
  }
  return given;
}
