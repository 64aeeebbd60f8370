import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';

/**
 * A visitor's stream: every message of their thread (theirs, the AI's, a person's) is kept as a
 * `widget_events` row and published on the bus, so every tab of theirs sees it live and a
 * reconnect replays what it missed after `Last-Event-ID`.
 */
export interface WidgetEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export const visitorChannel = (visitorId: string) => `parley:widget:${visitorId}`;
/** Where typing in a web conversation is told (a person in the inbox, or the AI writing a reply). */
export { typingChannel } from '../../platform/typing.ts';

/** Keeps an event for the visitor and publishes it (call after the write it tells of has committed). */
export async function appendEvent(
  ctx: AppContext,
  db: Db | Trx,
  visitorId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<WidgetEvent> {
  const event = { id: newId('wev'), type, data };
  await db
    .insertInto('widget_events')
    .values({
      id: event.id,
      visitor_id: visitorId,
      type,
      data: JSON.stringify(data),
      created_at: ctx.clock.now().toISOString(),
    })
    .execute();
  await ctx.bus.publish(visitorChannel(visitorId), JSON.stringify(event));
  return event;
}

/** The visitor's events after `afterId` (all of them without it), oldest first, `limit` at most. */
export async function eventsAfter(
  db: Db,
  visitorId: string,
  afterId: string | undefined,
  limit: number,
): Promise<WidgetEvent[]> {
  let q = db.selectFrom('widget_events').selectAll().where('visitor_id', '=', visitorId);
  if (afterId) q = q.where('id', '>', afterId);
  const rows = await q.orderBy('id', 'asc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
}
