import type { ExpressionBuilder } from 'kysely';
import { Counter } from 'prom-client';
import type { AppContext } from '../../platform/context.ts';
import type { Database } from '../../platform/db/schema.ts';
import { stripNul } from '../../platform/nul.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import type { ChannelAdapter, ChannelConfig, InboundBatch, RawInbound } from './channel-adapter.ts';

/**
 * Stored provider payloads (`provider_inbound`) that cannot be processed are never lost unseen:
 * each row is processed on its own, and a row still failing at its job's last attempt becomes a
 * dead letter: `processed_at` set, `error` starting `dead_letter:` (kept past the 7-day purge),
 * an error log line naming it, and `parley_inbound_dead_letters_total` counting it by provider.
 */
export const DEAD_LETTER = 'dead_letter:';

/** The app's dead-letter counter (one per app: kept on the providers module's instance). */
export function deadLetterCounter() {
  return new Counter({
    name: 'parley_inbound_dead_letters_total',
    help: 'Verified provider payloads (webhooks, inbound email) that could not be processed after every attempt; kept in provider_inbound with error "dead_letter: ...".',
    labelNames: ['provider'],
    registers: [],
  });
}

/** Rows that are not dead letters (for the purge of processed rows). */
export const notDeadLetter = (eb: ExpressionBuilder<Database, 'provider_inbound'>) =>
  eb.or([eb('error', 'is', null), eb('error', 'not like', `${DEAD_LETTER}%`)]);

/** The adapter's parse, with every NUL gone from what it read (a provider vouched for the text). */
export async function parseStripped(
  adapter: ChannelAdapter,
  channel: ChannelConfig,
  request: RawInbound,
): Promise<InboundBatch> {
  return stripNul(await adapter.parseInbound(channel, request));
}

/**
 * Processes each stored row on its own: one that fails does not hold up the others. While
 * attempts remain the job fails (and is retried); at the last one the failing rows become dead
 * letters.
 */
export async function processInboundRows(
  ctx: AppContext,
  ids: string[],
  job: JobContext,
  process: (ctx: AppContext, id: string) => Promise<void>,
): Promise<void> {
  const failed: Array<{ id: string; err: Error }> = [];
  for (const id of ids) {
    try {
      await process(ctx, id);
    } catch (err) {
      failed.push({ id, err: err as Error });
    }
  }
  if (failed.length === 0) return;
  if (job.attempt < job.maxAttempts) throw failed[0].err;
  for (const { id, err } of failed) await markDeadLetter(ctx, id, String(err?.message ?? err));
}

/** Marks a stored payload as a dead letter (once), with its log line and metric. */
export async function markDeadLetter(ctx: AppContext, id: string, reason: string): Promise<void> {
  const row = await ctx.db
    .updateTable('provider_inbound')
    .set({ processed_at: ctx.clock.now().toISOString(), error: `${DEAD_LETTER} ${reason.slice(0, 480)}` })
    .where('id', '=', id)
    .where('processed_at', 'is', null)
    .returning(['provider', 'channel_id'])
    .executeTakeFirst();
  if (!row) return;
  ctx.modules.providers.deadLetters.inc({ provider: row.provider });
  ctx.logger.error(
    { inboundId: id, channelId: row.channel_id, provider: row.provider, reason: reason.slice(0, 200) },
    'inbound payload could not be processed: kept as a dead letter',
  );
}
