import { sql } from 'kysely';
import type { Db, Dialect, Trx } from './db/database.ts';
import type { ParleyMigration } from './db/migrate.ts';
import type { AnyRoute, Auth } from './http/route.ts';
import { newId } from './ids.ts';
import { toJson } from './json.ts';

/**
 * The audit log: who (a user, a key, the system) did what to which object, from which address.
 * Append-only: rows are only ever inserted (the database refuses an UPDATE); retention deletes
 * old ones. Read with `GET /v1/audit-log` (admins).
 */
export interface AuditLogTable {
  id: string;
  workspace_id: string;
  livemode: number;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  /** What was done: `auth.sign_in`, or the operation (`createApiKey`, `updateUser`, `eraseContact`...). */
  action: string;
  object_type: string | null;
  object_id: string | null;
  ip: string | null;
  /** JSON: the HTTP method and path, the answer's status, what else is worth keeping. */
  details: string;
  created_at: string;
}

declare module './db/schema.ts' {
  interface Database {
    audit_log: AuditLogTable;
  }
}

export interface AuditEntry {
  workspaceId: string;
  livemode: boolean;
  actor: { type: AuditLogTable['actor_type']; id: string | null };
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
  at: string;
}

export async function recordAudit(db: Db | Trx, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('alog'),
      workspace_id: e.workspaceId,
      livemode: e.livemode ? 1 : 0,
      actor_type: e.actor.type,
      actor_id: e.actor.id,
      action: e.action,
      object_type: e.objectType ?? null,
      object_id: e.objectId ?? null,
      ip: e.ip ?? null,
      details: toJson(e.details ?? {}),
      created_at: e.at,
    })
    .execute();
}

/**
 * Resources whose every change is audited: keys, people, roles, channels, webhooks, agents and
 * their knowledge, settings, the business's tools and secrets (a tool reaches the business's own
 * APIs, and its settings can open the private network to them), and the person-level acts only
 * admins may do (erasing, merging: `privacy:*`).
 */
const AUDITED_RESOURCES = new Set([
  'api_keys',
  'users',
  'teams',
  'channels',
  'webhooks',
  'agents',
  'knowledge',
  'settings',
  'templates',
  'voice_flows',
  'tools',
  'secrets',
  'privacy',
]);
/** Changes of other resources that are audited too: assignments, and a person's second factor. */
const AUDITED_ROUTES: Array<[string, RegExp]> = [
  ['POST', /\/assign$/],
  ['POST', /^\/v1\/conversations\/bulk$/],
  ['POST', /^\/v1\/me\/two-factor\/(confirm|disable)$/],
];

/**
 * Whether a successful call of this route is written to the audit log. Reads are not: a GET, or a
 * POST whose scope only reads (a search, an agent's playground), unless the route asks (`audit`).
 * `test/platform/audit-coverage.test.ts` walks every write route of openapi.json against this.
 */
export function audited(route: AnyRoute): boolean {
  if (route.audit) return true;
  if (route.auth !== 'key' || route.method === 'GET') return false;
  if (AUDITED_ROUTES.some(([method, path]) => method === route.method && path.test(route.path))) return true;
  const [resource, access] = String(route.scope ?? '').split(':');
  return AUDITED_RESOURCES.has(resource!) && access !== 'read';
}

export function auditActor(auth: Auth): AuditEntry['actor'] {
  return { type: auth.kind === 'user' ? 'user' : 'api_key', id: auth.principalId };
}

export const auditMigration: ParleyMigration = {
  async up(db, dialect: Dialect) {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
      .addColumn('livemode', 'integer', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('object_type', 'text')
      .addColumn('object_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_scope_id')
      .on('audit_log')
      .columns(['workspace_id', 'livemode', 'id'])
      .execute();
    // Append-only: the database itself refuses to change a row.
    if (dialect === 'sqlite')
      await sql`create trigger audit_log_append_only before update on audit_log
        begin select raise(abort, 'the audit log is append-only'); end`.execute(db);
    else {
      await sql`create function audit_log_append_only() returns trigger language plpgsql as
        $$ begin raise exception 'the audit log is append-only'; end $$`.execute(db);
      await sql`create trigger audit_log_append_only before update on audit_log
        for each row execute function audit_log_append_only()`.execute(db);
    }
  },
};
