import { z } from 'zod';
import type { AuditLogTable } from '../../platform/audit.ts';
import type { AppContext } from '../../platform/context.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { describe, listQuery } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';

export const auditEntryObject = z.object({
  id: describe(z.string(), 'The entry.', 'alog_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('audit_log_entry'), 'The type of this object.', 'audit_log_entry'),
  actor: describe(
    z.object({
      type: describe(z.enum(['user', 'api_key', 'system']), 'Who acted.', 'user'),
      id: describe(
        z.string().nullable(),
        'The user or key (null for the system).',
        'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ),
    }),
    'Who did it.',
  ),
  action: describe(
    z.string(),
    '`auth.sign_in`, `auth.two_factor_failed`, or the operation called (`createApiKey`, `deleteApiKey`, `updateUser`, `eraseContact`, `assignConversation`, `setCsatSettings`...).',
    'createApiKey',
  ),
  object_type: describe(z.string().nullable(), 'The type of the object acted on.', 'api_key'),
  object_id: describe(z.string().nullable(), 'The object acted on.', 'key_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  ip: describe(z.string().nullable(), 'The client address.', '203.0.113.9'),
  details: describe(
    z.record(z.string(), z.unknown()),
    'The method, path and status of the call, and the like.',
    {
      method: 'POST',
      path: '/v1/api-keys',
      status: 201,
    },
  ),
  created_at: describe(z.string(), 'When.', '2026-11-25T09:00:00.000Z'),
});

export const auditLogQuery = listQuery({
  actor_id: describe(
    z.string().max(64),
    'Only what this user or key did.',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  action: describe(z.string().max(64), 'Only this action.', 'createApiKey').optional(),
  object_id: describe(
    z.string().max(64),
    'Only what was done to this object.',
    'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  since: describe(z.iso.datetime({ offset: true }), 'From this time on.', '2026-11-01T00:00:00Z').optional(),
  until: describe(z.iso.datetime({ offset: true }), 'Before this time.', '2026-12-01T00:00:00Z').optional(),
});

function presentEntry(row: AuditLogTable) {
  return {
    id: row.id,
    object: 'audit_log_entry' as const,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    object_type: row.object_type,
    object_id: row.object_id,
    ip: row.ip,
    details: fromJson<Record<string, unknown>>(row.details, {}),
    created_at: row.created_at,
  };
}

export function listAuditLog(
  ctx: AppContext,
  scope: Scope,
  filter: z.infer<typeof auditLogQuery>,
  page: PageRequest,
) {
  let q = tenant(ctx.db, scope).selectFrom('audit_log').selectAll().orderBy('id', 'desc');
  if (filter.actor_id) q = q.where('actor_id', '=', filter.actor_id);
  if (filter.action) q = q.where('action', '=', filter.action);
  if (filter.object_id) q = q.where('object_id', '=', filter.object_id);
  if (filter.since) q = q.where('created_at', '>=', new Date(filter.since).toISOString());
  if (filter.until) q = q.where('created_at', '<', new Date(filter.until).toISOString());
  return paginate(q, page, presentEntry);
}
