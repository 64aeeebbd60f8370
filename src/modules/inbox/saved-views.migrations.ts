import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const savedViewsMigrations: Record<string, ParleyMigration> = {
  // Saved inbox views (issue 62): a person's named filters, private or shared with the workspace.
  '1850_saved_views': {
    async up(db) {
      await db.schema
        .createTable('saved_views')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('filters', 'text', (c) => c.notNull())
        .addColumn('shared', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('saved_views_workspace')
        .on('saved_views')
        .columns(['workspace_id', 'livemode', 'name'])
        .execute();
    },
  },
};
