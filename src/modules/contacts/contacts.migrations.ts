import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const contactsMigrations: Record<string, ParleyMigration> = {
  '0100_contacts': {
    async up(db) {
      await db.schema
        .createTable('contacts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('name', 'text')
        .addColumn('email', 'text')
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('dnd', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('opted_out', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // NULL phones never collide on either storage, so email-only contacts are allowed.
      await db.schema
        .createIndex('contacts_phone_unique')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'phone'])
        .unique()
        .execute();
      await db.schema
        .createIndex('contacts_email')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'email'])
        .execute();
      await db.schema
        .createIndex('contacts_list')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
  // WhatsApp's business-scoped user id (BSUID): the key of a customer who hides their number
  // behind a username (Meta's 2026 change), unique per workspace and mode like phones.
  // A contact merged into another (POST /v1/contacts/{id}/merge) is kept as the record of the
  // merge, holding the rows that could not move; it is never listed, found or reached again.
  '0103_contact_merged_into': {
    async up(db) {
      await db.schema.alterTable('contacts').addColumn('merged_into', 'text').execute();
      await db.schema.alterTable('contacts').addColumn('merged_at', 'text').execute();
    },
  },
  '0102_contact_whatsapp_user_id': {
    async up(db) {
      await db.schema.alterTable('contacts').addColumn('whatsapp_user_id', 'text').execute();
      await db.schema
        .createIndex('contacts_whatsapp_user_id_unique')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'whatsapp_user_id'])
        .unique()
        .execute();
    },
  },
  // The consent ledger: every consent change per contact, channel and purpose with its source
  // (append-only, erased as a whole on request); the contact's stopped purposes kept on its row
  // (`consent_stops`, a JSON list of "channel:purpose") so sends check them without a look-up.
  '0105_contact_consent_ledger': {
    async up(db) {
      await db.schema
        .createTable('contact_consents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        // No foreign key: the fact that a contact's consents were erased outlives the contact.
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contact_consents_contact')
        .on('contact_consents')
        .columns(['workspace_id', 'livemode', 'contact_id', 'id'])
        .execute();
      await db.schema.alterTable('contacts').addColumn('consent_stops', 'text').execute();
    },
  },
  // Telegram's chat id of a customer's private chat with a bot, unique per workspace and mode
  // like the Meta ids (the only key Telegram gives for a customer).
  '0108_contact_telegram_chat_id': {
    async up(db) {
      await db.schema.alterTable('contacts').addColumn('telegram_chat_id', 'text').execute();
      await db.schema
        .createIndex('contacts_telegram_chat_id_unique')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'telegram_chat_id'])
        .unique()
        .execute();
    },
  },
  // Messenger's page-scoped id (PSID) and Instagram's scoped id (IGSID) of a customer, each
  // unique per workspace and mode, like `whatsapp_user_id`: the only keys Meta gives for them.
  '0109_contact_messenger_instagram_ids': {
    async up(db) {
      await db.schema.alterTable('contacts').addColumn('messenger_psid', 'text').execute();
      await db.schema.alterTable('contacts').addColumn('instagram_igsid', 'text').execute();
      await db.schema
        .createIndex('contacts_messenger_psid_unique')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'messenger_psid'])
        .unique()
        .execute();
      await db.schema
        .createIndex('contacts_instagram_igsid_unique')
        .on('contacts')
        .columns(['workspace_id', 'livemode', 'instagram_igsid'])
        .unique()
        .execute();
    },
  },
};
