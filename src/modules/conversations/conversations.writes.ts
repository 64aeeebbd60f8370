import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { insertRows, onPostgres } from '../../platform/db/rows.ts';
import type { ConversationRow } from './conversations.tables.ts';

/**
 * The conversations' writes and look-ups that the send and receive paths make inside their own
 * transactions: each is the statement those paths ran on this table, with the caller's
 * transaction (`db`), so going through the owner adds no statement.
 */

/** Sets fields on one conversation (the caller has read and scoped it). */
export async function patchConversation(
  db: Db | Trx,
  id: string,
  patch: Partial<Omit<ConversationRow, 'id' | 'workspace_id' | 'livemode'>>,
): Promise<void> {
  await db.updateTable('conversations').set(patch).where('id', '=', id).execute();
}

/**
 * Holds one conversation's row until the caller's transaction ends, so writers that must not
 * both act on it (two answers to one customer message) take turns: `FOR UPDATE` on PostgreSQL;
 * SQLite runs one writing transaction at a time already.
 */
export async function lockConversation(db: Trx, id: string): Promise<void> {
  if (!onPostgres(db)) return;
  await db.selectFrom('conversations').select('id').where('id', '=', id).forUpdate().execute();
}

/** The conversations between these channels and contacts (one statement per 200 contacts). */
export async function conversationsOfThreads(
  db: Db | Trx,
  channelIds: string[],
  contactIds: string[],
): Promise<ConversationRow[]> {
  const out: ConversationRow[] = [];
  for (const part of chunked(contactIds)) {
    out.push(
      ...(await db
        .selectFrom('conversations')
        .selectAll()
        .where('channel_id', 'in', channelIds)
        .where('contact_id', 'in', part)
        .execute()),
    );
  }
  return out;
}

/** Inserts rows in the given order, skipping a thread that exists; returns how many were inserted. */
export async function insertNewConversations(db: Db | Trx, rows: ConversationRow[]): Promise<number> {
  const inserted = await insertRows(db, 'conversations', rows)
    .onConflict((oc) => oc.columns(['channel_id', 'contact_id']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

export interface LastMessage {
  conversationId: string;
  last_message: string;
  last_message_at: string;
  last_message_sender: string;
  updated_at: string;
  /** A person wrote it: a customer waiting on a handoff is answered. */
  answered: boolean;
  /** The AI wrote it: the thread is AI-handled. */
  ai: boolean;
}

/**
 * Each thread's latest message, with one statement for up to 500 threads. On PostgreSQL the rows
 * are one JSON parameter (`from json_to_recordset($1)`), so every batch size is the same prepared
 * statement; SQLite gets one `case id when … end` per column.
 */
export async function setLastMessages(db: Db | Trx, rows: LastMessage[]): Promise<void> {
  if (rows.length === 0) return;
  if (onPostgres(db)) {
    for (const part of chunked(rows)) {
      await sql`update conversations c set
          last_message = v.last_message, last_message_at = v.last_message_at,
          last_message_sender = v.last_message_sender, updated_at = v.updated_at,
          waiting_since = case when v.answered then null else c.waiting_since end,
          unanswered_since = case when v.answered or v.ai then null else c.unanswered_since end,
          ai_handled = case when v.ai then 1 else c.ai_handled end
        from json_to_recordset(${JSON.stringify(part)}::json) as v(
          "conversationId" text, last_message text, last_message_at text, last_message_sender text,
          updated_at text, answered boolean, ai boolean)
        where c.id = v."conversationId"`.execute(db);
    }
    return;
  }
  for (const part of chunked(rows)) {
    const when = (field: 'last_message' | 'last_message_at' | 'last_message_sender' | 'updated_at') =>
      sql<string>`case id ${sql.join(
        part.map((row) => sql`when ${row.conversationId} then ${row[field]}`),
        sql` `,
      )} end`;
    await db
      .updateTable('conversations')
      .set({
        last_message: when('last_message'),
        last_message_at: when('last_message_at'),
        last_message_sender: when('last_message_sender'),
        updated_at: when('updated_at'),
        waiting_since: sql<string | null>`case id ${sql.join(
          part.map((row) =>
            row.answered
              ? sql`when ${row.conversationId} then null`
              : sql`when ${row.conversationId} then waiting_since`,
          ),
          sql` `,
        )} end`,
        unanswered_since: sql<string | null>`case id ${sql.join(
          part.map((row) =>
            row.answered || row.ai
              ? sql`when ${row.conversationId} then null`
              : sql`when ${row.conversationId} then unanswered_since`,
          ),
          sql` `,
        )} end`,
        ai_handled: sql<number>`case id ${sql.join(
          part.map((row) =>
            row.ai ? sql`when ${row.conversationId} then 1` : sql`when ${row.conversationId} then ai_handled`,
          ),
          sql` `,
        )} end`,
      })
      .where(
        'id',
        'in',
        part.map((row) => row.conversationId),
      )
      .execute();
  }
}

/** A contact's number changed: its threads on this channel type follow it to the new address. */
export async function moveThreadsAddress(
  db: Db | Trx,
  contactId: string,
  channelType: string,
  from: string,
  to: string,
  now: string,
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ contact_address: to, updated_at: now })
    .where('contact_id', '=', contactId)
    .where('channel', '=', channelType)
    .where('contact_address', '=', from)
    .execute();
}

/** The contact a conversation is with (undefined: no such conversation). */
/** When a conversation's customer-service (24-hour) window closes; null when it never opened. */
export async function conversationWindowExpiry(db: Db | Trx, id: string): Promise<string | null> {
  const row = await db
    .selectFrom('conversations')
    .select('window_expires_at')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.window_expires_at ?? null;
}

export async function contactIdOfConversation(db: Db | Trx, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select('contact_id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.contact_id;
}

/*
 * What the AI agent's jobs write on a conversation, in the transaction they are given (no
 * statement of their own).
 */

/** The agent that answers a conversation that had none (the workspace default took it). */
export async function setConversationAgent(db: Db | Trx, conversationId: string, agentId: string) {
  await db.updateTable('conversations').set({ agent_id: agentId }).where('id', '=', conversationId).execute();
}

/** The AI answered this conversation at least once (for reports); set once. */
export async function markAiHandled(db: Db | Trx, conversationId: string) {
  await db
    .updateTable('conversations')
    .set({ ai_handled: 1 })
    .where('id', '=', conversationId)
    .where('ai_handled', '=', 0)
    .execute();
}

/**
 * Merges values into the conversation's dynamic variables (a workspace tool's `save`). The read
 * and the write are one transaction, so two saves in a row keep both.
 */
export async function mergeConversationVariables(
  ctx: { transaction<T>(fn: (tx: { db: Trx }) => Promise<T>): Promise<T> },
  conversationId: string,
  values: Record<string, string | number | boolean>,
): Promise<void> {
  if (Object.keys(values).length === 0) return;
  await ctx.transaction(async (tx) => {
    const row = await tx.db
      .selectFrom('conversations')
      .select('dynamic_variables')
      .where('id', '=', conversationId)
      .executeTakeFirst();
    if (!row) return;
    const merged = { ...(JSON.parse(row.dynamic_variables || '{}') as Record<string, unknown>), ...values };
    await tx.db
      .updateTable('conversations')
      .set({ dynamic_variables: JSON.stringify(merged) })
      .where('id', '=', conversationId)
      .execute();
  });
}
