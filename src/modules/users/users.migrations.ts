import type { ParleyMigration } from '../../platform/db/migrate.ts';

export const usersMigrations: Record<string, ParleyMigration> = {
  '0130_users': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('users_email_unique')
        .on('users')
        .columns(['workspace_id', 'livemode', 'email'])
        .unique()
        .execute();
      // Sign-in looks a user up by email alone, across workspaces.
      await db.schema.createIndex('users_email').on('users').column('email').execute();

      await db.schema
        .createTable('teams')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('teams_workspace')
        .on('teams')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();

      await db.schema
        .createTable('team_members')
        .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
        .execute();
      await db.schema.createIndex('team_members_user').on('team_members').column('user_id').execute();
    },
  },
  '0131_user_session_version': {
    async up(db) {
      await db.schema
        .alterTable('users')
        .addColumn('session_version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  '0132_login_throttle': {
    async up(db) {
      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', 'text', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text')
        .execute();
      await db.schema
        .createIndex('login_throttle_window')
        .on('login_throttle')
        .column('window_started_at')
        .execute();
    },
  },
  '0135_availability_routing': {
    // Availability (set by hand; null: from presence), capacity, teams' assignment rules, and the
    // presence of users with the inbox open (one row per process, expiring unless refreshed).
    async up(db) {
      await db.schema.alterTable('users').addColumn('availability', 'text').execute();
      await db.schema.alterTable('users').addColumn('max_open_conversations', 'integer').execute();
      await db.schema
        .alterTable('teams')
        .addColumn('assignment', 'text', (c) => c.notNull().defaultTo('{"mode":"manual","only_online":true}'))
        .execute();
      await db.schema.alterTable('teams').addColumn('rr_cursor', 'text').execute();
      await db.schema
        .createTable('user_presence')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('process_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_presence_pk', ['user_id', 'process_id'])
        .execute();
    },
  },
  '0137_users_sessions_two_factor': {
    async up(db) {
      await db.schema
        .createTable('user_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('user_sessions_user').on('user_sessions').column('user_id').execute();
      await db.schema
        .createTable('user_two_factor')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled_at', 'text')
        .addColumn('last_step', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('recovery_codes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('auth_settings')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('require_two_factor', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('auth_settings_pk', ['workspace_id', 'livemode'])
        .execute();
    },
  },
  '0145_roles': {
    async up(db) {
      await db.schema
        .createTable('roles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) => c.notNull())
        .addColumn('mask_contact_details', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('roles_workspace')
        .on('roles')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
      // Users of a role: a role in use is not deleted.
      await db.schema
        .createIndex('users_role')
        .on('users')
        .columns(['workspace_id', 'livemode', 'role'])
        .execute();
    },
  },
  '0146_scim': {
    async up(db) {
      await db.schema
        .alterTable('users')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
      await db.schema
        .createTable('scim_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('scim_tokens_workspace')
        .on('scim_tokens')
        .columns(['workspace_id', 'livemode', 'id'])
        .execute();
    },
  },
};
