import type { AppContext } from '../../../platform/context.ts';
import type { Db, Trx } from '../../../platform/db/database.ts';
import type { Scope } from '../../../platform/db/scope.ts';
import type { Tx } from '../../../platform/events.ts';
import { fromJson, toJson } from '../../../platform/json.ts';
import { isOnline, teamIdsOf } from '../../users/index.ts';
import { emitConversation, handedBack } from '../conversations.service.ts';
import type { ConversationJob, ConversationRow } from '../conversations.tables.ts';
import { routeToTeam } from './assign.ts';
import { handoffNoticeJob, handoffTimerJob } from './handoff.jobs.ts';
import { addBusinessMinutes, isOpen, nextOpening, type OpeningHours } from './hours.ts';
import type { HandoffPolicy } from './policy.schemas.ts';
import { policyFor } from './policy.service.ts';
import { heldUntil } from './presence.ts';
import { armTimer, firedTimerRow, handoffRef } from './timers.ts';

const timerActor = { type: 'rule' as const, id: null };

async function update(
  tx: Tx,
  row: ConversationRow,
  patch: Partial<ConversationRow>,
): Promise<ConversationRow> {
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  return { ...row, ...patch };
}

/** When a reply timer started at `from` runs out: in opening time when the business has hours. */
export function dueAt(hours: OpeningHours | null, from: Date, minutes: number): Date {
  return hours ? addBusinessMinutes(hours, from, minutes) : new Date(from.getTime() + minutes * 60_000);
}

async function startTimer(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  hours: OpeningHours | null,
  policy: HandoffPolicy,
  round: number,
) {
  if (!row.handoff_at) return;
  const due = dueAt(hours, ctx.clock.now(), policy.reply_within_minutes);
  await armTimer(
    ctx,
    tx.db,
    row.id,
    'handoff',
    handoffTimerJob,
    { ...scope, conversationId: row.id, handoffAt: row.handoff_at, round, dueAt: due.toISOString() },
    { runAt: due, ref: handoffRef(row.handoff_at, round) },
  );
}

/** Who made a handoff (`handoff_by`): the AI's own reply tells the customer what happens next. */
const byAi = (row: ConversationRow) =>
  fromJson<{ type?: string } | null>(row.handoff_by, null)?.type === 'ai';

/**
 * A handoff began (`conversation.escalated`): it goes to the policy's team when nobody was named,
 * its reply timer starts, and the customer is told what happens next (`notify`: a new handoff not
 * made by the AI, whose reply says it): a person replies here shortly, or out of hours when a
 * person will answer. A handoff routed again (`notify` false) tells only out of hours.
 */
export async function startHandoff(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  pickTeam?: (policy: HandoffPolicy) => Promise<string | null>,
  notify = false,
) {
  const { policy, hours } = await policyFor(ctx, tx.db, scope, row);
  let current =
    row.handoff_reassignments || row.handoff_taken_from
      ? await update(tx, row, { handoff_reassignments: 0, handoff_taken_from: null })
      : row;
  const teamId = pickTeam
    ? await pickTeam(policy)
    : current.assignee_type === 'team'
      ? current.assignee_id
      : current.assignee_id
        ? null
        : policy.team_id;
  if (teamId) current = await routeToTeam(ctx, tx, scope, current, teamId, new Set(), { wait: false });
  const now = ctx.clock.now();
  const start = handoffStart(hours, policy, now, notify, byAi(current));
  if (start.notice) {
    await ctx.queue.enqueue(tx.db, handoffNoticeJob, {
      ...scope,
      conversationId: current.id,
      handoffAt: current.handoff_at ?? now.toISOString(),
      outOfHours: start.notice.outOfHours,
    });
  }
  if (start.aiContinues) current = await update(tx, current, { ai_paused: 0 });
  await startTimer(ctx, tx, scope, current, hours, policy, 0);
}

/**
 * What a handoff's start tells the customer and whether the AI keeps helping: a new handoff
 * (`notify`) is announced unless the AI made it (its own reply says it); out of hours the
 * customer is told when a person answers, and with `ai_continues` the AI keeps helping meanwhile
 * (answering from its knowledge what it can; the handoff stays owned and its timer counts from
 * the opening).
 */
export function handoffStart(
  hours: OpeningHours | null,
  policy: HandoffPolicy,
  now: Date,
  notify: boolean,
  madeByAi: boolean,
) {
  const closed = hours !== null && !isOpen(hours, now);
  const toldByAi = notify && madeByAi;
  const notice =
    (notify || closed) && !toldByAi
      ? { outOfHours: closed && hours ? closedNotice(hours, policy, now) : null }
      : null;
  return { notice, aiContinues: closed && policy.out_of_hours.ai_continues };
}

export function closedNotice(hours: OpeningHours, policy: HandoffPolicy, now: Date) {
  return {
    nextOpening: nextOpening(hours, now)?.toISOString() ?? null,
    timezone: hours.timezone,
    text: policy.out_of_hours.message,
  };
}

/**
 * Whether a handoff of this conversation now comes out of hours, and what to tell the customer
 * then (the AI's own handoff reply says it in place of "a person will reply here shortly").
 */
export async function handoffHoursNow(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  row: Pick<ConversationRow, 'agent_id' | 'channel_id'>,
) {
  const { policy, hours } = await policyFor(ctx, db, scope, row);
  const now = ctx.clock.now();
  return hours && !isOpen(hours, now) ? closedNotice(hours, policy, now) : null;
}

