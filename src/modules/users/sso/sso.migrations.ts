import type { ParleyMigration } from '../../../platform/db/migrate.ts';

export const ssoMigrations: Record<string, ParleyMigration> = {
  '0140_sso': {
    async up(db) {
      await db.schema
        .createTable('sso_settings')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('oidc_issuer_url', 'text')
        .addColumn('oidc_client_id', 'text')
        .addColumn('oidc_client_secret', 'text')
        .addColumn('allowed_email_domains', 'text', (c) => c.notNull())
        .addColumn('email_claim', 'text', (c) => c.notNull())
        .addColumn('role_claim', 'text')
        .addColumn('role_mapping', 'text', (c) => c.notNull())
        .addColumn('default_role', 'text', (c) => c.notNull())
        .addColumn('jit_provisioning', 'integer', (c) => c.notNull())
        .addColumn('sso_only', 'integer', (c) => c.notNull())
        .addColumn('break_glass_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sso_settings_pk', ['workspace_id', 'livemode'])
        .execute();
      await db.schema
        .createTable('sso_logins')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('secrets', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sso_logins_expiry').on('sso_logins').column('expires_at').execute();
      await db.schema
        .createTable('sso_handoffs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sso_handoffs_expiry').on('sso_handoffs').column('expires_at').execute();
    },
  },
  '0143_sso_saml': {
    async up(db) {
      await db.schema.alterTable('sso_settings').addColumn('saml_idp_entity_id', 'text').execute();
      await db.schema.alterTable('sso_settings').addColumn('saml_idp_sso_url', 'text').execute();
      await db.schema.alterTable('sso_settings').addColumn('saml_idp_certificate', 'text').execute();
      await db.schema
        .alterTable('sso_settings')
        .addColumn('saml_allow_idp_initiated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('sso_saml_assertions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sso_saml_assertions_expiry')
        .on('sso_saml_assertions')
        .column('expires_at')
        .execute();
    },
  },
};
