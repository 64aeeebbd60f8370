import { sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const voiceMigrations: Record<string, ParleyMigration> = {
  '0900_calls': {
    async up(db) {
      await db.schema
        .createTable('calls')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('contact_id', 'text')
        .addColumn('agent_id', 'text')
        .addColumn('voice_flow_id', 'text')
        .addColumn('campaign_id', 'text')
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_call_id', 'text')
        .addColumn('from_address', 'text')
        .addColumn('to_address', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('answered_by', 'text')
        .addColumn('ended_reason', 'text')
        .addColumn('dynamic_variables', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text')
        .addColumn('ignore_dnd', 'integer', (c) => c.notNull())
        .addColumn('sandbox', 'text')
        .addColumn('transcript', 'text', (c) => c.notNull())
        .addColumn('recording_url', 'text')
        .addColumn('latency', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('duration_seconds', 'integer')
        .addColumn('queued_at', 'text', (c) => c.notNull())
        .addColumn('dialed_at', 'text')
        .addColumn('answered_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // The concurrency count: active calls of a workspace and mode.
      await db.schema
        .createIndex('calls_status')
        .on('calls')
        .columns(['workspace_id', 'livemode', 'status'])
        .execute();
      await db.schema
        .createIndex('calls_list')
        .on('calls')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      await db.schema
        .createIndex('calls_provider_call')
        .on('calls')
        .columns(['provider', 'provider_call_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('calls_campaign')
        .on('calls')
        .columns(['workspace_id', 'livemode', 'campaign_id'])
        .execute();
    },
  },
  // The active-calls gauge counts live calls of every workspace at each scrape: only those rows.
  '0910_calls_active': {
    async up(db) {
      await db.schema
        .createIndex('calls_active')
        .on('calls')
        .columns(['provider', 'direction'])
        .where(sql<boolean>`status in ('queued', 'dialing', 'ringing', 'in_progress')`)
        .execute();
    },
  },
  // Set while the call is being handed to another number: the carrier's "completed" callback for
  // a transferred call (on any process, maybe before the session records the transfer) reads it.
  '0911_calls_transfer_started': {
    async up(db) {
      await db.schema.alterTable('calls').addColumn('transfer_started_at', 'text').execute();
    },
  },
  // What came of the call (JSON analysis, as on conversations); null until computed.
  '0912_calls_analysis': {
    async up(db) {
      await db.schema.alterTable('calls').addColumn('analysis', 'text').execute();
    },
  },
  // Every live call's owner (the process holding its dial or session) and when that owner last
  // said it lives: calls whose owner is gone are ended by calls.owners.ts.
  '0915_calls_owner': {
    async up(db) {
      await db.schema.alterTable('calls').addColumn('owner', 'text').execute();
      await db.schema.alterTable('calls').addColumn('owner_seen_at', 'text').execute();
    },
  },
  // Liveness per process, not per call: a process renews one row every heartbeat instead of
  // writing `owner_seen_at` on each of its calls (500 calls made 250 row updates a second).
  '0916_call_owners': {
    async up(db) {
      await db.schema
        .createTable('call_owners')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // A process's audit of the calls stored as its own (calls.ownership.ts).
  '0917_calls_owner_index': {
    async up(db) {
      await db.schema.createIndex('calls_owner').on('calls').columns(['owner', 'status']).execute();
    },
  },
};