/**
 * A handed-off conversation came back (reopened, or woke from a snooze): when no online person has
 * it, it is routed again like a new handoff (its team, else the policy's, else its person's
 * first team) with a new reply timer. The new handoff time makes the old handoff's timers void.
 */
export async function rerouteReopened(ctx: AppContext, tx: Tx, scope: Scope, row: ConversationRow) {
  if (row.ai_paused !== 1 || row.status !== 'active') return;
  const now = ctx.clock.now();
  if (row.assignee_type === 'user' && row.assignee_id && (await isOnline(tx.db, scope, row.assignee_id, now)))
    return;
  const at = now.toISOString();
  const current = await update(tx, row, { handoff_at: at, updated_at: at });
  await startHandoff(ctx, tx, scope, current, (policy) => teamOf(tx, current, policy));
}

type Action = HandoffPolicy['on_timeout'];

/** The team a reassignment draws from: the one it waits in, else the policy's, else the assignee's first. */
async function teamOf(tx: Tx, row: ConversationRow, policy: HandoffPolicy): Promise<string | null> {
  if (row.assignee_type === 'team') return row.assignee_id;
  if (policy.team_id) return policy.team_id;
  if (row.assignee_type === 'user' && row.assignee_id)
    return (await teamIdsOf(tx.db, row.assignee_id))[0] ?? null;
  return null;
}

async function act(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  action: Action,
  policy: HandoffPolicy,
  hours: OpeningHours | null,
): Promise<{ row: ConversationRow; action: Action }> {
  if (action === 'reassign') {
    const teamId = await teamOf(tx, row, policy);
    if (!teamId) return { row, action: 'notify' };
    const takenFrom = row.assignee_type === 'user' && row.assignee_id ? row.assignee_id : null;
    // Remembered for this round: the queue does not give it back to them meanwhile.
    const marked = await update(tx, row, { handoff_taken_from: takenFrom });
    let next = await routeToTeam(ctx, tx, scope, marked, teamId, new Set(takenFrom ? [takenFrom] : []));
    next = await update(tx, next, { handoff_reassignments: row.handoff_reassignments + 1 });
    await startTimer(ctx, tx, scope, next, hours, policy, next.handoff_reassignments);
    return { row: next, action };
  }
  if (action === 'ai_resume') {
    return { row: await update(tx, row, handedBack(ctx.clock.now().toISOString())), action };
  }
  if (action === 'callback') {
    const tags = [...new Set([...fromJson<string[]>(row.tags, []), 'callback'])];
    return { row: await update(tx, row, { tags: toJson(tags) }), action };
  }
  return { row, action };
}

/**
 * Whether a fired reply timer still stands: the conversation is open, still waits on a person's
 * reply, in the same handoff and the same round of reassignment the timer was armed for (a reply,
 * an end, a resolve, a new handoff or an earlier firing make it moot).
 */
export function handoffTimerStands(
  row: Pick<ConversationRow, 'status' | 'handoff_at' | 'waiting_since' | 'handoff_reassignments'>,
  p: { handoffAt: string; round: number },
): boolean {
  return (
    row.status !== 'closed' &&
    row.handoff_at === p.handoffAt &&
    row.waiting_since !== null &&
    row.handoff_reassignments === p.round
  );
}

/** What a reply timeout does: the policy's action, but only notify once the reassignments are used up. */
export function timeoutAction(
  policy: Pick<HandoffPolicy, 'on_timeout' | 'max_reassignments'>,
  reassignments: number,
): { wanted: Action; exhausted: boolean } {
  const exhausted = policy.on_timeout === 'reassign' && reassignments >= policy.max_reassignments;
  return { wanted: exhausted ? 'notify' : policy.on_timeout, exhausted };
}

/** The reply timer fired: nobody answered in time, so Parley acts as the policy says (once per round). */
export async function handoffTimeout(
  ctx: AppContext,
  p: ConversationJob & { handoffAt: string; round: number; dueAt: string },
  jobId?: string,
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  await ctx.transaction(async (tx) => {
    const { row, early } = await firedTimerRow(ctx, tx.db, scope, p, jobId);
    if (!row || !handoffTimerStands(row, p)) return;
    if (early) {
      await armTimer(ctx, tx.db, p.conversationId, 'handoff', handoffTimerJob, p, {
        runAt: new Date(p.dueAt),
        ref: handoffRef(p.handoffAt, p.round),
      });
      return;
    }
    // Someone has it open or is writing in it: the timer waits until they leave.
    const held = await heldUntil(ctx, tx.db, row.id);
    if (held) {
      const again = new Date(Date.parse(held) + 1000);
      await armTimer(
        ctx,
        tx.db,
        p.conversationId,
        'handoff',
        handoffTimerJob,
        { ...p, dueAt: again.toISOString() },
        { runAt: again, ref: handoffRef(p.handoffAt, p.round) },
      );
      return;
    }
    const { policy, hours } = await policyFor(ctx, tx.db, scope, row);
    const { wanted, exhausted } = timeoutAction(policy, row.handoff_reassignments);
    const done = await act(ctx, tx, scope, row, wanted, policy, hours);
    await emitConversation(tx, done.row, 'conversation.handoff_timeout', timerActor, {
      handoff_timeout: {
        action: done.action,
        policy_on_timeout: policy.on_timeout,
        reassignments: done.row.handoff_reassignments,
        max_reassignments: policy.max_reassignments,
        reply_within_minutes: policy.reply_within_minutes,
        exhausted,
      },
    });
  });
}
