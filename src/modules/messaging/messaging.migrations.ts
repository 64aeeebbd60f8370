import { sql } from 'kysely';
import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const messagingMigrations: Record<string, ParleyMigration> = {
  '0220_messaging': {
    async up(db) {
      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('sender_type', 'text', (c) => c.notNull())
        .addColumn('sender_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('template', 'text')
        .addColumn('media', 'text')
        .addColumn('interactive', 'text')
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('from_address', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('provider_message_id', 'text')
        .addColumn('reply_to_provider_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('queued_at', 'text')
        .addColumn('sent_at', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('read_at', 'text')
        .addColumn('failed_at', 'text')
        .execute();
      // A provider's message id is stored once per channel: redelivered webhooks are no-ops.
      await db.schema
        .createIndex('messages_provider_id')
        .on('messages')
        .columns(['channel_id', 'provider_message_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('messages_conversation')
        .on('messages')
        .columns(['conversation_id', 'id'])
        .execute();

      await db.schema
        .createTable('templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('header', 'text')
        .addColumn('buttons', 'text')
        .addColumn('footer', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('templates_name')
        .on('templates')
        .columns(['workspace_id', 'livemode', 'name', 'language'])
        .unique()
        .execute();
    },
  },
  // Files that came with customer messages (email attachments), kept so nothing a customer
  // sent is lost; served by GET /v1/messages/{id}/media.
  '0221_message_attachments': {
    async up(db) {
      await db.schema
        .createTable('message_attachments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('filename', 'text')
        .addColumn('mime_type', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('content_id', 'text')
        .addColumn('content_base64', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('message_attachments_message')
        .on('message_attachments')
        .columns(['message_id', 'position'])
        .execute();
    },
  },
  // A provider's status for a message whose send has not yet stored the provider's id (the
  // webhook raced the send's answer): kept here and applied when the id is stored.
  '0222_early_provider_statuses': {
    async up(db) {
      await db.schema
        .createTable('early_provider_statuses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('early_provider_statuses_message')
        .on('early_provider_statuses')
        .columns(['channel_id', 'provider_message_id'])
        .execute();
    },
  },
  // Sample values for a template's placeholders, which Meta's review requires.
  '0223_template_examples': {
    async up(db) {
      await db.schema.alterTable('templates').addColumn('examples', 'text').execute();
    },
  },
  // When the send job handed a queued message to its provider, written (and committed) before
  // the provider call: a message found still queued with it set was handed over by a run that
  // died before recording the answer, so it is failed "outcome unknown", never sent again.
  '0224_message_send_started': {
    async up(db) {
      await db.schema.alterTable('messages').addColumn('send_started_at', 'text').execute();
    },
  },
  // A customer's edit or deletion of a message they sent (WhatsApp `edit` / `revoke`), applied to it.
  '0228_message_edited_deleted': {
    async up(db) {
      await db.schema.alterTable('messages').addColumn('edited_at', 'text').execute();
      await db.schema.alterTable('messages').addColumn('deleted_at', 'text').execute();
    },
  },
  // Template sync with a WhatsApp Business Account: Meta's template id and quality rating.
  '0226_template_sync_quality': {
    async up(db) {
      await db.schema.alterTable('templates').addColumn('provider_template_id', 'text').execute();
      await db.schema.alterTable('templates').addColumn('quality', 'text').execute();
      await db.schema.alterTable('templates').addColumn('synced_at', 'text').execute();
    },
  },
  // Full-text search over every message (GET /v1/search). SQLite: an FTS5 index over `messages`
  // kept by triggers (so an edit, a deletion or an erasure leaves nothing behind in the index);
  // unicode61 keeps Devanagari's vowel signs inside words and folds Latin accents. PostgreSQL: a
  // GIN index on a stored tsvector of the 'simple' configuration (no stemming: Hinglish and Hindi
  // words are not English; accents folded). The column is generated: an edit or an erasure of the
  // text changes it in the same statement. It is PostgreSQL's alone and absent from MessagesTable.
  '0229_message_search': {
    async up(db, dialect) {
      if (dialect === 'sqlite') {
        await sql`CREATE VIRTUAL TABLE message_fts USING fts5(text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2')`.execute(
          db,
        );
        await sql`CREATE TRIGGER message_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL BEGIN
          INSERT INTO message_fts(rowid, text) VALUES (new.rowid, new.text); END`.execute(db);
        await sql`CREATE TRIGGER message_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL BEGIN
          INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON messages BEGIN
          INSERT INTO message_fts(message_fts, rowid, text) SELECT 'delete', old.rowid, old.text WHERE old.text IS NOT NULL;
          INSERT INTO message_fts(rowid, text) SELECT new.rowid, new.text WHERE new.text IS NOT NULL; END`.execute(
          db,
        );
        await sql`INSERT INTO message_fts(rowid, text) SELECT rowid, text FROM messages WHERE text IS NOT NULL`.execute(
          db,
        );
        return;
      }
      // 'simple' with accents folded by unaccent (a trusted extension since PostgreSQL 13) when the
      // server has it: "cafe" finds "Café" as on SQLite.
      const unaccent = await sql`select 1 from pg_available_extensions where name = 'unaccent'`.execute(db);
      await sql`CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = simple)`.execute(db);
      if (unaccent.rows.length > 0) {
        await sql`CREATE EXTENSION IF NOT EXISTS unaccent`.execute(db);
        await sql`ALTER TEXT SEARCH CONFIGURATION parley_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple`.execute(
          db,
        );
      }
      // A stored column, so the index's recheck and the ranking read the words instead of parsing the
      // text again (30 µs a message): a common word is found by walking the newest messages.
      await sql`ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('parley_search', coalesce(text, ''))) STORED`.execute(
        db,
      );
      await sql`CREATE INDEX messages_search ON messages USING gin (search_tsv)`.execute(db);
    },
  },
  // Retention deletes a workspace's oldest messages a batch at a time (messaging.retention.ts).
  '0230_messages_retention_order': {
    async up(db) {
      await db.schema
        .createIndex('messages_workspace_created')
        .on('messages')
        .columns(['workspace_id', 'created_at'])
        .execute();
    },
  },
  // India payments (order_details): the orders and every payment webhook (interactive payments).
  '1830_payment_orders': {
    async up(db) {
      await db.schema
        .createTable('payment_orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('reference_id', 'text', (c) => c.notNull())
        .addColumn('payment_status', 'text', (c) => c.notNull())
        .addColumn('order_status', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('total_value', 'integer', (c) => c.notNull())
        .addColumn('total_offset', 'integer', (c) => c.notNull())
        .addColumn('transaction', 'text')
        .addColumn('paid_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('payment_orders_reference')
        .on('payment_orders')
        .columns(['workspace_id', 'livemode', 'reference_id'])
        .unique()
        .execute();
      await db.schema
        .createTable('payment_updates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('reference_id', 'text')
        .addColumn('order_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('payment_updates_reference')
        .on('payment_updates')
        .columns(['workspace_id', 'livemode', 'reference_id'])
        .execute();
    },
  },
  // Meta's pricing of each outbound message (status webhooks), with the market and category as
  // columns the costs report groups by (docs/reports.md, "Costs").
  '0236_message_pricing': {
    async up(db) {
      for (const col of [
        'pricing',
        'pricing_category',
        'pricing_model',
        'pricing_market',
        'pricing_conversation_id',
      ])
        await db.schema.alterTable('messages').addColumn(col, 'text').execute();
      await db.schema.alterTable('messages').addColumn('pricing_billable', 'integer').execute();
      await db.schema.alterTable('early_provider_statuses').addColumn('pricing', 'text').execute();
    },
  },
  // A thread's count (`workspace_id = ? AND livemode = ? AND conversation_id = ?`) on SQLite,
  // which keeps no statistics, walked messages_workspace_created over every message of the
  // workspace instead of messages_conversation: 386 ms a request at 1,000,000 messages. Retention
  // reads the oldest messages by time alone (a workspace's own are filtered on the way).
  '0237_messages_created': {
    async up(db) {
      await db.schema.dropIndex('messages_workspace_created').execute();
      await db.schema.createIndex('messages_created').on('messages').column('created_at').execute();
    },
  },
  // SQLite: the terms of the search index, one row per occurrence, read a row at a time (search.ts
  // seeks it to list the words a typed prefix stands for; an FTS5 prefix query would first merge
  // the whole posting list of every such word: 35 ms for a word in half of 1,000,000 messages).
  '0239_message_search_terms': {
    async up(db, dialect) {
      if (dialect !== 'sqlite') return;
      await sql`CREATE VIRTUAL TABLE message_fts_terms USING fts5vocab(message_fts, 'instance')`.execute(db);
    },
  },
  // SQLite: a message's words leave the search index's pages when it is deleted or redacted (an
  // erasure, retention), instead of staying in older index segments until a merge rewrites them.
  '0240_message_search_secure_delete': {
    async up(db, dialect) {
      if (dialect !== 'sqlite') return;
      await sql`INSERT INTO message_fts(message_fts, rank) VALUES ('secure-delete', 1)`.execute(db);
    },
  },
  // Order, invoice and ticket numbers ("GF-77341", "INV-2026-001", "A/55/9", "v2.3.1") are found
  // whole, joined ("gf77341") and by their parts (platform/db/search-text.ts). Both indexes are
  // rebuilt over every existing message.
  // SQLite: the index holds `parley_search_text(text)` (the text and its codes joined, a function
  // registered on each connection), no longer `messages.text`, so it becomes contentless. A message
  // leaves it by FTS5's 'delete' with the same `parley_search_text(text)` (secure-delete then takes
  // its words out of the index's pages; a `contentless_delete` table would leave them there): a
  // change to that function needs a migration rebuilding the index, as this one does.
  // PostgreSQL: `parley_search_text` splits codes at their separators (the parser kept "GF-77341" as
  // `gf` and the negative number `-77341`, "A/55/9" as a file path) and appends them joined; the
  // generated column is dropped and added again with it, which rewrites the messages table (an
  // exclusive lock for as long as that takes; not measured at scale).
  '0241_message_search_codes': {
    async up(db, dialect) {
      if (dialect === 'sqlite') {
        for (const trigger of ['message_fts_insert', 'message_fts_delete', 'message_fts_update'])
          await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
        await sql`DROP TABLE message_fts_terms`.execute(db);
        await sql`DROP TABLE message_fts`.execute(db);
        await sql`CREATE VIRTUAL TABLE message_fts USING fts5(text, content = '', tokenize = 'unicode61 remove_diacritics 2')`.execute(
          db,
        );
        await sql`INSERT INTO message_fts(message_fts, rank) VALUES ('secure-delete', 1)`.execute(db);
        await sql`CREATE VIRTUAL TABLE message_fts_terms USING fts5vocab(message_fts, 'instance')`.execute(
          db,
        );
        await sql`CREATE TRIGGER message_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL BEGIN
          INSERT INTO message_fts(rowid, text) VALUES (new.rowid, parley_search_text(new.text)); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER message_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL BEGIN
          INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.rowid, parley_search_text(old.text)); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON messages BEGIN
          INSERT INTO message_fts(message_fts, rowid, text) SELECT 'delete', old.rowid, parley_search_text(old.text) WHERE old.text IS NOT NULL;
          INSERT INTO message_fts(rowid, text) SELECT new.rowid, parley_search_text(new.text) WHERE new.text IS NOT NULL; END`.execute(
          db,
        );
        await sql`INSERT INTO message_fts(rowid, text) SELECT rowid, parley_search_text(text) FROM messages WHERE text IS NOT NULL`.execute(
          db,
        );
        return;
      }
      await sql`CREATE FUNCTION parley_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT regexp_replace(t, '[-/._]', ' ', 'g') || coalesce(E'\n' || (
          SELECT string_agg(regexp_replace(m[1], '[-/._]', '', 'g'), ' ')
          FROM regexp_matches(t, '([A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)+)', 'g') AS m
          WHERE m[1] ~ '[0-9]'), '')
      $$`.execute(db);
      await sql`ALTER TABLE messages DROP COLUMN search_tsv`.execute(db);
      await sql`ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('parley_search', parley_search_text(coalesce(text, '')))) STORED`.execute(
        db,
      );
      await sql`CREATE INDEX messages_search ON messages USING gin (search_tsv)`.execute(db);
    },
  },
};
