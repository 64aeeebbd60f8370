import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const analysisMigrations: Record<string, ParleyMigration> = {
  // Range re-analyses of an agent's past conversations and calls, with their progress.
  '1100_analysis_runs': {
    async up(db) {
      await db.schema
        .createTable('analysis_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('from_at', 'text', (c) => c.notNull())
        .addColumn('to_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('done', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addColumn('after_conversation', 'text')
        .addColumn('after_call', 'text')
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute();
      await db.schema
        .createIndex('analysis_runs_workspace')
        .on('analysis_runs')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
};
