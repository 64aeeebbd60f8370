import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const bookingsMigrations: Record<string, ParleyMigration> = {
  '0515_bookings': {
    async up(db) {
      await db.schema
        .createTable('bookings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('service_id', 'text')
        .addColumn('service_name', 'text')
        .addColumn('start_at', 'text', (c) => c.notNull())
        .addColumn('end_at', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('notes', 'text')
        .addColumn('cancelled_at', 'text')
        .addColumn('cancellation_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('bookings_workspace')
        .on('bookings')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      // The overlap check: confirmed bookings of one agent by time.
      await db.schema
        .createIndex('bookings_agent_time')
        .on('bookings')
        .columns(['agent_id', 'status', 'start_at'])
        .execute();
      await db.schema
        .createIndex('bookings_contact')
        .on('bookings')
        .columns(['workspace_id', 'livemode', 'contact_id', 'start_at'])
        .execute();
    },
  },
};
