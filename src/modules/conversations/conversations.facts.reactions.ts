import { sql } from 'kysely';
import type { Trx } from '../../platform/db/database.ts';
import { onPostgres } from '../../platform/db/rows.ts';
import type { ParleyEvent } from '../../platform/events.ts';
import type { Reaction } from '../../platform/reactions.ts';

/**
 * The facts of `conversation_facts` that come from events, kept in the transaction that records
 * them, the same statements on both storages (docs/reports.md):
 * - `conversation.escalated`: one more handoff, and its reason (`unknown` without one);
 * - `conversation.resolved`: the last resolve;
 * - `conversation.reopened`: reopened within 24 hours of the last resolve (from it, inclusive);
 * - `lead.captured`, `booking.created` with a conversation: one more lead or booking of it. A
 *   lead's or booking's conversation is set when it is made and never changes, and neither row is
 *   deleted (a contact merge moves their contact, not their conversation), so these are the only
 *   changes to the counts.
 * The messages' facts are recorded by the messaging module's insert (recordMessageFacts,
 * conversations.facts.messages.ts): a message written for sending has no event in its transaction.
 */
export const factsReaction: Reaction = {
  name: 'conversations.facts',
  hears: [
    'conversation.escalated',
    'conversation.resolved',
    'conversation.reopened',
    'lead.captured',
    'booking.created',
  ],
  step: 'record',
  async run(tx, events) {
    // In the order recorded: a resolve and a reopen of one transaction are compared in that order.
    for (const e of events) await applyEvent(tx.db, e);
  },
};

const DAY_MS = 86_400_000;

async function applyEvent(db: Trx, e: ParleyEvent): Promise<void> {
  if (e.event === 'lead.captured' || e.event === 'booking.created') {
    const conversationId = e.data.conversation_id;
    if (typeof conversationId !== 'string') return;
    await lockConversation(db, conversationId);
    await db
      .updateTable('conversation_facts')
      .set(e.event === 'lead.captured' ? { leads: sql`leads + 1` } : { bookings: sql`bookings + 1` })
      .where('conversation_id', '=', conversationId)
      .execute();
    return;
  }
  const conversationId = e.data.id;
  if (typeof conversationId !== 'string') return;
  await lockConversation(db, conversationId);
  const facts = db.updateTable('conversation_facts').where('conversation_id', '=', conversationId);
  if (e.event === 'conversation.resolved') {
    await facts.set({ last_resolved_at: e.timestamp }).execute();
  } else if (e.event === 'conversation.reopened') {
    // ISO instants of one format compare as text: the resolve is at or before the reopen, and at
    // most a day before it.
    const dayBefore = new Date(Date.parse(e.timestamp) - DAY_MS).toISOString();
    await facts
      .set({ reopened_24h: 1 })
      .where('last_resolved_at', '<=', e.timestamp)
      .where('last_resolved_at', '>=', dayBefore)
      .execute();
  } else if (e.event === 'conversation.escalated') {
    const row = await db
      .selectFrom('conversation_facts')
      .select('handoff_reasons')
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    if (!row) return;
    const reasons = JSON.parse(row.handoff_reasons) as unknown[];
    reasons.push(reasonOf(e.data.reason));
    await facts
      .set({ escalations: sql`escalations + 1`, handoff_reasons: JSON.stringify(reasons) })
      .execute();
  }
}

/** The handoff's reason as the reports list it (`unknown` without one). */
function reasonOf(reason: unknown): string {
  if (reason === null || reason === undefined) return 'unknown';
  return typeof reason === 'string' ? reason : JSON.stringify(reason);
}

/**
 * PostgreSQL: the conversation's row is locked before its facts row, the order of the writes that
 * update the conversation (and of recordMessageFacts): taking the facts row first could
 * deadlock with a writer that holds the conversation and wants its facts. SQLite's write lock is
 * the whole database's.
 */
async function lockConversation(db: Trx, id: string): Promise<void> {
  if (!onPostgres(db)) return;
  await db.selectFrom('conversations').select('id').where('id', '=', id).forNoKeyUpdate().execute();
}
