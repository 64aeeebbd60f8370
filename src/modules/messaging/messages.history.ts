import type { SelectQueryBuilder } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { MessageRow } from './messaging.tables.ts';

/*
 * Reads of a conversation's messages for the AI agent (its reply, copilot and holding jobs):
 * private notes are for the team, never part of what the AI reads or answers.
 */

/** The conversation's newest messages, newest first, without notes. */
export function recentMessages(
  db: Db | Trx,
  scope: Scope,
  conversationId: string,
  limit: number,
): Promise<MessageRow[]> {
  return tenant(db, scope)
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('type', '!=', 'note')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * A send that answers one customer message (`messageId`): it is written only while nothing has
 * answered that message yet. With `countAutomations: false` the automations' own sends (actor
 * `system`, `atm_...`) do not count as answers, so an automation sending two messages sends both.
 */
export interface AnswerGuard {
  messageId: string;
  countAutomations: boolean;
  /**
   * Messages that are not answers although outbound (the AI module's handoff notices and holding
   * messages): a subquery of their ids, embedded in the check.
   */
  notAnswers?: SelectQueryBuilder<any, any, { message_id: string }>;
}

/** The ids of a conversation's messages in one direction, without notes (a query to narrow). */
function messageIdsOf(db: Db | Trx, conversationId: string, direction: 'inbound' | 'outbound') {
  return db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', direction)
    .where('type', '!=', 'note');
}

/**
 * Whether an answer (an outbound message other than a note, as the AI's burst reads it) was
 * stored after the guarded customer message. The caller holds the conversation's row.
 */
export async function answeredAlready(db: Trx, conversationId: string, guard: AnswerGuard): Promise<boolean> {
  const asked = await db
    .selectFrom('messages')
    .select(['id', 'created_at'])
    .where('id', '=', guard.messageId)
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst();
  if (!asked) return false;
  let q = messageIdsOf(db, conversationId, 'outbound').where((eb) =>
    eb.or([
      eb('created_at', '>', asked.created_at),
      eb.and([eb('created_at', '=', asked.created_at), eb('id', '>', asked.id)]),
    ]),
  );
  if (guard.notAnswers) q = q.where('id', 'not in', guard.notAnswers);
  if (!guard.countAutomations)
    q = q.where((eb) =>
      eb.or([
        eb('sender_type', '!=', 'system'),
        eb('sender_id', 'is', null),
        eb('sender_id', 'not like', 'atm_%'),
      ]),
    );
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** The customer's newest message in the conversation (not a note), or undefined before the first. */
export function newestInboundMessage(
  db: Db | Trx,
  conversationId: string,
): Promise<{ id: string; created_at: string } | undefined> {
  return messageIdsOf(db, conversationId, 'inbound')
    .select('created_at')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Ids of the customer's messages stored after `after` (from `after` on with `orAt`), without
 * notes; at most `limit` of them.
 */
export function inboundMessageIdsAfter(
  db: Db | Trx,
  conversationId: string,
  after: string,
  opts: { orAt?: boolean; limit?: number } = {},
): Promise<Array<{ id: string }>> {
  let q = messageIdsOf(db, conversationId, 'inbound').where('created_at', opts.orAt ? '>=' : '>', after);
  if (opts.limit) q = q.limit(opts.limit);
  return q.execute();
}

/**
 * The newest `limit` customer messages (a replay's sample), newest first: of the conversations
 * given by id, or of those a subquery names (a view another module exports, embedded in this one
 * statement), from `since` on when given.
 */
export function latestInboundMessages(
  db: Db | Trx,
  scope: Scope,
  opts: {
    conversations: readonly string[] | SelectQueryBuilder<any, any, { id: string }>;
    since: string | null;
    limit: number;
  },
): Promise<MessageRow[]> {
  const { conversations } = opts;
  let q = tenant(db, scope)
    .selectFrom('messages')
    .selectAll()
    .where('direction', '=', 'inbound')
    .where('conversation_id', 'in', Array.isArray(conversations) ? [...conversations] : conversations);
  if (opts.since) q = q.where('created_at', '>=', opts.since);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
}

/** The whole thread of each conversation, oldest first, without notes: one read per chunk of ids. */
export async function conversationThreads(
  db: Db | Trx,
  scope: Scope,
  conversationIds: readonly string[],
): Promise<Map<string, MessageRow[]>> {
  const threads = new Map<string, MessageRow[]>();
  for (const ids of chunked([...conversationIds])) {
    const messages = await tenant(db, scope)
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', 'in', ids)
      .where('type', '!=', 'note')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const m of messages) {
      const list = threads.get(m.conversation_id) ?? [];
      list.push(m);
      threads.set(m.conversation_id, list);
    }
  }
  return threads;
}
