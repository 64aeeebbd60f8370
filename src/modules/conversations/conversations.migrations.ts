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
};
