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
    let q = tx.db
      .selectFrom('messages')
      .select(['id', 'created_at'])
      .where(inScope(batch))
      .where('created_at', '<', batch.before)
      .orderBy('created_at')
      .limit(batch.limit);
    // From where the last batch stopped (`>=`: messages of that same instant may be left).
    if (batch.after) q = q.where('created_at', '>=', batch.after);
    const rows = await q.execute();
    if (!rows.length) return 0;
    const ids = rows.map((r) => r.id);
    await tx.db.deleteFrom('message_attachments').where('message_id', 'in', ids).execute();
    await tx.db.deleteFrom('messages').where('id', 'in', ids).execute();
    batch.after = rows[rows.length - 1]!.created_at;
    return ids.length;
  });
}
