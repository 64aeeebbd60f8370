import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

/**
 * 1102: the conversation's own columns that reports filter and count on are copied into its
 * `conversation_facts` row (scope, creation time, channel, agent, assignee, status, the current
 * handoff, CSAT, SLA), with the times reports take percentiles of as integer milliseconds
 * (first response, first response by a person, resolution), so the overview is aggregated in SQL
 * over one indexed table and no row per conversation reaches the process (docs/reports.md).
 *
 * Kept by triggers: the conversation's insert fills it, an update of one
 * of those columns (`after update of`, and only when a value changed: an ordinary message's update
 * of the conversation sets none of them, or sets them unchanged) copies them again, and a change
 * of the first customer message or of a first response (recordMessageFacts) works out the
 * milliseconds again. The replies by person are counted by recordMessageFacts too (a trigger on
 * the messages did it before 1105). The backfill fills the rows an upgraded install already has.
 */

/** The conversation's columns copied as they are. */
const copied = [
  'workspace_id',
  'livemode',
  'created_at',
  'channel',
  'agent_id',
  'status',
  'assignee_type',
  'assignee_id',
  'handoff_at',
  'handoff_reason',
  'csat_score',
] as const;
/** Columns whose change updates the facts (the copied ones, and what the derived ones read). */
const watched = [...copied, 'closed_at', 'sla_policy_id', 'sla_breached'] as const;

/** Epoch milliseconds of an ISO instant stored as text (null for null). */
const msOf = (dialect: Dialect, iso: string) =>
  dialect === 'postgres'
    ? `(round(extract(epoch from (${iso})::timestamptz) * 1000))::bigint`
    : `cast(round(unixepoch(${iso}, 'subsec') * 1000) as integer)`;
const greatest0 = (dialect: Dialect, e: string) =>
  dialect === 'postgres' ? `greatest(0, ${e})` : `max(0, ${e})`;
const between = (dialect: Dialect, a: string, b: string) =>
  `case when ${a} is not null and ${b} is not null then ${greatest0(dialect, `${msOf(dialect, b)} - ${msOf(dialect, a)}`)} end`;

/** What a conversation row `c` gives its facts: column → expression. */
function fromConversation(dialect: Dialect, c: string): Array<[string, string]> {
  const breachedNone =
    dialect === 'postgres'
      ? `coalesce(jsonb_array_length(${c}.sla_breached::jsonb), 0) = 0`
      : `coalesce(json_array_length(${c}.sla_breached), 0) = 0`;
  return [
    ...copied.map((col): [string, string] => [col, `${c}.${col}`]),
    ['created_ms', msOf(dialect, `${c}.created_at`)],
    [
      'resolution_ms',
      `case when ${c}.status = 'closed' then ${between(dialect, `${c}.created_at`, `${c}.closed_at`)} end`,
    ],
    ['sla_met', `case when ${c}.sla_policy_id is null then null when ${breachedNone} then 1 else 0 end`],
  ];
}

/**
 * The response times from the row's own first customer message and first responses (`r` is the
 * facts row), and who wrote the first response by a person (the earliest, then the lowest id).
 */
function responseTimes(dialect: Dialect, r: string): Array<[string, string]> {
  return [
    ['first_response_ms', between(dialect, `${r}.first_in_at`, `${r}.first_response_at`)],
    ['human_first_response_ms', between(dialect, `${r}.first_in_at`, `${r}.human_first_response_at`)],
    [
      'first_responder_id',
      `(select m.sender_id from messages m where m.conversation_id = ${r}.conversation_id
        and m.direction = 'outbound' and m.type <> 'note' and m.sender_type = 'user'
        and m.created_at = ${r}.human_first_response_at order by m.id limit 1)`,
    ],
  ];
}

