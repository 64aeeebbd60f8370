import type { ParleyMigration } from '../../../platform/db/migrate.ts';

export const routingMigrations: Record<string, ParleyMigration> = {
  '1000_handoff_settings': {
    // The workspace's default handoff policy (agents may override it).
    async up(db) {
      await db.schema
        .createTable('handoff_settings')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('handoff_settings_pk', ['workspace_id', 'livemode'])
        .execute();
    },
  },
  '1001_sla_policies': {
    // SLA policies: targets in minutes (null: none), whether they count in business hours, and
    // which conversations they apply to (JSON).
    async up(db) {
      await db.schema
        .createTable('sla_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('first_response_minutes', 'integer')
        .addColumn('next_response_minutes', 'integer')
        .addColumn('resolution_minutes', 'integer')
        .addColumn('business_hours', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('applies_to', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sla_policies_workspace')
        .on('sla_policies')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
  '1002_conversation_timers': {
    // Each conversation's pending timers (handoff reply, SLA targets, snooze): their job ids, so
    // the write that makes one moot cancels its job.
    async up(db) {
      await db.schema
        .createTable('conversation_timers')
        .addColumn('conversation_id', 'text', (c) =>
          c.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('job_name', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_timers_pk', ['conversation_id', 'kind'])
        .execute();
    },
  },
  '1005_sla_counts_ai_replies': {
    // Whether an SLA policy counts the AI's replies (then it applies from the conversation's start);
    // otherwise it applies from the handoff, while a person owns the conversation.
    async up(db) {
      await db.schema
        .alterTable('sla_policies')
        .addColumn('counts_ai_replies', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  '1006_conversation_presence': {
    // Who has a conversation open in the inbox, or is typing in it, until when: a person viewing or
    // typing holds a handoff's reply timer; a reassignment remembers whom it was taken from.
    async up(db) {
      await db.schema
        .createTable('conversation_presence')
        .addColumn('conversation_id', 'text', (c) =>
          c.notNull().references('conversations.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('until', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_presence_pk', ['conversation_id', 'user_id'])
        .execute();
      await db.schema.alterTable('conversations').addColumn('handoff_taken_from', 'text').execute();
      await db.schema.alterTable('conversations').addColumn('unanswered_since', 'text').execute();
    },
  },
};
