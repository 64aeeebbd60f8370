import type { ParleyMigration } from '../../platform/db/migrate.ts';

/** Erasures, the audit log, retention (range 1500-1549). */
export const privacyMigrations: Record<string, ParleyMigration> = {
  '1500_privacy_contact_erasures': {
    async up(db) {
      await db.schema
        .createTable('contact_erasures')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('steps_done', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute();
      await db.schema
        .createIndex('contact_erasures_contact')
        .on('contact_erasures')
        .columns(['workspace_id', 'livemode', 'contact_id'])
        .execute();
    },
  },
  '1501_privacy_retention': {
    async up(db) {
      await db.schema
        .createTable('retention_settings')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('messages_days', 'integer')
        .addColumn('recordings_days', 'integer')
        .addColumn('transcripts_days', 'integer')
        .addColumn('events_days', 'integer')
        .addColumn('deliveries_days', 'integer')
        .addColumn('audit_log_days', 'integer')
        .addColumn('last_run_deleted', 'text')
        .addColumn('last_run_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('retention_settings_pk', ['workspace_id', 'livemode'])
        .execute();
      await db.schema
        .createTable('retention_runs')
        .addColumn('day', 'text', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute();
    },
  },
};
