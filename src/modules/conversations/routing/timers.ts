import { sql } from 'kysely';
import type { AppContext } from '../../../platform/context.ts';
import type { Trx } from '../../../platform/db/database.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { ParleyEvent } from '../../../platform/events.ts';
import type { JobDefinition } from '../../../platform/queue/queue.ts';
import type { Reaction } from '../../../platform/reactions.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import type { ConversationTimerKind, ConversationTimersTable } from './routing.tables.ts';

/**
 * A conversation's durable timers (handoff reply, SLA targets, snooze), each a job in the job
 * queue, recorded here with the job's id and what it waits on (`ref`), so the write that makes a
 * timer moot cancels its job in the same transaction: a person's reply, a resolve, a reopen, a
 * new handoff, a new snooze. A timer that fires still re-checks the conversation (a cancel that
 * lost a race with the firing changes nothing).
 */

export type { ConversationTimerKind } from './routing.tables.ts';

/**
 * Enqueues a timer and records it as the conversation's timer of this kind; the one it replaces is
 * cancelled. The job first, then the record written and the one it replaces read (on PostgreSQL
 * with one statement: an upsert beside a read of the row as it was, both on the statement's
 * snapshot), so a first timer costs two round trips; a replaced one's job is cancelled after.
 */
export async function armTimer<P>(
  ctx: AppContext,
  db: Trx,
  conversationId: string,
  kind: ConversationTimerKind,
  job: JobDefinition<P>,
  payload: P,
  opts: { runAt: Date; ref: string },
): Promise<void> {
  const jobId = await ctx.queue.enqueue(db, job, payload, { runAt: opts.runAt });
  if (!jobId) return;
  const timer: ConversationTimersTable = {
    conversation_id: conversationId,
    kind,
    job_name: job.name,
    job_id: jobId,
    ref: opts.ref,
    due_at: opts.runAt.toISOString(),
  };
  const previous =
    ctx.dialect === 'postgres' ? await replaceTimerPg(db, timer) : await replaceTimer(db, timer);
  if (previous && previous.job_id !== jobId)
    await ctx.queue.cancel(db, { name: previous.job_name }, [previous.job_id]);
}

/** Writes the timer's record, returning the one of its kind it replaces (if any). */
async function replaceTimer(db: Trx, t: ConversationTimersTable) {
  const previous = await db
    .deleteFrom('conversation_timers')
    .where('conversation_id', '=', t.conversation_id)
    .where('kind', '=', t.kind)
    .returning(['job_name', 'job_id'])
    .executeTakeFirst();
  await db.insertInto('conversation_timers').values(t).execute();
  return previous;
}

async function replaceTimerPg(db: Trx, t: ConversationTimersTable) {
  const { rows } = await sql<{ job_name: string; job_id: string }>`
    with previous as (
      select job_name, job_id from conversation_timers
      where conversation_id = ${t.conversation_id} and kind = ${t.kind}
    ), armed as (
      insert into conversation_timers (conversation_id, kind, job_name, job_id, ref, due_at)
      values (${t.conversation_id}, ${t.kind}, ${t.job_name}, ${t.job_id}, ${t.ref}, ${t.due_at})
      on conflict (conversation_id, kind) do update
        set job_name = excluded.job_name, job_id = excluded.job_id, ref = excluded.ref, due_at = excluded.due_at
    )
    select job_name, job_id from previous`.execute(db);
  return rows[0];
}

/** A timer's job is running: it is no longer pending, so nothing cancels it (it re-checks, then acts or not). */
export async function timerFired(db: Trx, conversationId: string, jobId: string): Promise<void> {
  await db
    .deleteFrom('conversation_timers')
    .where('conversation_id', '=', conversationId)
    .where('job_id', '=', jobId)
    .execute();
}

/**
 * The conversation a timer's job fired for, read first in the job's transaction: locked for the
 * update (PostgreSQL) unless the timer came early (the queue's clock ran ahead of the app's: then
 * it is only read, and the caller arms the timer again for its due time), and the timer's record
 * cleared after the conversation's lock (the order a request takes them in: no deadlock).
 */
export async function firedTimerRow(
  ctx: AppContext,
  db: Trx,
  scope: Scope,
  p: { conversationId: string; dueAt: string },
  jobId: string | undefined,
): Promise<{ row: ConversationRow | undefined; early: boolean }> {
  const early = ctx.clock.now().toISOString() < p.dueAt;
  let q = tenant(db, scope).selectFrom('conversations').selectAll().where('id', '=', p.conversationId);
  if (ctx.dialect === 'postgres' && !early) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (jobId) await timerFired(db, p.conversationId, jobId);
  return { row, early };
}

