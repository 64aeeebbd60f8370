import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

/**
 * `conversation_facts`: one row per conversation with what reports count about it that is not a
 * column of the conversation itself (docs/reports.md). It is kept by triggers, in the transaction
 * of the write that changes it, on both storages, whatever code writes: a message inserted (counts,
 * first customer message, first response, first response by a person), an event recorded
 * (`conversation.escalated` / `resolved` / `reopened`: handoffs and their reasons, the last
 * resolve, a reopen within 24 hours of one), a lead or a booking linked to the conversation. So
 * the write paths in the code are untouched and no statement is added to them: the database does
 * the update inside the insert's own round trip. What is a column of the conversation (status,
 * closed_at, the current handoff, assignee, channel, agent, CSAT, SLA) is read from it, joined by key.
 */

const DAY = { sqlite: (ts: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ts}, '+1 day')` };

/** The `set` of the update a new message makes (`new` is the message; SQLite and PostgreSQL alike). */
function messageUpdate(dialect: Dialect): string {
  const b = (cond: string) => (dialect === 'postgres' ? `(${cond})::int` : `(${cond})`);
  const reply = `new.direction = 'outbound' and new.type <> 'note'`;
  const lowersFirstIn = `new.direction = 'inbound' and (first_in_at is null or new.created_at < first_in_at)`;
  // A customer message earlier than any before (the first, or one written out of order): the
  // responses are looked up again from the messages (once per conversation, by its index).
  const firstAfter = (who: string) =>
    `(select min(m.created_at) from messages m where m.conversation_id = new.conversation_id
       and m.direction = 'outbound' and m.type <> 'note' and ${who} and m.created_at >= new.created_at)`;
  const keepEarliest = (col: string, who: string) =>
    `${col} = case
       when ${lowersFirstIn} then ${firstAfter(who.replaceAll('new.', 'm.'))}
       when ${reply} and ${who} and first_in_at is not null and new.created_at >= first_in_at
         and (${col} is null or new.created_at < ${col}) then new.created_at
       else ${col} end`;
  return `update conversation_facts set
      messages_in = messages_in + ${b(`new.direction = 'inbound'`)},
      messages_out = messages_out + ${b(reply)},
      person_messages = person_messages + ${b(`new.sender_type = 'user' and new.type <> 'note'`)},
      ${keepEarliest('first_response_at', `new.sender_type <> 'system'`)},
      ${keepEarliest('human_first_response_at', `new.sender_type = 'user'`)},
      first_in_at = case when ${lowersFirstIn} then new.created_at else first_in_at end
    where conversation_id = new.conversation_id`;
}

/** The `set` of the update a conversation event makes (`new` is the event row). */
function eventUpdate(dialect: Dialect): string {
  const pg = dialect === 'postgres';
  const reason = pg
    ? `coalesce(new.data::jsonb ->> 'reason', 'unknown')`
    : `coalesce(json_extract(new.data, '$.reason'), 'unknown')`;
  const append = pg
    ? `(handoff_reasons::jsonb || jsonb_build_array(${reason}))::text`
    : `json_insert(handoff_reasons, '$[#]', ${reason})`;
  const withinDay = pg
    ? `new.created_at::timestamptz <= last_resolved_at::timestamptz + interval '1 day'`
    : `new.created_at <= ${DAY.sqlite('last_resolved_at')}`;
  return `update conversation_facts set
      escalations = escalations + case when new.type = 'conversation.escalated' then 1 else 0 end,
      handoff_reasons = case when new.type = 'conversation.escalated' then ${append} else handoff_reasons end,
      last_resolved_at = case when new.type = 'conversation.resolved' then new.created_at else last_resolved_at end,
      reopened_24h = case when new.type = 'conversation.reopened' and last_resolved_at is not null
        and new.created_at >= last_resolved_at and ${withinDay} then 1 else reopened_24h end
    where conversation_id = new.object_id`;
}

const lifecycle = `'conversation.escalated', 'conversation.resolved', 'conversation.reopened'`;

async function sqliteTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  await run(`create trigger conversation_facts_new after insert on conversations begin
    insert into conversation_facts (conversation_id) values (new.id); end`);
  await run(`create trigger conversation_facts_message after insert on messages begin
    ${messageUpdate('sqlite')}; end`);
  await run(`create trigger conversation_facts_event after insert on events
    when new.type in (${lifecycle}) and new.object_id is not null begin ${eventUpdate('sqlite')}; end`);
  for (const t of ['leads', 'bookings']) {
    const bump = (row: 'new' | 'old', by: string) =>
      `update conversation_facts set ${t} = ${t} ${by} where conversation_id = ${row}.conversation_id`;
    await run(`create trigger conversation_facts_${t}_insert after insert on ${t}
      when new.conversation_id is not null begin ${bump('new', '+ 1')}; end`);
    await run(`create trigger conversation_facts_${t}_delete after delete on ${t}
      when old.conversation_id is not null begin ${bump('old', '- 1')}; end`);
    await run(`create trigger conversation_facts_${t}_update after update of conversation_id on ${t}
      when old.conversation_id is not new.conversation_id begin ${bump('old', '- 1')}; ${bump('new', '+ 1')}; end`);
  }
}

async function postgresTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  const fn = (name: string, body: string) =>
    run(
      `create function ${name}() returns trigger language plpgsql as $$ begin ${body}; return null; end $$`,
    );
  // The conversation's row is locked before its facts, as the writes that update the conversation
  // lock it first: a message or an event inserted before the conversation's update would otherwise
  // take the facts row first and deadlock with a writer that holds the conversation and wants it.
  const lockFirst = (id: string) => `perform 1 from conversations where id = ${id} for no key update`;
  await fn('parley_facts_new', 'insert into conversation_facts (conversation_id) values (new.id)');
  await run(`create trigger conversation_facts_new after insert on conversations
    for each row execute function parley_facts_new()`);
  await fn('parley_facts_message', `${lockFirst('new.conversation_id')}; ${messageUpdate('postgres')}`);
  await run(`create trigger conversation_facts_message after insert on messages
    for each row execute function parley_facts_message()`);
  await fn('parley_facts_event', `${lockFirst('new.object_id')}; ${eventUpdate('postgres')}`);
  await run(`create trigger conversation_facts_event after insert on events
    for each row when (new.type in (${lifecycle}) and new.object_id is not null)
    execute function parley_facts_event()`);
  for (const t of ['leads', 'bookings']) {
    const bump = (row: 'new' | 'old', by: string) =>
      `if ${row}.conversation_id is not null then ${lockFirst(`${row}.conversation_id`)}; update conversation_facts set ${t} = ${t} ${by} where conversation_id = ${row}.conversation_id; end if`;
    await fn(
      `parley_facts_${t}`,
      `if tg_op = 'UPDATE' and old.conversation_id is not distinct from new.conversation_id then return null; end if;
       if tg_op in ('UPDATE', 'DELETE') then ${bump('old', '- 1')}; end if;
       if tg_op in ('INSERT', 'UPDATE') then ${bump('new', '+ 1')}; end if`,
    );
    await run(`create trigger conversation_facts_${t} after insert or delete or update of conversation_id on ${t}
      for each row execute function parley_facts_${t}()`);
  }
}

/** The facts of the conversations that exist when the table is made (an upgraded install's history). */
export async function backfillConversationFacts(db: Kysely<any>, dialect: Dialect) {
  const run = (s: string) => sql.raw(s).execute(db);
  const pg = dialect === 'postgres';
  const b = (cond: string) => `case when ${cond} then 1 else 0 end`;
  await run('insert into conversation_facts (conversation_id) select id from conversations');
  await run(`update conversation_facts set messages_in = s.i, messages_out = s.o, person_messages = s.p, first_in_at = s.f
    from (select conversation_id, sum(${b(`direction = 'inbound'`)}) as i,
            sum(${b(`direction = 'outbound' and type <> 'note'`)}) as o,
            sum(${b(`sender_type = 'user' and type <> 'note'`)}) as p,
            min(case when direction = 'inbound' then created_at end) as f
          from messages group by conversation_id) s
    where conversation_facts.conversation_id = s.conversation_id`);
  const firstAfter = (who: string) => `(select min(m.created_at) from messages m
      where m.conversation_id = conversation_facts.conversation_id and m.direction = 'outbound'
        and m.type <> 'note' and ${who} and m.created_at >= conversation_facts.first_in_at)`;
  await run(`update conversation_facts set
      first_response_at = ${firstAfter(`m.sender_type <> 'system'`)},
      human_first_response_at = ${firstAfter(`m.sender_type = 'user'`)}
    where first_in_at is not null`);
  const reasons = pg
    ? `jsonb_agg(coalesce(data::jsonb ->> 'reason', 'unknown'))::text`
    : `json_group_array(coalesce(json_extract(data, '$.reason'), 'unknown'))`;
  await run(`update conversation_facts set escalations = s.n, handoff_reasons = s.r
    from (select object_id, count(*) as n, ${reasons} as r from events
          where type = 'conversation.escalated' and object_id is not null group by object_id) s
    where conversation_facts.conversation_id = s.object_id`);
  await run(`update conversation_facts set last_resolved_at = s.at
    from (select object_id, max(created_at) as at from events
          where type = 'conversation.resolved' and object_id is not null group by object_id) s
    where conversation_facts.conversation_id = s.object_id`);
  const withinDay = pg
    ? `o.created_at::timestamptz <= r.created_at::timestamptz + interval '1 day'`
    : `o.created_at <= ${DAY.sqlite('r.created_at')}`;
  await run(`update conversation_facts set reopened_24h = 1 where exists (
      select 1 from events r join events o on o.object_id = r.object_id
      where r.object_id = conversation_facts.conversation_id and r.type = 'conversation.resolved'
        and o.type = 'conversation.reopened' and o.created_at >= r.created_at and ${withinDay})`);
  for (const t of ['leads', 'bookings'])
    await run(`update conversation_facts set ${t} = s.n
      from (select conversation_id, count(*) as n from ${t} where conversation_id is not null group by conversation_id) s
      where conversation_facts.conversation_id = s.conversation_id`);
}

export const factsMigrations: Record<string, ParleyMigration> = {
  '1101_conversation_facts': {
    async up(db, dialect) {
      await db.schema
        .createTable('conversation_facts')
        .addColumn('conversation_id', 'text', (c) =>
          c.primaryKey().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('messages_in', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('messages_out', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('person_messages', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('first_in_at', 'text')
        .addColumn('first_response_at', 'text')
        .addColumn('human_first_response_at', 'text')
        .addColumn('escalations', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('handoff_reasons', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('last_resolved_at', 'text')
        .addColumn('reopened_24h', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('leads', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bookings', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Reports read the conversations created in a range.
      await db.schema
        .createIndex('conversations_created')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'created_at'])
        .execute();
      await backfillConversationFacts(db, dialect);
      if (dialect === 'postgres') await postgresTriggers(db);
      else await sqliteTriggers(db);
    },
  },
};
