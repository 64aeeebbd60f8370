import type { ParleyMigration } from '../../platform/db/migrate.ts';
import { countColumns, recountRecipients } from './counts.ts';

export const campaignsMigrations: Record<string, ParleyMigration> = {
  '0960_campaigns': {
    async up(db) {
      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        // No foreign keys to agents, flows or audiences: a campaign keeps its history after they go.
        .addColumn('agent_id', 'text')
        .addColumn('voice_flow_id', 'text')
        .addColumn('template_name', 'text')
        .addColumn('template_language', 'text')
        .addColumn('template_variables', 'text')
        .addColumn('audience_id', 'text', (c) => c.notNull())
        .addColumn('from_address', 'text')
        .addColumn('start_at', 'text')
        .addColumn('end_at', 'text')
        .addColumn('windows', 'text')
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('retry_delay_minutes', 'integer', (c) => c.notNull())
        .addColumn('retry_on', 'text', (c) => c.notNull())
        .addColumn('calls_per_second', 'real', (c) => c.notNull())
        .addColumn('max_concurrency', 'integer')
        .addColumn('ignore_dnd', 'integer', (c) => c.notNull())
        .addColumn('dynamic_variables', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('expanded_at', 'text')
        .addColumn('pace_cursor', 'text')
        .addColumn('started_at', 'text')
        .addColumn('paused_at', 'text')
        .addColumn('canceled_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('campaigns_workspace')
        .on('campaigns')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createTable('campaign_recipients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('timezones', 'text', (c) => c.notNull())
        .addColumn('timezone_source', 'text', (c) => c.notNull())
        .addColumn('country', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text')
        .addColumn('claim_token', 'text')
        .addColumn('last_call_id', 'text')
        .addColumn('message_id', 'text')
        .addColumn('outcome', 'text')
        .addColumn('duration_seconds', 'integer')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        // Expansion is retried from the start; this makes a second pass add nothing.
        .addUniqueConstraint('campaign_recipients_contact', ['campaign_id', 'contact_id'])
        .execute();
      // The scheduling pass: due pending recipients of one campaign, oldest due first.
      await db.schema
        .createIndex('campaign_recipients_due')
        .on('campaign_recipients')
        .columns(['campaign_id', 'state', 'next_attempt_at', 'id'])
        .execute();
      await db.schema
        .createIndex('campaign_recipients_call')
        .on('campaign_recipients')
        .column('last_call_id')
        .execute();
      await db.schema
        .createIndex('campaign_recipients_claim')
        .on('campaign_recipients')
        .column('claim_token')
        .execute();
    },
  },
  '0961_campaigns_last_dial': {
    async up(db) {
      // The dial pace is kept per campaign on its row (see pace.ts), shared by every process.
      await db.schema.alterTable('campaigns').addColumn('last_dial_at', 'text').execute();
    },
  },
  '0962_campaign_counts': {
    async up(db) {
      // A campaign's stats are kept as counters, changed in the transaction that moves a
      // recipient, so reading them and counting free slots never scans the recipients.
      let table = db.schema
        .createTable('campaign_counts')
        .addColumn('campaign_id', 'text', (c) =>
          c.primaryKey().references('campaigns.id').onDelete('cascade'),
        );
      for (const col of countColumns)
        table = table.addColumn(col, 'integer', (c) => c.notNull().defaultTo(0));
      await table.execute();
      await db.schema
        .createTable('campaign_outcome_counts')
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_outcome_counts_pk', ['campaign_id', 'outcome'])
        .execute();
      const campaigns = await db.selectFrom('campaigns').select('id').execute();
      for (const { id } of campaigns) {
        const { counts, outcomes } = await recountRecipients(db, id);
        await db
          .insertInto('campaign_counts')
          .values({ campaign_id: id, ...counts })
          .execute();
        for (const [outcome, n] of Object.entries(outcomes))
          await db.insertInto('campaign_outcome_counts').values({ campaign_id: id, outcome, n }).execute();
      }
    },
  },
  '0963_campaign_recipients_claim_unindexed': {
    async up(db) {
      // A pass reads the rows it claimed from its update (RETURNING), never by claim token: the
      // index only slowed the writing of every recipient and every move.
      await db.schema.dropIndex('campaign_recipients_claim').execute();
    },
  },
  '0964_campaign_pace_cursor_on_counts': {
    async up(db) {
      // The pass moves its pace cursor with its counters (one update of the counts row): on the
      // campaign's row it waited for every dial under way, which holds that row while it places
      // its call (see pace.ts).
      await db.schema.alterTable('campaign_counts').addColumn('pace_cursor', 'text').execute();
      await db
        .updateTable('campaign_counts')
        .set((eb) => ({
          pace_cursor: eb
            .selectFrom('campaigns')
            .select('campaigns.pace_cursor')
            .whereRef('campaigns.id', '=', 'campaign_counts.campaign_id'),
        }))
        .execute();
    },
  },
};
