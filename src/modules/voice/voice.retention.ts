import type { AppContext } from '../../platform/context.ts';
import { inScope } from '../../platform/db/scope.ts';
import type { RetentionBatch } from '../../platform/retention.ts';

/** Calls that ended (or, never answered, were made) before the batch's time, oldest first. */
function oldCalls(ctx: AppContext, batch: RetentionBatch) {
  return ctx.db
    .selectFrom('calls')
    .select('id')
    .where(inScope(batch))
    .where((eb) => eb.fn.coalesce('ended_at', 'created_at'), '<', batch.before)
    .where('status', 'not in', ['queued', 'dialing', 'ringing', 'in_progress'])
    .orderBy('created_at')
    .limit(batch.limit);
}

/**
 * Recordings older than `recordings_days`: the call forgets where its recording is kept, so
 * `GET /v1/calls/{id}/recording` answers 404 (the carrier's copy is deleted in the carrier).
 */
export async function purgeOldRecordings(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  const rows = await oldCalls(ctx, batch).where('recording_url', 'is not', null).execute();
  if (!rows.length) return 0;
  const r = await ctx.db
    .updateTable('calls')
    .set({ recording_url: null })
    .where(
      'id',
      'in',
      rows.map((x) => x.id),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Transcripts older than `transcripts_days`: emptied; the call row (times, duration, status) stays. */
export async function purgeOldTranscripts(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  const rows = await oldCalls(ctx, batch).where('transcript', '!=', '[]').execute();
  if (!rows.length) return 0;
  const r = await ctx.db
    .updateTable('calls')
    .set({ transcript: '[]' })
    .where(
      'id',
      'in',
      rows.map((x) => x.id),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
