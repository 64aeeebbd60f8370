import { type RawBuilder, sql } from 'kysely';
import type { Db, Trx } from '../../platform/db/database.ts';
import { onPostgres } from '../../platform/db/rows.ts';
import { settleAll } from '../../platform/settle.ts';

/** What the facts read of a message written: the columns of `messages` they count by. */
export interface MessageFactsInput {
  conversation_id: string;
  direction: string;
  sender_type: string;
  sender_id: string | null;
  type: string;
  created_at: string;
}

/** One conversation's share of the messages written together. */
interface Share {
  conversation_id: string;
  messages_in: number;
  messages_out: number;
  person_messages: number;
  /** The earliest of each (ISO instants compare as text, as the stored ones do). */
  first_in: string | null;
  first_response: string | null;
  first_human: string | null;
  /** A person's replies by their id, as JSON text (null: none). */
  replies: string | null;
}

const earlier = (a: string | null, b: string) => (a === null || b < a ? b : a);

/** The messages' shares by conversation; a conversation whose messages count nothing (notes only) has none. */
function sharesOf(rows: readonly MessageFactsInput[]): Share[] {
  const shares = new Map<string, Share & { byUser: Map<string, number> }>();
  for (const m of rows) {
    let s = shares.get(m.conversation_id);
    if (!s) {
      s = {
        conversation_id: m.conversation_id,
        messages_in: 0,
        messages_out: 0,
        person_messages: 0,
        first_in: null,
        first_response: null,
        first_human: null,
        replies: null,
        byUser: new Map(),
      };
      shares.set(m.conversation_id, s);
    }
    const note = m.type === 'note';
    const reply = m.direction === 'outbound' && !note;
    if (m.direction === 'inbound') {
      s.messages_in++;
      s.first_in = earlier(s.first_in, m.created_at);
    }
    if (m.sender_type === 'user' && !note) s.person_messages++;
    if (!reply) continue;
    s.messages_out++;
    if (m.sender_type !== 'system') s.first_response = earlier(s.first_response, m.created_at);
    if (m.sender_type !== 'user') continue;
    s.first_human = earlier(s.first_human, m.created_at);
    if (m.sender_id !== null) s.byUser.set(m.sender_id, (s.byUser.get(m.sender_id) ?? 0) + 1);
  }
  return [...shares.values()].flatMap(({ byUser, ...s }) =>
    s.messages_in + s.messages_out + s.person_messages === 0
      ? []
      : [{ ...s, replies: byUser.size ? JSON.stringify(Object.fromEntries(byUser)) : null }],
  );
}

/**
 * A first response (`col`: `first_response_at`, by anyone but the system; `human_first_response_at`,
 * by a person): the earliest reply at or after the first customer message. When the messages
 * written bring an earlier first customer message, or a reply earlier than the stored one (one
 * written out of order), it is looked up again from the messages (by the conversation's index);
 * otherwise it is the earlier of the stored one and the messages' own.
 */
function firstResponse(col: string, share: string, who: string): RawBuilder<unknown> {
  const lowered = sql`v.first_in is not null and (f.first_in_at is null or v.first_in < f.first_in_at)`;
  const firstIn = sql`case when ${lowered} then v.first_in else f.first_in_at end`;
  const c = sql.ref(`f.${col}`);
  const mine = sql.ref(`v.${share}`);
  return sql`case
    when ${lowered} or ${mine} < f.first_in_at then (select min(m.created_at) from messages m
      where m.conversation_id = f.conversation_id and m.direction = 'outbound' and m.type <> 'note'
        and ${sql.raw(who)} and m.created_at >= ${firstIn})
    when f.first_in_at is not null and ${mine} is not null and (${c} is null or ${mine} < ${c}) then ${mine}
    else ${c} end`;
}

/** The stored replies by person plus the messages' own (`v.replies`, JSON text). */
function addReplies(pg: boolean): RawBuilder<unknown> {
  const each = (json: string) =>
    pg ? sql.raw(`json_each_text(cast(${json} as json))`) : sql.raw(`json_each(${json})`);
  const object = pg ? sql`cast(json_object_agg(key, n) as text)` : sql`json_group_object(key, n)`;
  return sql`case when v.replies is null then f.replies_by_user else (
    select ${object} from (
      select key, sum(cast(value as integer)) as n from (
        select key, value from ${each('f.replies_by_user')}
        union all select key, value from ${each('v.replies')}) r
      group by key) s) end`;
}

/**
 * Records messages just inserted into their conversations' reporting facts (`conversation_facts`:
 * the counts, the first customer message, the first response and the first response by a person,
 * the replies of each person), in the caller's transaction and after the messages' insert, with
 * one update for all of them, however many conversations they are in. The same definitions as
 * the backfill (conversations.facts.migrations.ts) and docs/reports.md: an inbound message counts
 * in, an outbound one that is not a note counts out, a person's (`user`) that is not a note counts
 * as a person's message; responses are replies at or after the first customer message, the
 * system's excluded. The facts row's response times and first responder follow by its trigger.
 *
 * PostgreSQL: the conversations' rows are locked first (by id), the order every write that updates
 * a conversation keeps (conversations.facts.reactions.ts). Both statements go out without waiting
 * for each other, so in a pipelined transaction they travel with the writes issued beside them.
 */
export function recordMessageFacts(db: Db | Trx, rows: readonly MessageFactsInput[]): Promise<void> {
  const shares = sharesOf(rows);
  if (shares.length === 0) return Promise.resolve();
  const pg = onPostgres(db);
  const ids = shares.map((s) => s.conversation_id).sort();
  const lock = pg
    ? db
        .selectFrom('conversations')
        .select('id')
        .where('id', 'in', ids)
        .orderBy('id')
        .forNoKeyUpdate()
        .execute()
    : undefined;
  // The shares travel as one JSON parameter: one statement text whatever their number. PostgreSQL
  // also gets the ids as an array, so that its plan finds the facts rows by their key (it guesses
  // a set-returning function's rows and, on a table of a few thousand, would scan it).
  const json = JSON.stringify(shares);
  const source = pg
    ? sql`json_array_elements(cast(${json} as json)) as e(value)`
    : sql`json_each(${json}) as e`;
  const int = (k: string) => sql`cast(value ->> ${sql.lit(k)} as integer) as ${sql.ref(k)}`;
  const text = (k: string) => sql`value ->> ${sql.lit(k)} as ${sql.ref(k)}`;
  const update = sql`update conversation_facts as f set
      messages_in = f.messages_in + v.messages_in,
      messages_out = f.messages_out + v.messages_out,
      person_messages = f.person_messages + v.person_messages,
      first_response_at = ${firstResponse('first_response_at', 'first_response', `m.sender_type <> 'system'`)},
      human_first_response_at = ${firstResponse('human_first_response_at', 'first_human', `m.sender_type = 'user'`)},
      first_in_at = case when v.first_in is not null and (f.first_in_at is null or v.first_in < f.first_in_at)
        then v.first_in else f.first_in_at end,
      replies_by_user = ${addReplies(pg)}
    from (select ${text('conversation_id')}, ${int('messages_in')}, ${int('messages_out')},
        ${int('person_messages')}, ${text('first_in')}, ${text('first_response')}, ${text('first_human')},
        ${text('replies')}
      from ${source}) as v
    where f.conversation_id = v.conversation_id ${pg ? sql`and f.conversation_id = any(${ids})` : sql``}`.execute(
    db,
  );
  return settleAll([lock, update]);
}
