import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const reportsMigrations: Record<string, ParleyMigration> = {
  // The rate card the costs report prices billable WhatsApp messages with.
  '1150_report_rate_cards': {
    async up(db) {
      await db.schema
        .createTable('rate_cards')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('rates', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_cards_pk', ['workspace_id', 'livemode'])
        .execute();
    },
  },
};