export const handoffRef = (handoffAt: string, round: number) => `${handoffAt}#${round}`;

/** Whether the timer still waits on something, given the conversation as it is now. */
export function stillWanted(row: ConversationRow, kind: ConversationTimerKind, ref: string): boolean {
  if (kind === 'snooze') return row.status === 'snoozed' && row.snoozed_until === ref;
  if (row.status === 'closed') return false;
  if (kind === 'handoff')
    return (
      row.waiting_since !== null &&
      row.handoff_at !== null &&
      handoffRef(row.handoff_at, row.handoff_reassignments) === ref
    );
  if (!row.sla_policy_id) return false;
  if (kind === 'sla:first_response') return !row.first_response_at && row.first_response_due_at === ref;
  if (kind === 'sla:next_response') return row.next_response_due_at === ref;
  return row.resolution_due_at === ref;
}

/**
 * Cancels the conversation's timers that wait on nothing any more (in the caller's transaction).
 * `firing`: kinds whose job is the one running now (not cancelled, only forgotten).
 */
export async function cancelMootTimers(
  ctx: AppContext,
  db: Trx,
  row: ConversationRow,
  firing: ReadonlySet<ConversationTimerKind> = new Set(),
): Promise<number> {
  const timers = await db
    .selectFrom('conversation_timers')
    .select(['kind', 'job_name', 'job_id', 'ref'])
    .where('conversation_id', '=', row.id)
    .execute();
  const moot = timers.filter((t) => !stillWanted(row, t.kind, t.ref));
  if (moot.length === 0) return 0;
  const byJob = new Map<string, string[]>();
  for (const t of moot) {
    if (firing.has(t.kind)) continue;
    byJob.set(t.job_name, [...(byJob.get(t.job_name) ?? []), t.job_id]);
  }
  let cancelled = 0;
  for (const [name, ids] of byJob) cancelled += await ctx.queue.cancel(db, { name }, ids);
  await db
    .deleteFrom('conversation_timers')
    .where('conversation_id', '=', row.id)
    .where(
      'kind',
      'in',
      moot.map((t) => t.kind),
    )
    .execute();
  return cancelled;
}

const isPerson = (e: ParleyEvent) => {
  const sender = (e.data.sender as { type?: string } | undefined)?.type;
  return sender === 'user' || sender === 'api_key';
};

/** The conversation whose timers this event may have made moot, or null. */
export function conversationOf(e: ParleyEvent): string | null {
  if (e.event === 'message.sent' && isPerson(e))
    return (e.data.conversation_id as string | undefined) ?? null;
  if (
    e.event === 'conversation.resolved' ||
    e.event === 'conversation.reopened' ||
    e.event === 'conversation.handoff_resolved'
  )
    return typeof e.data.id === 'string' ? e.data.id : null;
  return null;
}

/**
 * Cancels timers made moot by these events: a person's reply (the handoff's reply timer, the first
 * and next response SLA timers), a resolve (all), a reopen (the snooze; woken by its own timer, that
 * one is only forgotten), the handoff handed back to the AI. Registered after the SLA listener, so
 * it sees the response times that listener records.
 */
export function timersListener(ctx: AppContext): Reaction['run'] {
  return async (tx, events) => {
    const byConversation = new Map<string, ParleyEvent[]>();
    for (const e of events) {
      const id = conversationOf(e);
      if (id) byConversation.set(id, [...(byConversation.get(id) ?? []), e]);
    }
    if (byConversation.size === 0) return;
    // One statement for the whole batch (a batch of sends holds up to 200 replies): only the
    // conversations that have a timer recorded are read further.
    const timed = await tx.db
      .selectFrom('conversation_timers')
      .select('conversation_id')
      .distinct()
      .where('conversation_id', 'in', [...byConversation.keys()])
      .execute();
    for (const e of timed.flatMap((t) => byConversation.get(t.conversation_id) ?? [])) {
      const id = conversationOf(e) as string;
      const row = await tenant(tx.db, { workspaceId: e.workspace_id, livemode: e.livemode }).findById(
        'conversations',
        id,
      );
      if (!row) continue;
      const firing = new Set<ConversationTimerKind>(
        e.event === 'conversation.reopened' && e.data.reason === 'snooze_ended' ? ['snooze'] : [],
      );
      await cancelMootTimers(ctx, tx.db, row, firing);
    }
  };
}
