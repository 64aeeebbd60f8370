import type { AppContext } from '../../platform/context.ts';
import { inScope } from '../../platform/db/scope.ts';
import type { RetentionBatch } from '../../platform/retention.ts';

/**
 * Messages older than the workspace's `messages_days`, oldest first, a batch at a time: their
 * attachments (the files Parley kept) and the rows. The search index follows the rows (SQLite's
 * `message_fts` through its delete trigger, PostgreSQL's `search_tsv` is a column of the row).
 * Reports keep their counts: they are read from conversation facts, not from messages.
 */
export async function purgeOldMessages(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  return ctx.transaction(async (tx) => {
    const rows = await tx.db
      .selectFrom('messages')
      .select('id')
      .where(inScope(batch))
      .where('created_at', '<', batch.before)
      .orderBy('created_at')
      .limit(batch.limit)
      .execute();
    if (!rows.length) return 0;
    const ids = rows.map((r) => r.id);
    await tx.db.deleteFrom('message_attachments').where('message_id', 'in', ids).execute();
    await tx.db.deleteFrom('messages').where('id', 'in', ids).execute();
    return ids.length;
  });
}
