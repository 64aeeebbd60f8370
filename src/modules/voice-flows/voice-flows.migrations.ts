import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const voiceFlowsMigrations: Record<string, ParleyMigration> = {
  '0950_voice_flows': {
    async up(db) {
      await db.schema
        .createTable('voice_flows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('start_node', 'text', (c) => c.notNull())
        .addColumn('nodes', 'text', (c) => c.notNull())
        .addColumn('variables', 'text', (c) => c.notNull())
        .addColumn('webhook_secret', 'text', (c) => c.notNull())
        // Deleted flows stay as rows, so calls and campaigns that ran them keep their reference.
        .addColumn('deleted_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('voice_flows_workspace')
        .on('voice_flows')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
};
