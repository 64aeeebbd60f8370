import type { AppContext } from '../../platform/context.ts';
import { inScope, tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';
import type { RetentionBatch } from '../../platform/retention.ts';

/**
 * The person's website visitors go, with what their streams replay (message texts and file names),
 * their sends' idempotency keys and their sessions (a browser still holding a token starts anew).
 */
export async function eraseVisitors(ctx: AppContext, subject: ErasureSubject) {
  await ctx.transaction(async (tx) => {
    const visitors = await tenant(tx.db, subject)
      .selectFrom('widget_visitors')
      .select('id')
      .where('contact_id', '=', subject.contactId)
      .execute();
    const ids = visitors.map((v) => v.id);
    if (!ids.length) return;
    await tx.db.deleteFrom('widget_events').where('visitor_id', 'in', ids).execute();
    await tx.db.deleteFrom('widget_sends').where('visitor_id', 'in', ids).execute();
    await tx.db.deleteFrom('widget_sessions').where('visitor_id', 'in', ids).execute();
    await tx.db.deleteFrom('widget_visitors').where('id', 'in', ids).execute();
  });
}

/**
 * Stream events older than the workspace's `messages_days` (they repeat the messages' text for
 * replay after a reconnect, which never reaches back days), a batch at a time.
 */
export async function purgeOldWidgetEvents(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  return ctx.transaction(async (tx) => {
    const rows = await tx.db
      .selectFrom('widget_events as e')
      .innerJoin('widget_visitors as v', 'v.id', 'e.visitor_id')
      .select('e.id')
      .where(inScope(batch, 'v'))
      .where('e.created_at', '<', batch.before)
      .orderBy('e.id')
      .limit(batch.limit)
      .execute();
    if (!rows.length) return 0;
    await tx.db
      .deleteFrom('widget_events')
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.length;
  });
}
