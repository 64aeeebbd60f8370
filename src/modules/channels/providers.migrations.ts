import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const providersMigrations: Record<string, ParleyMigration> = {
  '0400_provider_inbound': {
    async up(db) {
      await db.schema
        .createTable('provider_inbound')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('raw_body', 'text', (c) => c.notNull())
        .addColumn('body_sha256', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('provider_inbound_replay')
        .on('provider_inbound')
        .columns(['channel_id', 'body_sha256'])
        .unique()
        .execute();
      await db.schema
        .createIndex('provider_inbound_received')
        .on('provider_inbound')
        .columns(['received_at'])
        .execute();
    },
  },
  '0402_whatsapp_channel_health': {
    // A WhatsApp channel's quality, messaging tier, name review and bans, as Meta reports them.
    async up(db) {
      await db.schema
        .createTable('channel_health')
        .addColumn('channel_id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('quality', 'text')
        .addColumn('tier', 'text')
        .addColumn('name_status', 'text')
        .addColumn('verified_name', 'text')
        .addColumn('account_status', 'text')
        .addColumn('violation', 'text')
        .addColumn('restrictions', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
