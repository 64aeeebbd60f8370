import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const mediaMigrations: Record<string, ParleyMigration> = {
  '1200_media_files': {
    async up(db) {
      await db.schema
        .createTable('media_files')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('mime_type', 'text', (c) => c.notNull())
        .addColumn('filename', 'text')
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('content_base64', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('media_files_workspace')
        .on('media_files')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
};
