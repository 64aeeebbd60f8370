import type { ParleyMigration } from '../../platform/db/migrate.ts';

/** Canned responses, macros, automations (with their runs) and CSAT settings (range 1020-1049). */
export const teamtoolsMigrations: Record<string, ParleyMigration> = {
  '1020_canned_responses': {
    async up(db) {
      await db.schema
        .createTable('canned_responses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('short_code', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // One short code per workspace and mode: a second one is a 409.
      await db.schema
        .createIndex('canned_responses_code')
        .on('canned_responses')
        .columns(['workspace_id', 'livemode', 'short_code'])
        .unique()
        .execute();
    },
  },
  '1021_macros_automations': {
    async up(db) {
      for (const table of ['macros', 'automations'] as const) {
        let t = db.schema
          .createTable(table)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('workspace_id', 'text', (c) =>
            c.notNull().references('workspaces.id').onDelete('cascade'),
          )
          .addColumn('livemode', 'integer', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('actions', 'text', (c) => c.notNull());
        if (table === 'automations')
          t = t
            .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
            .addColumn('event', 'text', (c) => c.notNull())
            .addColumn('conditions', 'text', (c) => c.notNull());
        await t
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex(`${table}_workspace`)
          .on(table)
          .columns(['workspace_id', 'livemode', 'id'])
          .execute();
      }
      // One run per automation and event: what makes an automated message go out at most once.
      await db.schema
        .createTable('automation_runs')
        .addColumn('automation_id', 'text', (c) =>
          c.notNull().references('automations.id').onDelete('cascade'),
        )
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('next_action', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('results', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('automation_runs_pk', ['automation_id', 'event_id'])
        .execute();
    },
  },
  '1022_csat': {
    async up(db) {
      // CSAT settings of a workspace (agent_id '') or of one agent (its override).
      await db.schema
        .createTable('csat_settings')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('question', 'text', (c) => c.notNull())
        .addColumn('scale', 'integer', (c) => c.notNull())
        .addColumn('send_on', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('csat_settings_pk', ['workspace_id', 'livemode', 'agent_id'])
        .execute();
      // Each question asked (one per resolve), its answer, or why it was not sent.
      await db.schema
        .createTable('csat_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('skip_reason', 'text')
        .addColumn('token', 'text', (c) => c.notNull().unique())
        .addColumn('score', 'integer')
        .addColumn('comment', 'text')
        .addColumn('answered_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('csat_requests_conversation')
        .on('csat_requests')
        .columns(['conversation_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('csat_requests_workspace')
        .on('csat_requests')
        .columns(['workspace_id', 'livemode', 'status', 'answered_at'])
        .execute();
    },
  },
  '1030_csat_requests_contact': {
    async up(db) {
      // The inbox's contact panel lists a contact's answers.
      await db.schema
        .createIndex('csat_requests_contact')
        .on('csat_requests')
        .columns(['contact_id', 'answered_at'])
        .execute();
    },
  },
  '1035_automation_starts_in': {
    // booking.starts_in: how many minutes before a booking's start the automation runs.
    async up(db) {
      await db.schema.alterTable('automations').addColumn('minutes', 'integer').execute();
    },
  },
};
