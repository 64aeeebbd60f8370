import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const channelsMigrations: Record<string, ParleyMigration> = {
  '0200_channels': {
    async up(db) {
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('credentials', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // One channel per own address and type in a workspace and mode.
      await db.schema
        .createIndex('channels_address')
        .on('channels')
        .columns(['workspace_id', 'livemode', 'type', 'address'])
        .unique()
        .execute();
      await db.schema
        .createIndex('channels_send')
        .on('channels')
        // Every send looks up the oldest active channel of a type: no sort, no scan.
        .columns(['workspace_id', 'livemode', 'type', 'status', 'id'])
        .execute();
      await db.schema
        .createIndex('channels_agent')
        .on('channels')
        .columns(['workspace_id', 'livemode', 'agent_id'])
        .execute();
    },
  },
  '0201_channel_handoff_team': {
    // The team handoffs on a channel go to (null: the agent's or the workspace's policy decides).
    async up(db) {
      await db.schema.alterTable('channels').addColumn('handoff_team_id', 'text').execute();
    },
  },
};
