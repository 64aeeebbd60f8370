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
};
