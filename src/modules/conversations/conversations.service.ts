import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { inScope, newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Actor, EventType, Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { ChannelRow } from '../channels/index.ts';
import { type ContactRow, contactCards } from '../contacts/index.ts';
import type { AssigneeDeleting } from '../users/index.ts';
import { wakeJob } from './conversations.jobs.ts';
import type { ConversationRow } from './conversations.tables.ts';
import {
  getConversationRow,
  limitingView,
  notYourConversation,
  seesConversation,
} from './conversations.visibility.ts';
import { armTimer } from './routing/timers.ts';
import { parseSnoozeUntil } from './snooze-until.ts';

export type { ConversationRow } from './conversations.tables.ts';

export type { Scope };

import { type ContactBits, type ConversationObject, presentConversation } from './conversations.present.ts';

export {
  type ConversationAnalysis,
  type ConversationObject,
  presentConversation,
  type SlaTarget,
} from './conversations.present.ts';

export { findConversationRow, getConversationRow } from './conversations.visibility.ts';

/**
 * The contact bits already read in a conversation mutation's transaction (`mutate`), by contact
 * id: its events (the assignment, the escalation, routing's own) and its answer each present the
 * conversation with its contact, which no conversation mutation changes, so it is read once.
 */
const mutationContacts = new WeakMap<Db | Trx, Map<string, ContactBits | undefined>>();

async function contactOf(db: Db | Trx, row: ConversationRow): Promise<ContactBits | undefined> {
  const seen = mutationContacts.get(db);
  if (seen?.has(row.contact_id)) return seen.get(row.contact_id);
  const contact = await contactCards(db).where('id', '=', row.contact_id).executeTakeFirst();
  seen?.set(row.contact_id, contact);
  return contact;
}

export async function getConversation(
  ctx: AppContext,
  scope: Scope,
  id: string,
): Promise<ConversationObject> {
  const row = await getConversationRow(ctx.db, scope, id);
  return presentConversation(row, await contactOf(ctx.db, row));
}

/** The window is open while the customer's last message is under 24 hours old. */
export function windowOpen(row: Pick<ConversationRow, 'window_expires_at'>, now: Date): boolean {
  return row.window_expires_at !== null && row.window_expires_at > now.toISOString();
}

export async function emitConversation(
  tx: Tx,
  row: ConversationRow,
  type: Extract<EventType, `conversation.${string}`> | 'sla.breached',
  actor: Actor,
  extra: Record<string, unknown> = {},
) {
  const contact = await contactOf(tx.db, row);
  await tx.emit({
    ...scopeOf(row),
    type,
    actor,
    data: { ...presentConversation(row, contact), ...extra },
  });
}

/**
 * The conversation of this contact on this channel, made (and `conversation.created` emitted)
 * when there is none. Closed or snoozed ones are returned as they are; callers decide.
 */
export interface NewConversation {
  channel: ChannelRow;
  contact: Pick<ContactRow, 'id'>;
  address: string;
  agentId?: string | null;
  dynamicVariables?: Record<string, unknown>;
  identifier?: string;
  now: Date;
}

/** A new active conversation of a contact on a channel, not yet stored. */
export function newConversationRow(scope: Scope, input: NewConversation): ConversationRow {
  const now = input.now.toISOString();
  // A person who sees only some conversations keeps the one they start: it is theirs.
  const starter = limitingView(scope)?.userId ?? null;
  return {
    ...newRow('conv', scope),
    channel: input.channel.type,
    channel_id: input.channel.id,
    contact_id: input.contact.id,
    contact_address: input.address,
    agent_id: input.agentId ?? input.channel.agent_id,
    status: 'active',
    ai_handled: 0,
    ai_paused: 0,
    handoff_reason: null,
    handoff_at: null,
    last_handoff_at: null,
    handoff_by: null,
    waiting_since: null,
    assignee_type: starter ? 'user' : null,
    assignee_id: starter,
    tags: '[]',
    last_message: null,
    last_message_at: null,
    last_message_sender: null,
    last_inbound_at: null,
    window_expires_at: null,
    snoozed_until: null,
    closed_at: null,
    dynamic_variables: toJson(input.dynamicVariables ?? {}),
    identifier: input.identifier ?? null,
    priority: 'normal',
    sla_policy_id: null,
    first_response_due_at: null,
    next_response_due_at: null,
    resolution_due_at: null,
    sla_breached: '[]',
    csat_score: null,
    csat_comment: null,
    csat_at: null,
    analysis: null,
    queued_at: null,
    handoff_reassignments: 0,
    first_response_at: null,
    handoff_taken_from: null,
    unanswered_since: null,
    created_at: now,
    updated_at: now,
  };
}

export async function findOrCreateConversation(
  tx: Tx,
  scope: Scope,
  input: NewConversation & { contact: ContactRow; actor: Actor },
): Promise<{ conversation: ConversationRow; created: boolean }> {
  const find = () =>
    tx.db
      .selectFrom('conversations')
      .selectAll()
      .where('channel_id', '=', input.channel.id)
      .where('contact_id', '=', input.contact.id)
      .executeTakeFirst();
  const existing = await find();
  if (existing && !seesConversation(scope, existing)) throw notYourConversation();
  if (existing) return { conversation: existing, created: false };
  const row = newConversationRow(scope, input);
  // Another process may make this thread between the look-up and the insert: then it is that one.
  const made = await tx.db
    .insertInto('conversations')
    .values(row)
    .onConflict((oc) => oc.columns(['channel_id', 'contact_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!made) {
    const winner = await find();
    if (!winner) throw new Error('a conversation conflicted on insert but cannot be read');
    return { conversation: winner, created: false };
  }
  await emitConversation(tx, row, 'conversation.created', input.actor);
  return { conversation: row, created: true };
}

/** A conversation's key among threads: its channel and contact (unique together). */
export const threadKey = (channelId: string, contactId: string) => `${channelId}:${contactId}`;

/** The stored conversations of these (channel, contact) threads, with one query per 500 contacts. */
export async function findConversations(
  db: Db | Trx,
  scope: Scope,
  threads: Array<{ channelId: string; contactId: string }>,
): Promise<ConversationRow[]> {
  if (threads.length === 0) return [];
  const wanted = new Set(threads.map((t) => threadKey(t.channelId, t.contactId)));
  const channelIds = [...new Set(threads.map((t) => t.channelId))];
  const found: ConversationRow[] = [];
  for (const contactIds of chunked([...new Set(threads.map((t) => t.contactId))])) {
    const rows = await tenant(db, scope)
      .selectFrom('conversations')
      .selectAll()
      .where('channel_id', 'in', channelIds)
      .where('contact_id', 'in', contactIds)
      .execute();
    found.push(...rows.filter((r) => wanted.has(threadKey(r.channel_id, r.contact_id))));
  }
  return found;
}

/**
 * Stores new conversations (rows from `newConversationRow`) with one insert per 500, in thread
 * order (so concurrent batches take the unique index's locks in the same order). A thread that
 * another transaction made meanwhile is not stored again: `taken` maps its `threadKey` to that
 * conversation (read with one query). Emits nothing: the caller records `conversation.created`
 * for the rows stored, with its other events.
 */
export async function insertConversations(
  tx: Tx,
  scope: Scope,
  rows: ConversationRow[],
): Promise<{ made: Set<string>; taken: Map<string, ConversationRow> }> {
  const made = new Set<string>();
  const taken = new Map<string, ConversationRow>();
  if (rows.length === 0) return { made, taken };
  const key = (r: ConversationRow) => threadKey(r.channel_id, r.contact_id);
  const ordered = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (const part of chunked(ordered)) {
    const inserted = await tx.db
      .insertInto('conversations')
      .values(part)
      .onConflict((oc) => oc.columns(['channel_id', 'contact_id']).doNothing())
      .returning('id')
      .execute();
    for (const { id } of inserted) made.add(id);
  }
  const lost = ordered.filter((r) => !made.has(r.id));
  if (lost.length > 0) {
    const threads = lost.map((r) => ({ channelId: r.channel_id, contactId: r.contact_id }));
    for (const winner of await findConversations(tx.db, scope, threads)) taken.set(key(winner), winner);
    const unread = lost.find((r) => !taken.has(key(r)));
    if (unread) throw new Error('a conversation conflicted on insert but cannot be read');
  }
  return { made, taken };
}

/** Makes a closed or snoozed conversation active again and emits `conversation.reopened`. */
export async function reopenInTx(
  tx: Tx,
  row: ConversationRow,
  actor: Actor,
  now: Date,
  reason: string,
): Promise<ConversationRow> {
  if (row.status === 'active') return row;
  const patch = {
    status: 'active' as const,
    snoozed_until: null,
    closed_at: null,
    updated_at: now.toISOString(),
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  await emitConversation(tx, updated, 'conversation.reopened', actor, { reason });
  return updated;
}

/** Runs `fn` on the conversation in a transaction; returns its presented state after. */
async function mutate(
  ctx: AppContext,
  scope: Scope,
  id: string,
  fn: (tx: Tx, row: ConversationRow, now: Date) => Promise<ConversationRow>,
): Promise<ConversationObject> {
  return ctx.transaction(async (tx) => {
    mutationContacts.set(tx.db, new Map());
    const row = await getConversationRow(tx.db, scope, id);
    // Read again: listeners (routing) may have changed it in this transaction.
    const updated = await fn(tx, row, ctx.clock.now()).then((r) => getConversationRow(tx.db, scope, r.id));
    return presentConversation(updated, await contactOf(tx.db, updated));
  });
}

export type AssignTarget = { type: 'user' | 'team'; id: string } | null;

/**
 * The assignment a body asks for: exactly one of `user_id` and `team_id`, an id assigns and `null`
 * unassigns. An empty body is an error rather than a silent unassign.
 */
export function assignTargetOf(input: {
  user_id?: string | null;
  team_id?: string | null;
}): AssignTarget | FieldError[] {
  const hasUser = input.user_id !== undefined;
  const hasTeam = input.team_id !== undefined;
  if (hasUser && hasTeam) return [{ field: 'team_id', message: 'give user_id or team_id, not both' }];
  if (!hasUser && !hasTeam)
    return [
      {
        field: 'user_id',
        message: 'give user_id or team_id to assign, or {"user_id": null} to unassign',
      },
    ];
  if (input.user_id) return { type: 'user', id: input.user_id };
  if (input.team_id) return { type: 'team', id: input.team_id };
  return null;
}

async function checkAssignee(db: Db | Trx, scope: Scope, target: AssignTarget) {
  if (!target) return;
  const table = target.type === 'user' ? 'users' : 'teams';
  const found = await tenant(db, scope).findById(table, target.id);
  if (!found) {
    const field = target.type === 'user' ? 'user_id' : 'team_id';
    throw new ApiError('not_found', `No ${target.type} with id ${target.id}.`, {
      errors: [{ field, message: `no such ${target.type}` }],
    });
  }
}

async function assignInTx(
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  target: AssignTarget,
  actor: Actor,
  now: Date,
) {
  await checkAssignee(tx.db, scope, target);
  if ((row.assignee_id ?? null) === (target?.id ?? null)) return row;
  const patch = {
    assignee_type: target?.type ?? null,
    assignee_id: target?.id ?? null,
    updated_at: now.toISOString(),
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  // Who had it: routing gives a person's freed room to their teams' queues.
  const previous =
    row.assignee_type && row.assignee_id ? { type: row.assignee_type, id: row.assignee_id } : null;
  await emitConversation(tx, updated, 'conversation.assigned', actor, { previous_assignee: previous });
  return updated;
}

/**
 * A user or a team is being deleted (the `assigneeDeleting` port): each conversation assigned
 * to them is unassigned, with its `conversation.assigned` event, in the delete's transaction.
 */
export async function unassignDeleted(tx: Tx, e: AssigneeDeleting) {
  const rows = await tx.db
    .selectFrom('conversations')
    .selectAll()
    .where(inScope(e.scope))
    .where('assignee_type', '=', e.type)
    .where('assignee_id', '=', e.id)
    .execute();
  for (const row of rows) await assignInTx(tx, e.scope, row, null, e.actor, e.now);
}

export function assignConversation(
  ctx: AppContext,
  scope: Scope,
  id: string,
  target: AssignTarget,
  actor: Actor,
) {
  return mutate(ctx, scope, id, (tx, row, now) => assignInTx(tx, scope, row, target, actor, now));
}

export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

async function setTagsInTx(tx: Tx, row: ConversationRow, tags: string[], actor: Actor, now: Date) {
  const next = normalizeTags(tags);
  if (toJson(next) === row.tags) return row;
  const patch = { tags: toJson(next), updated_at: now.toISOString() };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  await emitConversation(tx, updated, 'conversation.tagged', actor);
  return updated;
}

export function setConversationTags(ctx: AppContext, scope: Scope, id: string, tags: string[], actor: Actor) {
  return mutate(ctx, scope, id, (tx, row, now) => setTagsInTx(tx, row, tags, actor, now));
}

/**
 * Closing is resolving: emits `conversation.resolved`. It ends a handoff (the AI answers the
 * customer's next message; `conversation.handoff_resolved` first). Closing a closed conversation
 * changes nothing.
 */
async function closeInTx(tx: Tx, row: ConversationRow, actor: Actor, now: Date) {
  if (row.status === 'closed') return row;
  const at = now.toISOString();
  const handedOff = row.ai_paused === 1 || row.handoff_at !== null;
  const patch = {
    ...(handedOff ? handedBack(at) : {}),
    status: 'closed' as const,
    closed_at: at,
    snoozed_until: null,
    updated_at: at,
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  if (handedOff) await emitConversation(tx, updated, 'conversation.handoff_resolved', actor);
  await emitConversation(tx, updated, 'conversation.resolved', actor);
  return updated;
}

export function closeConversation(ctx: AppContext, scope: Scope, id: string, actor: Actor) {
  return mutate(ctx, scope, id, (tx, row, now) => closeInTx(tx, row, actor, now));
}

async function snoozeInTx(
  ctx: AppContext,
  tx: Tx,
  row: ConversationRow,
  untilIso: string,
  actor: Actor,
  now: Date,
) {
  if (row.status === 'closed')
    throw new ApiError('conflict', 'A closed conversation cannot be snoozed; reopen it first.');
  const patch = { status: 'snoozed' as const, snoozed_until: untilIso, updated_at: now.toISOString() };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  // Recorded as the conversation's snooze timer: a reopen or another snooze cancels it.
  await armTimer(
    ctx,
    tx.db,
    row.id,
    'snooze',
    wakeJob,
    { conversationId: row.id, until: untilIso },
    {
      runAt: new Date(untilIso),
      ref: untilIso,
    },
  );
  await emitConversation(tx, updated, 'conversation.snoozed', actor);
  return updated;
}

export function snoozeConversation(ctx: AppContext, scope: Scope, id: string, until: string, actor: Actor) {
  const untilIso = parseSnoozeUntil(until, ctx.clock.now());
  return mutate(ctx, scope, id, (tx, row, now) => snoozeInTx(ctx, tx, row, untilIso, actor, now));
}

export function reopenConversation(ctx: AppContext, scope: Scope, id: string, actor: Actor) {
  return mutate(ctx, scope, id, (tx, row, now) => reopenInTx(tx, row, actor, now, 'manual'));
}

/** The wake-up job: only the snooze it was made for, if it still stands. */
export async function wakeConversation(ctx: AppContext, conversationId: string, until: string) {
  await ctx.transaction(async (tx) => {
    const row = await tx.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversationId)
      .executeTakeFirst();
    if (row?.status !== 'snoozed' || row.snoozed_until !== until) return;
    await reopenInTx(tx, row, { type: 'system', id: null }, ctx.clock.now(), 'snooze_ended');
  });
}

/** Pauses the AI and escalates to people; already paused: only the assignment may change. */
export async function handoffInTx(
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  input: { reason: string; assignTo?: AssignTarget },
  actor: Actor,
  now: Date,
): Promise<ConversationRow> {
  let current = row;
  if (input.assignTo) current = await assignInTx(tx, scope, current, input.assignTo, actor, now);
  if (current.ai_paused === 1) return current;
  const at = now.toISOString();
  const patch = {
    ai_paused: 1,
    handoff_reason: input.reason,
    handoff_at: at,
    last_handoff_at: at,
    handoff_by: toJson({ type: actor.type, id: actor.id }),
    // A person taking over has just seen the thread; anyone else leaves the customer waiting.
    waiting_since: actor.type === 'user' && row.last_message_sender !== 'customer' ? null : at,
    updated_at: at,
  };
  await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
  current = { ...current, ...patch };
  await emitConversation(tx, current, 'conversation.escalated', actor, { reason: input.reason });
  return current;
}

export function handoffConversation(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { reason: string; assignTo?: AssignTarget },
  actor: Actor,
) {
  return mutate(ctx, scope, id, (tx, row, now) => handoffInTx(tx, scope, row, input, actor, now));
}

/** The columns of a conversation handed back to the AI (by a person, or by a timed-out handoff's policy). */
export function handedBack(at: string) {
  return {
    ai_paused: 0,
    handoff_reason: null,
    handoff_at: null,
    handoff_by: null,
    waiting_since: null,
    updated_at: at,
  };
}

/** Hands the conversation back to the AI; a conversation not handed off is returned as it is. */
export function resolveHandoff(ctx: AppContext, scope: Scope, id: string, actor: Actor) {
  return mutate(ctx, scope, id, async (tx, row, now) => {
    if (row.ai_paused === 0) return row;
    const patch = handedBack(now.toISOString());
    await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
    const updated = { ...row, ...patch };
    await emitConversation(tx, updated, 'conversation.handoff_resolved', actor);
    return updated;
  });
}

export interface BulkInput {
  ids: string[];
  action: 'close' | 'reopen' | 'snooze' | 'assign' | 'tag' | 'untag';
  until?: string;
  user_id?: string | null;
  team_id?: string | null;
  tags?: string[];
}

/** Each id in its own transaction: one failure never undoes the others. */
export async function bulkAction(ctx: AppContext, scope: Scope, input: BulkInput, actor: Actor) {
  const errors = [];
  if (input.action === 'snooze' && !input.until)
    errors.push({ field: 'until', message: 'is required for snooze' });
  if ((input.action === 'tag' || input.action === 'untag') && !input.tags?.length)
    errors.push({ field: 'tags', message: `is required for ${input.action}` });
  let target: AssignTarget = null;
  if (input.action === 'assign') {
    const t = assignTargetOf(input);
    if (Array.isArray(t)) errors.push(...t);
    else target = t;
  } else {
    for (const f of ['user_id', 'team_id'] as const)
      if (input[f] !== undefined) errors.push({ field: f, message: 'is only used with action assign' });
  }
  if (errors.length) throw validationFailed(errors);
  const untilIso = input.action === 'snooze' ? parseSnoozeUntil(input.until!, ctx.clock.now()) : '';
  const results = [];
  for (const id of [...new Set(input.ids)]) {
    try {
      const conversation = await mutate(ctx, scope, id, async (tx, row, now) => {
        switch (input.action) {
          case 'close':
            return closeInTx(tx, row, actor, now);
          case 'reopen':
            return reopenInTx(tx, row, actor, now, 'manual');
          case 'snooze':
            return snoozeInTx(ctx, tx, row, untilIso, actor, now);
          case 'assign':
            return assignInTx(tx, scope, row, target, actor, now);
          case 'tag':
            return setTagsInTx(tx, row, [...fromJson<string[]>(row.tags, []), ...input.tags!], actor, now);
          case 'untag': {
            const drop = new Set(normalizeTags(input.tags!));
            return setTagsInTx(
              tx,
              row,
              fromJson<string[]>(row.tags, []).filter((t) => !drop.has(t)),
              actor,
              now,
            );
          }
        }
      });
      results.push({ id, ok: true, conversation, error: null });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.push({ id, ok: false, conversation: null, error: { code: err.code, message: err.message } });
    }
  }
  return { action: input.action, results };
}

/**
 * Conversations of an agent being deleted lose it, in the delete's transaction: the thread goes
 * on, and the workspace's default agent answers its next message (and takes it).
 */
export async function unlinkAgentConversations(tx: Tx, scope: Scope, agentId: string, now: Date) {
  await tenant(tx.db, scope)
    .updateTable('conversations')
    .set({ agent_id: null, updated_at: now.toISOString() })
    .where('agent_id', '=', agentId)
    .execute();
}
