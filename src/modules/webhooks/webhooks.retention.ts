import type { AppContext } from '../../platform/context.ts';
import { inScope } from '../../platform/db/scope.ts';
import type { RetentionBatch } from '../../platform/retention.ts';

/**
 * Deliveries older than the workspace's `deliveries_days` (sooner than the 30 days kept for
 * everyone), with their receivers' answers and attempt logs. One still retrying stays until it ends.
 */
export async function purgeOldDeliveries(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  const r = await ctx.db
    .deleteFrom('webhook_deliveries')
    .where(
      'id',
      'in',
      ctx.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where(inScope(batch))
        .where('created_at', '<', batch.before)
        .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
        .orderBy('created_at')
        .limit(batch.limit),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
