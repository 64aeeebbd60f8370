import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const leadsMigrations: Record<string, ParleyMigration> = {
  '0510_leads': {
    async up(db) {
      await db.schema
        .createTable('leads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('agent_id', 'text')
        .addColumn('name', 'text')
        .addColumn('phone', 'text')
        .addColumn('email', 'text')
        .addColumn('intent', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('leads_workspace')
        .on('leads')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createIndex('leads_conversation')
        .on('leads')
        .columns(['workspace_id', 'livemode', 'conversation_id', 'status'])
        .execute();
      await db.schema
        .createIndex('leads_contact')
        .on('leads')
        .columns(['workspace_id', 'livemode', 'contact_id', 'status'])
        .execute();
    },
  },
};
