import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const broadcastsMigrations: Record<string, ParleyMigration> = {
  '0140_broadcasts': {
    async up(db) {
      await db.schema
        .createTable('broadcasts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('template_name', 'text', (c) => c.notNull())
        .addColumn('template_language', 'text', (c) => c.notNull())
        .addColumn('variables', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        // No foreign key: deleting the audience later must not erase the broadcast's history.
        .addColumn('audience_id', 'text')
        .addColumn('source_list', 'text')
        .addColumn('from_address', 'text')
        .addColumn('send_at', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('expanded_at', 'text')
        .addColumn('started_at', 'text')
        .addColumn('cancelled_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('broadcasts_workspace')
        .on('broadcasts')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createTable('broadcast_recipients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('broadcast_id', 'text', (c) => c.notNull().references('broadcasts.id').onDelete('cascade'))
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        // No foreign keys to contacts or messages: a recipient stays in the counts after they go.
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('claimed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        // Expansion is retried from the start; this makes a second pass add nothing.
        .addUniqueConstraint('broadcast_recipients_contact', ['broadcast_id', 'contact_id'])
        .execute();
      await db.schema
        .createIndex('broadcast_recipients_status')
        .on('broadcast_recipients')
        .columns(['broadcast_id', 'status', 'id'])
        .execute();
      await db.schema
        .createIndex('broadcast_recipients_message')
        .on('broadcast_recipients')
        .column('message_id')
        .execute();
    },
  },
  // Meta 131049 (per-user marketing limit): a recipient is deferred and retried later, within the
  // broadcast's validity. A warning for a scheduled broadcast (its template turned marketing).
  '0141_broadcast_frequency_cap_retries': {
    async up(db) {
      await db.schema.alterTable('broadcasts').addColumn('valid_until', 'text').execute();
      await db.schema.alterTable('broadcasts').addColumn('warning', 'text').execute();
      await db.schema
        .alterTable('broadcast_recipients')
        .addColumn('deferrals', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('broadcast_recipients').addColumn('retry_at', 'text').execute();
    },
  },
  // Paced by the WhatsApp number's messaging tier (unique users per 24 hours): until when.
  '0142_broadcast_tier_pacing': {
    async up(db) {
      await db.schema.alterTable('broadcasts').addColumn('paced_until', 'text').execute();
      await db.schema
        .createIndex('broadcast_recipients_claimed')
        .on('broadcast_recipients')
        .columns(['workspace_id', 'livemode', 'claimed_at'])
        .execute();
    },
  },
};
