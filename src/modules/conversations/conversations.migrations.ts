import { sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const conversationsMigrations: Record<string, ParleyMigration> = {
  '0210_conversations': {
    async up(db) {
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('contact_address', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ai_handled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ai_paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('handoff_reason', 'text')
        .addColumn('assignee_type', 'text')
        .addColumn('assignee_id', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('last_message', 'text')
        .addColumn('last_message_at', 'text')
        .addColumn('last_inbound_at', 'text')
        .addColumn('window_expires_at', 'text')
        .addColumn('snoozed_until', 'text')
        .addColumn('closed_at', 'text')
        .addColumn('dynamic_variables', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // One conversation per contact and channel.
      await db.schema
        .createIndex('conversations_thread')
        .on('conversations')
        .columns(['channel_id', 'contact_id'])
        .unique()
        .execute();
      // The list: newest activity first, optionally by status, contact, assignee or agent.
      await db.schema
        .createIndex('conversations_recent')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'last_message_at', 'id'])
        .execute();
      await db.schema
        .createIndex('conversations_status')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'status', 'last_message_at'])
        .execute();
      await db.schema
        .createIndex('conversations_contact')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'contact_id'])
        .execute();
      await db.schema
        .createIndex('conversations_assignee')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'assignee_id'])
        .execute();
      await db.schema
        .createIndex('conversations_agent')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'agent_id'])
        .execute();
    },
  },
  // Lists show a total; counting 100,000 rows on every page is too slow, so the count per status
  // is kept by triggers, on both storages, whatever code inserts or updates a conversation.
  '0211_conversation_counts': {
    async up(db, dialect) {
      await db.schema
        .createTable('conversation_counts')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_counts_pk', ['workspace_id', 'livemode', 'status', 'slot'])
        .execute();
      // PostgreSQL spreads each count over 64 rows (by conversation id), so concurrent inserts do
      // not queue on one row lock; SQLite has one writer and keeps one row.
      const slot = (row: 'new' | 'old') => (dialect === 'postgres' ? `abs(hashtext(${row}.id) % 64)` : '0');
      const bump = (row: 'new' | 'old', by: '+ 1' | '- 1') =>
        `insert into conversation_counts (workspace_id, livemode, status, slot, n)
         values (${row}.workspace_id, ${row}.livemode, ${row}.status, ${slot(row)}, ${by === '+ 1' ? 1 : -1})
         on conflict (workspace_id, livemode, status, slot) do update set n = conversation_counts.n ${by}`;
      if (dialect === 'sqlite') {
        await sql
          .raw(
            `create trigger conversation_counts_insert after insert on conversations begin ${bump('new', '+ 1')}; end`,
          )
          .execute(db);
        await sql
          .raw(
            `create trigger conversation_counts_update after update of status on conversations when old.status <> new.status begin ${bump('old', '- 1')}; ${bump('new', '+ 1')}; end`,
          )
          .execute(db);
        await sql
          .raw(
            `create trigger conversation_counts_delete after delete on conversations begin ${bump('old', '- 1')}; end`,
          )
          .execute(db);
      } else {
        await sql
          .raw(
            `create function parley_conversation_counts() returns trigger language plpgsql as $$
             begin
               if tg_op = 'UPDATE' and old.status = new.status then return null; end if;
               if tg_op in ('UPDATE', 'DELETE') then ${bump('old', '- 1')}; end if;
               if tg_op in ('INSERT', 'UPDATE') then ${bump('new', '+ 1')}; end if;
               return null;
             end $$`,
          )
          .execute(db);
        await sql
          .raw(
            'create trigger conversation_counts after insert or delete or update of status on conversations for each row execute function parley_conversation_counts()',
          )
          .execute(db);
      }
      // Conversations that already exist are counted once.
      await sql
        .raw(
          `insert into conversation_counts (workspace_id, livemode, status, slot, n)
           select workspace_id, livemode, status, 0, count(*) from conversations group by workspace_id, livemode, status`,
        )
        .execute(db);
    },
  },
  '0212_conversation_counts_per_connection': {
    // On PostgreSQL a count's slot is now the writing connection's (pg_backend_pid() % 64) rather
    // than the conversation's: a transaction that inserts many conversations touches one counter
    // row per status, so concurrent batches neither wait on each other's slots nor deadlock
    // (locking slots in different orders). A slot's n may go below zero; the sum is the count.
    async up(db, dialect) {
      if (dialect !== 'postgres') return;
      const bump = (row: 'new' | 'old', by: 1 | -1) =>
        `insert into conversation_counts (workspace_id, livemode, status, slot, n)
         values (${row}.workspace_id, ${row}.livemode, ${row}.status, pg_backend_pid() % 64, ${by})
         on conflict (workspace_id, livemode, status, slot) do update set n = conversation_counts.n + ${by}`;
      await sql
        .raw(
          `create or replace function parley_conversation_counts() returns trigger language plpgsql as $$
           begin
             if tg_op = 'UPDATE' and old.status = new.status then return null; end if;
             if tg_op in ('UPDATE', 'DELETE') then ${bump('old', -1)}; end if;
             if tg_op in ('INSERT', 'UPDATE') then ${bump('new', 1)}; end if;
             return null;
           end $$`,
        )
        .execute(db);
    },
  },
  '0213_last_message_sender': {
    // Who wrote the latest message (customer, ai, user, api_key, system): the inbox's card
    // prefix and its unread marks. Existing threads stay null until their next message.
    async up(db) {
      await db.schema.alterTable('conversations').addColumn('last_message_sender', 'text').execute();
    },
  },
  '0214_handoff_waiting': {
    // Who waits since when during a handoff: when it began and by whom, and since when the
    // customer has waited for a person (cleared by a person's reply). Null when not handed off.
    async up(db) {
      await db.schema.alterTable('conversations').addColumn('handoff_at', 'text').execute();
      await db.schema.alterTable('conversations').addColumn('handoff_by', 'text').execute();
      await db.schema.alterTable('conversations').addColumn('waiting_since', 'text').execute();
    },
  },
  '0215_team_operations': {
    // Team operations and analysis: a priority, the SLA policy's due times and breaches, the
    // customer's satisfaction answer, and the analysis of the conversation (JSON; null until run).
    async up(db) {
      const add = (name: string, type: 'text' | 'integer', notNullDefault?: string) =>
        db.schema
          .alterTable('conversations')
          .addColumn(name, type, (c) =>
            notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault),
          )
          .execute();
      await add('priority', 'text', 'normal');
      await add('sla_policy_id', 'text');
      await add('first_response_due_at', 'text');
      await add('next_response_due_at', 'text');
      await add('resolution_due_at', 'text');
      await add('sla_breached', 'text', '[]');
      await add('csat_score', 'integer');
      await add('csat_comment', 'text');
      await add('csat_at', 'text');
      await add('analysis', 'text');
    },
  },
  '0216_routing': {
    // Routing and timers: since when the conversation waits in its team's queue (null: not
    // queued), how often its handoff was reassigned, and when a person first answered (SLA).
    async up(db) {
      await db.schema.alterTable('conversations').addColumn('queued_at', 'text').execute();
      await db.schema
        .alterTable('conversations')
        .addColumn('handoff_reassignments', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('conversations').addColumn('first_response_at', 'text').execute();
      await db.schema
        .createIndex('conversations_team_queue')
        .on('conversations')
        .columns(['assignee_id', 'queued_at'])
        .execute();
    },
  },
  // A click-to-WhatsApp referral as the conversation's source; the ads report groups by source_id.
  '0217_conversation_source': {
    async up(db) {
      for (const col of ['source', 'source_id', 'source_at'])
        await db.schema.alterTable('conversations').addColumn(col, 'text').execute();
      await db.schema
        .createIndex('conversations_source')
        .on('conversations')
        .columns(['workspace_id', 'livemode', 'source_at'])
        .where(sql.ref('source_id'), 'is not', null)
        .execute();
    },
  },
  // When the AI was last paused for a handoff, kept after it ends: the AI's reply after a
  // hand-back answers only what the customer wrote since (the handoff answered what came before).
  '0238_conversation_last_handoff': {
    async up(db) {
      await db.schema.alterTable('conversations').addColumn('last_handoff_at', 'text').execute();
    },
  },
};
