import { type ColumnDefinitionBuilder, sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

const workspace = (c: ColumnDefinitionBuilder) => c.notNull().references('workspaces.id').onDelete('cascade');

export const toolsMigrations: Record<string, ParleyMigration> = {
  '1470_tools_objects': {
    async up(db) {
      await db.schema
        .createTable('tools')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', workspace)
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tools_name')
        .on('tools')
        .columns(['workspace_id', 'livemode', 'name'])
        .unique()
        .execute();
      await db.schema
        .createTable('tool_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', workspace)
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tool_secrets_name')
        .on('tool_secrets')
        .columns(['workspace_id', 'livemode', 'name'])
        .unique()
        .execute();
      await db.schema
        .createTable('tool_settings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', workspace)
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('signing_secret', 'text', (c) => c.notNull())
        .addColumn('allowed_private_hosts', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tool_settings_scope')
        .on('tool_settings')
        .columns(['workspace_id', 'livemode'])
        .unique()
        .execute();
      await db.schema
        .createTable('tool_calls')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', workspace)
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('tool_id', 'text', (c) => c.notNull())
        .addColumn('tool_name', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('agent_id', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('effect', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('code', 'text')
        .addColumn('message', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('response', 'text')
        .addColumn('result', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tool_calls_conversation')
        .on('tool_calls')
        .columns(['workspace_id', 'livemode', 'conversation_id', 'id'])
        .execute();
      await db.schema
        .createIndex('tool_calls_tool')
        .on('tool_calls')
        .columns(['workspace_id', 'livemode', 'tool_id', 'id'])
        .execute();
    },
  },
  '1471_tool_key_shown_once': {
    // The tool key is a secret: shown when it is made (the first read) or rotated, never again.
    async up(db) {
      await db.schema.alterTable('tool_settings').addColumn('signing_secret_shown_at', 'text').execute();
    },
  },
  '1472_tool_calls_started': {
    // A write call is recorded before its request leaves (status `started`), under a key a job
    // that runs again after a crash reuses: one row per key.
    async up(db) {
      await db.schema.alterTable('tool_calls').addColumn('call_key', 'text').execute();
      await db.schema
        .createIndex('tool_calls_key')
        .on('tool_calls')
        .columns(['workspace_id', 'livemode', 'call_key'])
        .unique()
        .where(sql.ref('call_key'), 'is not', null)
        .execute();
    },
  },
};
