import type { AppContext } from '../../platform/context.ts';
import { inScope, scopeOf } from '../../platform/db/scope.ts';
import { findChannelForSend, uniqueUsersPer24h } from '../channels/index.ts';
import type { BroadcastsTable } from './broadcasts.tables.ts';

const DAY_MS = 86_400_000;

/**
 * Pacing by Meta's messaging tier: a WhatsApp number may start business-initiated conversations
 * with so many unique users per rolling 24 hours (TIER_250, TIER_1K, ...; the channel's health).
 * Counted here: the distinct phones the workspace's broadcasts handed to Meta in the last 24
 * hours. Answers how many more may go now and, when none may, when the oldest of them leaves the
 * window; undefined when the tier is unknown or unlimited (only throughput paces then).
 */
export async function tierBudget(
  ctx: AppContext,
  b: BroadcastsTable,
): Promise<{ remaining: number; resumeAt: Date } | undefined> {
  const scope = scopeOf(b);
  const channel = await findChannelForSend(ctx.db, scope, {
    type: 'whatsapp',
    ...(b.from_address ? { from: b.from_address } : {}),
  });
  if (channel?.provider !== 'meta') return undefined;
  const limit = await uniqueUsersPer24h(ctx.db, channel.id);
  if (limit === undefined) return undefined;
  const now = ctx.clock.now().getTime();
  const since = new Date(now - DAY_MS).toISOString();
  const row = await ctx.db
    .selectFrom('broadcast_recipients')
    .select((eb) => [
      eb.fn.count<string>('phone').distinct().as('used'),
      eb.fn.min('claimed_at').as('oldest'),
    ])
    .where(inScope(scope))
    .where('claimed_at', '>=', since)
    .where('status', 'not in', ['pending', 'cancelled', 'skipped', 'failed'])
    .executeTakeFirst();
  const used = Number(row?.used ?? 0);
  const oldest = row?.oldest ? new Date(String(row.oldest)).getTime() : now;
  return { remaining: limit - used, resumeAt: new Date(Math.max(oldest + DAY_MS, now + 60_000)) };
}