const setList = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${k} = ${v}`).join(', ');
const changed = (cols: readonly string[], dialect: Dialect) =>
  cols.map((c) => `old.${c} is ${dialect === 'postgres' ? 'distinct from' : 'not'} new.${c}`).join(' or ');
const timeSources = ['first_in_at', 'first_response_at', 'human_first_response_at'] as const;

async function sqliteTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  const conv = fromConversation('sqlite', 'new');
  await run('drop trigger conversation_facts_new');
  await run(`create trigger conversation_facts_new after insert on conversations begin
    insert into conversation_facts (conversation_id, ${conv.map(([k]) => k).join(', ')})
    values (new.id, ${conv.map(([, v]) => v).join(', ')}); end`);
  await run(`create trigger conversation_facts_conversation after update of ${watched.join(', ')} on conversations
    when ${changed(watched, 'sqlite')} begin
    update conversation_facts set ${setList(conv)} where conversation_id = new.id; end`);
  // SQLite has no BEFORE trigger that changes the row: the times are set by a second update of the
  // row, only when a first message or first response moved (a conversation's first few messages).
  await run(`create trigger conversation_facts_times after update of ${timeSources.join(', ')} on conversation_facts
    when ${changed(timeSources, 'sqlite')} begin
    update conversation_facts set ${setList(responseTimes('sqlite', 'new'))}
    where conversation_id = new.conversation_id; end`);
}

async function postgresTriggers(db: Kysely<any>) {
  const run = (s: string) => sql.raw(s).execute(db);
  const conv = fromConversation('postgres', 'new');
  await run(`create or replace function parley_facts_new() returns trigger language plpgsql as $$ begin
    insert into conversation_facts (conversation_id, ${conv.map(([k]) => k).join(', ')})
    values (new.id, ${conv.map(([, v]) => v).join(', ')}); return null; end $$`);
  // The update of the conversation holds its row already: the facts row is locked after it, the
  // order recordMessageFacts and the reaction `conversations.facts` keep.
  await run(`create function parley_facts_conversation() returns trigger language plpgsql as $$ begin
    update conversation_facts set ${setList(conv)} where conversation_id = new.id; return null; end $$`);
  await run(`create trigger conversation_facts_conversation after update of ${watched.join(', ')} on conversations
    for each row when (${changed(watched, 'postgres')}) execute function parley_facts_conversation()`);
  const times = responseTimes('postgres', 'new')
    .map(([k, v]) => `new.${k} := ${v};`)
    .join(' ');
  await run(`create function parley_facts_times() returns trigger language plpgsql as $$ begin
    ${times} return new; end $$`);
  await run(`create trigger conversation_facts_times before update of ${timeSources.join(', ')}
    on conversation_facts for each row when (${changed(timeSources, 'postgres')})
    execute function parley_facts_times()`);
}

/** Copies the conversations' columns and works out the times of every facts row (an upgrade's history). */
export async function backfillCohortColumns(db: Kysely<any>, dialect: Dialect) {
  const run = (s: string) => sql.raw(s).execute(db);
  await run(`update conversation_facts set ${setList(fromConversation(dialect, 'c'))}
    from conversations c where c.id = conversation_facts.conversation_id`);
  await run(`update conversation_facts set ${setList(responseTimes(dialect, 'conversation_facts'))}
    where first_in_at is not null`);
  const byUser =
    dialect === 'postgres' ? 'jsonb_object_agg(sender_id, n)::text' : 'json_group_object(sender_id, n)';
  await run(`update conversation_facts set replies_by_user = s.r
    from (select conversation_id, ${byUser} as r from (
            select conversation_id, sender_id, count(*) as n from messages
            where sender_type = 'user' and sender_id is not null and direction = 'outbound' and type <> 'note'
            group by conversation_id, sender_id) p
          group by conversation_id) s
    where conversation_facts.conversation_id = s.conversation_id`);
}

export const factsCohortMigrations: Record<string, ParleyMigration> = {
  '1102_conversation_facts_cohort': {
    async up(db, dialect) {
      const add = async (col: string, type: 'text' | 'integer' | 'bigint') =>
        db.schema.alterTable('conversation_facts').addColumn(col, type).execute();
      for (const col of copied)
        await add(col, col === 'livemode' || col === 'csat_score' ? 'integer' : 'text');
      for (const col of ['created_ms', 'first_response_ms', 'human_first_response_ms', 'resolution_ms'])
        await add(col, 'bigint');
      await add('sla_met', 'integer');
      await add('first_responder_id', 'text');
      await db.schema
        .alterTable('conversation_facts')
        .addColumn('replies_by_user', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await backfillCohortColumns(db, dialect);
      // The overview reads a workspace's conversations created in a range.
      await db.schema
        .createIndex('conversation_facts_cohort')
        .on('conversation_facts')
        .columns(['workspace_id', 'livemode', 'created_at'])
        .execute();
      if (dialect === 'postgres') await postgresTriggers(db);
      else await sqliteTriggers(db);
    },
  },
  // The overview's handoffs by reason read only the cohort's handed-off conversations: a partial
  // index of those (the reasons statement's filter names the same condition) instead of a scan
  // of every conversation in the range.
  '1103_conversation_facts_handoffs': {
    async up(db) {
      await sql
        .raw(`create index conversation_facts_handoffs on conversation_facts (workspace_id, livemode, created_at)
          where escalations > 0 or handoff_at is not null`)
        .execute(db);
    },
  },
};
