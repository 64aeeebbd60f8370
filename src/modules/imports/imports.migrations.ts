import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const importsMigrations: Record<string, ParleyMigration> = {
  '0120_imports': {
    async up(db) {
      await db.schema
        .createTable('imports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('delimiter', 'text')
        .addColumn('columns', 'text')
        .addColumn('filename', 'text')
        .addColumn('byte_size', 'integer', (c) => c.notNull())
        .addColumn('on_conflict', 'text', (c) => c.notNull())
        .addColumn('audience_id', 'text')
        .addColumn('default_country', 'text', (c) => c.notNull())
        .addColumn('rows_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('started_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('imports_workspace')
        .on('imports')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createTable('import_chunks')
        .addColumn('import_id', 'text', (c) => c.notNull().references('imports.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('import_chunks_pk', ['import_id', 'seq'])
        .execute();
    },
  },
};
