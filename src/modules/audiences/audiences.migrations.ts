import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const audiencesMigrations: Record<string, ParleyMigration> = {
  '0110_audiences': {
    async up(db) {
      await db.schema
        .createTable('audiences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('filter', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audiences_workspace')
        .on('audiences')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createTable('audience_members')
        .addColumn('audience_id', 'text', (c) => c.notNull().references('audiences.id').onDelete('cascade'))
        // Deleting a contact removes it from every audience.
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audience_members_pk', ['audience_id', 'contact_id'])
        .execute();
      await db.schema
        .createIndex('audience_members_contact')
        .on('audience_members')
        .column('contact_id')
        .execute();
    },
  },
};
