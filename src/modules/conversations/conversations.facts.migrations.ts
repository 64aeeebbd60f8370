import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

/**
 * `conversation_facts`: one row per conversation with what reports count about it that is not a
 * column of the conversation itself (docs/reports.md), kept in the transaction of the write that
 * changes it, on both storages. The messages written (counts, first customer message, first
 * response, first response by a person, replies by person) update it through `recordMessageFacts`
 * (conversations.facts.messages.ts), which the messaging module's one insert path calls in the
 * insert's transaction; the triggers on the messages this migration and 1102 made before are
 * dropped by 1105 on the installs that have them. The events (`conversation.escalated` / `resolved` / `reopened`:
 * handoffs and their reasons, the last resolve, a reopen within 24 hours of one; `lead.captured`,
 * `booking.created`: the leads and bookings made in the conversation) update it through the
 * conversations module's reaction `conversations.facts` (conversations.facts.reactions.ts); their
 * triggers, which this migration made before, are dropped by 1104 on the installs that have them.
 * What is a column of the conversation (status, closed_at, the current handoff, assignee, channel,
 * agent, CSAT, SLA) is copied into the row (1102).
 */

const DAY = { sqlite: (ts: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ts}, '+1 day')` };

async function sqliteTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  await run(`create trigger conversation_facts_new after insert on conversations begin
    insert into conversation_facts (conversation_id) values (new.id); end`);
}

async function postgresTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  const fn = (name: string, body: string) =>
    run(
      `create function ${name}() returns trigger language plpgsql as $$ begin ${body}; return null; end $$`,
    );
  await fn('parley_facts_new', 'insert into conversation_facts (conversation_id) values (new.id)');
  await run(`create trigger conversation_facts_new after insert on conversations
    for each row execute function parley_facts_new()`);
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
  // The events' facts come from the reaction `conversations.facts` in the events' transaction:
  // the triggers 1101 made for them (on the events, the leads, the bookings) go. The rows keep
  // what they hold. On PostgreSQL a trigger function dropped with `cascade` takes its triggers.
  '1104_conversation_facts_from_events': {
    async up(db, dialect) {
      const run = (s: string) => sql.raw(s).execute(db);
      if (dialect === 'postgres') {
        for (const fn of ['parley_facts_event', 'parley_facts_leads', 'parley_facts_bookings'])
          await run(`drop function if exists ${fn}() cascade`);
        return;
      }
      const triggers = ['conversation_facts_event'];
      for (const t of ['leads', 'bookings'])
        for (const op of ['insert', 'delete', 'update']) triggers.push(`conversation_facts_${t}_${op}`);
      for (const name of triggers) await run(`drop trigger if exists ${name}`);
    },
  },
  // The messages' facts are recorded by the messaging module's writes in their transaction
  // (recordMessageFacts, conversations.facts.messages.ts): the triggers on the messages that 1101
  // (counts, first message, first responses) and 1102 (replies by person) made go. The rows keep
  // what they hold.
  '1105_message_facts_from_app': {
    async up(db, dialect) {
      const run = (s: string) => sql.raw(s).execute(db);
      if (dialect === 'postgres') {
        for (const fn of ['parley_facts_message', 'parley_facts_person_reply'])
          await run(`drop function if exists ${fn}() cascade`);
        return;
      }
      for (const name of ['conversation_facts_message', 'conversation_facts_person_reply'])
        await run(`drop trigger if exists ${name}`);
    },
  },
};
