import type { AppContext } from '../../platform/context.ts';
import { inScope, tenant } from '../../platform/db/scope.ts';
import { notFound } from '../../platform/errors.ts';
import { eventFromRow, type ParleyEvent } from '../../platform/events.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import type { RetentionBatch } from '../../platform/retention.ts';

/** Events are kept this long, then purged by the worker. */
export const EVENT_RETENTION_MS = 30 * 86_400_000;

/** The event as integrators see it everywhere: `GET /v1/events`, the stream and webhook bodies. */
export function presentEvent(e: ParleyEvent) {
  return {
    id: e.id,
    object: 'event' as const,
    event: e.event,
    timestamp: e.timestamp,
    api_version: e.api_version,
    workspace_id: e.workspace_id,
    livemode: e.livemode,
    actor: e.actor,
    data: e.data,
  };
}

export interface EventFilters {
  type?: string[];
  object_id?: string;
  created_after?: string;
  created_before?: string;
}

export async function listEvents(ctx: AppContext, auth: Auth, page: PageRequest, filters: EventFilters) {
  let query = tenant(ctx.db, auth).selectFrom('events').selectAll().orderBy('id', 'desc');
  if (filters.type?.length) query = query.where('type', 'in', filters.type);
  if (filters.object_id) query = query.where('object_id', '=', filters.object_id);
  if (filters.created_after) query = query.where('created_at', '>', filters.created_after);
  if (filters.created_before) query = query.where('created_at', '<', filters.created_before);
  return paginate(query, page, (row) => presentEvent(eventFromRow(row)));
}

export async function getEvent(ctx: AppContext, auth: Auth, id: string) {
  const row = await tenant(ctx.db, auth)
    .selectFrom('events')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('event', id);
  return presentEvent(eventFromRow(row));
}

/** Events of one workspace and mode after `afterId`, oldest first (ids sort by time). */
export async function eventsAfter(
  ctx: AppContext,
  workspaceId: string,
  livemode: boolean,
  afterId: string,
  limit: number,
) {
  const rows = await tenant(ctx.db, { workspaceId, livemode })
    .selectFrom('events')
    .selectAll()
    .where('id', '>', afterId)
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
  return rows.map(eventFromRow);
}

export async function purgeEvents(ctx: AppContext): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - EVENT_RETENTION_MS).toISOString();
  const r = await ctx.db.deleteFrom('events').where('created_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Events older than the workspace's `events_days` (sooner than the 30 days kept for everyone). */
export async function purgeWorkspaceEvents(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  const r = await ctx.db
    .deleteFrom('events')
    .where(
      'id',
      'in',
      ctx.db
        .selectFrom('events')
        .select('id')
        .where(inScope(batch))
        .where('created_at', '<', batch.before)
        .orderBy('created_at')
        .limit(batch.limit),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
