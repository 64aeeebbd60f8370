/** What the voice module writes on the conversations its calls live in. */
import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { emitConversation } from './conversations.service.ts';
import type { ConversationRow } from './conversations.tables.ts';

/**
 * A message stored elsewhere in the thread (a call's transcript turn) becomes the conversation's
 * last message; a customer's also its last inbound one. In the caller's transaction.
 */
export async function noteLastMessage(
  db: Db | Trx,
  conversationId: string,
  m: { text: string; at: string; sender: 'customer' | 'ai' },
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({
      last_message: m.text.slice(0, 200),
      last_message_at: m.at,
      last_message_sender: m.sender,
      ...(m.sender === 'customer' ? { last_inbound_at: m.at } : {}),
      updated_at: m.at,
    })
    .where('id', '=', conversationId)
    .execute();
}

/** What a call brings to its conversation (a call item's fields). */
export interface CallContext {
  dynamic_variables?: Record<string, unknown>;
  identifier?: string;
  agent_id?: string;
}

const bringsContext = (c: CallContext) => Boolean(c.dynamic_variables || c.identifier || c.agent_id);

/**
 * A conversation after a call reached it: the call's variables merged into the thread's, its
 * identifier and agent taken, a closed thread active again (the rule: a call that brings any of
 * these reopens; reopenForCalls writes it and emits `conversation.reopened`). Unchanged (the same
 * row) when the call brings none of these.
 */
export function withCallContext(row: ConversationRow, call: CallContext, at: string): ConversationRow {
  if (!bringsContext(call)) return row;
  return {
    ...row,
    dynamic_variables: toJson({
      ...fromJson<Record<string, unknown>>(row.dynamic_variables, {}),
      ...(call.dynamic_variables ?? {}),
    }),
    ...(call.identifier ? { identifier: call.identifier } : {}),
    ...(call.agent_id ? { agent_id: call.agent_id } : {}),
    ...(row.status === 'closed' ? { status: 'active' as const, closed_at: null } : {}),
    updated_at: at,
  };
}

/**
 * Writes back stored conversations as calls left them (withCallContext: variables, identifier,
 * agent, a closed one active again), one update per 500 rows, and emits `conversation.reopened`
 * (reason `call`) for each one that was closed, as reopenInTx does for a message. In the caller's
 * transaction.
 */
export async function reopenForCalls(
  tx: Tx,
  changed: Array<{ stored: ConversationRow; updated: ConversationRow }>,
  actor: Actor,
): Promise<void> {
  for (const part of chunked(changed.map((c) => c.updated))) {
    const when = <K extends keyof ConversationRow>(field: K) =>
      sql<ConversationRow[K]>`case id ${sql.join(
        part.map((row) => sql`when ${row.id} then ${row[field]}`),
        sql` `,
      )} end`;
    await tx.db
      .updateTable('conversations')
      .set({
        dynamic_variables: when('dynamic_variables'),
        identifier: when('identifier'),
        agent_id: when('agent_id'),
        status: when('status'),
        closed_at: when('closed_at'),
        updated_at: when('updated_at'),
      })
      .where(
        'id',
        'in',
        part.map((row) => row.id),
      )
      .execute();
  }
  for (const { stored, updated } of changed)
    if (stored.status === 'closed' && updated.status === 'active')
      await emitConversation(tx, updated, 'conversation.reopened', actor, { reason: 'call' });
}
