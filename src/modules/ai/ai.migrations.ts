import type { Kysely } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const aiMigrations: Record<string, ParleyMigration> = {
  '0530_ai': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('ai_replies')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('sources', 'text', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('answered', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('ai_replies_conversation')
        .on('ai_replies')
        .columns(['conversation_id', 'created_at'])
        .execute();
    },
  },
  /** The built-in agent's dialogue state after each reply (dialogue.ts): JSON, null for other engines. */
  '0531_ai_dialogue_state': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('ai_replies').addColumn('dialogue_state', 'text').execute();
    },
  },
  /** An LLM reply's model outcome (issue 60): the model that answered, those that failed first, retries. */
  '1474_ai_replies_model_outcome': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('ai_replies').addColumn('model_outcome', 'text').execute();
    },
  },
  /** What an LLM reply cost (issue 60): the answering model and its tokens in and out, for Reports. */
  '1475_ai_replies_tokens': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('ai_replies').addColumn('model', 'text').execute();
      await db.schema.alterTable('ai_replies').addColumn('input_tokens', 'integer').execute();
      await db.schema.alterTable('ai_replies').addColumn('output_tokens', 'integer').execute();
    },
  },
};
