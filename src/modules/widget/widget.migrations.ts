import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const widgetMigrations: Record<string, ParleyMigration> = {
  '1700_widget_visitors_sessions_events': {
    async up(db) {
      await db.schema
        .createTable('widget_visitors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('consented_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('widget_visitors_subject')
        .on('widget_visitors')
        .columns(['channel_id', 'subject'])
        .unique()
        .execute();
      await db.schema
        .createIndex('widget_visitors_contact')
        .on('widget_visitors')
        .column('contact_id')
        .execute();
      await db.schema
        .createTable('widget_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('visitor_id', 'text', (c) =>
          c.notNull().references('widget_visitors.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('widget_sessions_visitor')
        .on('widget_sessions')
        .column('visitor_id')
        .execute();
      await db.schema
        .createTable('widget_sends')
        .addColumn('visitor_id', 'text', (c) =>
          c.notNull().references('widget_visitors.id').onDelete('cascade'),
        )
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('widget_sends_pk', ['visitor_id', 'idempotency_key'])
        .execute();
      await db.schema
        .createTable('widget_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('visitor_id', 'text', (c) =>
          c.notNull().references('widget_visitors.id').onDelete('cascade'),
        )
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('widget_events_visitor')
        .on('widget_events')
        .columns(['visitor_id', 'id'])
        .execute();
    },
  },
  '1701_widget_join_codes': {
    async up(db) {
      // "Continue on WhatsApp": the code the visitor sends there, which joins the two contacts.
      await db.schema.alterTable('widget_visitors').addColumn('join_code', 'text').execute();
      await db.schema.alterTable('widget_visitors').addColumn('join_code_expires_at', 'text').execute();
      await db.schema
        .createIndex('widget_visitors_join_code')
        .on('widget_visitors')
        .columns(['workspace_id', 'join_code'])
        .unique()
        .execute();
    },
  },
  '1702_widget_session_last_used': {
    async up(db) {
      // A session token expires after days without use (PARLEY_WIDGET_SESSION_IDLE_DAYS); null: never used since created.
      await db.schema.alterTable('widget_sessions').addColumn('last_used_at', 'text').execute();
    },
  },
};
