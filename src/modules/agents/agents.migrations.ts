import { sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const agentsMigrations: Record<string, ParleyMigration> = {
  '0500_agents': {
    async up(db) {
      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('phone_number', 'text')
        .addColumn('instructions', 'text', (c) => c.notNull())
        .addColumn('greeting', 'text')
        .addColumn('languages', 'text', (c) => c.notNull())
        .addColumn('model_provider', 'text', (c) => c.notNull())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('model_base_url', 'text')
        .addColumn('model_api_key', 'text')
        .addColumn('tools', 'text', (c) => c.notNull())
        .addColumn('handoff', 'text', (c) => c.notNull())
        .addColumn('business', 'text', (c) => c.notNull())
        .addColumn('lead_fields', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('agents_workspace')
        .on('agents')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      // A number picks one agent (sandbox `to`, channel binding): unique among agents not deleted.
      await db.schema
        .createIndex('agents_phone_unique')
        .on('agents')
        .columns(['workspace_id', 'livemode', 'phone_number'])
        .unique()
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
    },
  },
  // An agent's voice settings for calls (JSON; engine keys sealed), null until set.
  '0501_agents_voice': {
    async up(db) {
      await db.schema.alterTable('agents').addColumn('voice', 'text').execute();
    },
  },
  // An agent's analysis plan (JSON `{summary, structured, success_criteria}`), null: the defaults.
  '0505_agents_analysis': {
    async up(db) {
      await db.schema.alterTable('agents').addColumn('analysis', 'text').execute();
    },
  },
  '0506_agent_handoff_policy': {
    // The agent's own handoff policy (null: the workspace's), over the workspace default.
    async up(db) {
      await db.schema.alterTable('agents').addColumn('handoff_policy', 'text').execute();
    },
  },
  // `languages` is read now (the reply is in the customer's language when the agent speaks it).
  // Until now every agent answered Hinglish in Hinglish whatever it held, and the default was
  // ["en"]: agents still on that default keep answering as they did.
  '0507_agent_languages_read': {
    async up(db) {
      await db
        .updateTable('agents')
        .set({ languages: '["en","hi"]' })
        .where('languages', '=', '["en"]')
        .execute();
    },
  },
  // Nobody unseen: the default handoff after unanswered messages went from 2 to 1, so a customer who
  // writes once and gets "I don't have that information" is offered a person and queued at once.
  // Agents still on the old default move with it (set `handoff.max_unanswered` back to keep 2).
  '0508_agent_offer_person_first_miss': {
    async up(db) {
      const rows = await db.selectFrom('agents').select(['id', 'handoff']).execute();
      for (const row of rows) {
        const handoff = JSON.parse(row.handoff) as { max_unanswered?: number };
        if (handoff.max_unanswered !== 2) continue;
        handoff.max_unanswered = 1;
        await db
          .updateTable('agents')
          .set({ handoff: JSON.stringify(handoff) })
          .where('id', '=', row.id)
          .execute();
      }
    },
  },
  // The model's tool calling mode, time budget and fallback chain (issue 60), null: the defaults.
  '1473_agents_model_options': {
    async up(db) {
      await db.schema.alterTable('agents').addColumn('model_options', 'text').execute();
    },
  },
  // What a booking needs first (`{require_contact}`), null: the defaults (a web visitor's name and a phone or email).
  '1474_agents_booking': {
    async up(db) {
      await db.schema.alterTable('agents').addColumn('booking', 'text').execute();
    },
  },
};
