import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import { advanceCall } from './calls.lifecycle.ts';
import { type CallOwnership, HELD } from './calls.ownership.ts';

/**
 * Every live call has an owner that can die: the process holding its dial or its session (the
 * calls in its `VoiceRuntime.live`) writes itself on the call the moment it takes it, and while it
 * holds calls it renews its one `call_owners` row every HEARTBEAT_MS. A call still dialing, ringing
 * or in progress whose owner has not renewed for OWNER_TTL_MS (a kill -9, a crash, a machine gone)
 * is ended by the `calls.reap_orphans` job, run at start and every REAP_EVERY_MS by any worker:
 * `failed` before an answer and `completed` after one, both with `ended_reason: server_lost`. Its
 * status change frees its concurrency slots and emits its `call.failed`/`call.completed` once (a
 * conditional update), and a campaign call settles its recipient by the campaign's retry rules.
 * An owner with no row (a process of before `call_owners`, or one that has not written it yet) is
 * measured by the call's own `owner_seen_at`, and a call with no owner by its last change.
 *
 * The times are the wall clock (process liveness), not the app's clock.
 */
export const OWNER_TTL_MS = 10_000;
export const REAP_EVERY_MS = 4_000;

const REAP_BATCH = 200;
const OWNERS_KEPT_MS = 24 * 3600_000;

export const reapOrphansJob = defineJob({
  name: 'calls.reap_orphans',
  payload: z.object({}),
  maxAttempts: 3,
  concurrency: 1,
  timeoutMs: 60_000,
});

/**
 * The `calls.reap_orphans` job: ends the calls whose owner is gone. A call with no owner written
 * yet counts from its last change (`updated_at`). Calls live in this process are renewed instead.
 */
export async function reapOrphanCalls(
  ctx: AppContext,
  ownership: CallOwnership,
  liveHere: (id: string) => boolean,
): Promise<number> {
  const cutoff = new Date(Date.now() - OWNER_TTL_MS).toISOString();
  const stale = await ctx.db
    .selectFrom('calls')
    .leftJoin('call_owners', 'call_owners.id', 'calls.owner')
    .select(['calls.id', 'calls.status', 'calls.owner'])
    .where('calls.status', 'in', HELD)
    .where((eb) =>
      eb.or([
        eb('call_owners.seen_at', '<', cutoff),
        eb.and([
          eb('call_owners.id', 'is', null),
          eb.or([
            eb('calls.owner_seen_at', '<', cutoff),
            eb.and([eb('calls.owner_seen_at', 'is', null), eb('calls.updated_at', '<', cutoff)]),
          ]),
        ]),
      ]),
    )
    .limit(REAP_BATCH)
    .execute();
  let ended = 0;
  const mine: string[] = [];
  for (const call of stale) {
    if (liveHere(call.id)) {
      mine.push(call.id);
      continue;
    }
    const answered = call.status === 'in_progress';
    const after = await advanceCall(ctx, call.id, {
      status: answered ? 'completed' : 'failed',
      endedReason: 'server_lost',
      ...(answered
        ? {}
        : {
            error: {
              code: 'server_lost',
              message: 'The Parley process placing the call stopped before it connected.',
            },
          }),
    });
    if (!after) continue;
    ended++;
    ownership.reaped.inc();
    ctx.logger.warn(
      { callId: call.id, status: call.status, owner: call.owner },
      'call ended: the process holding it is gone (server_lost)',
    );
  }
  if (mine.length) ownership.claim(mine);
  // Processes gone a day ago: none of their calls is held any more.
  await ctx.db
    .deleteFrom('call_owners')
    .where('seen_at', '<', new Date(Date.now() - OWNERS_KEPT_MS).toISOString())
    .execute();
  return ended;
}

/** Wakes the reaper now and every REAP_EVERY_MS (the work itself is a durable job); returns a stop. */
export function scheduleReaper(ctx: AppContext): () => void {
  const wake = () =>
    void ctx.queue
      .enqueue(ctx.db, reapOrphansJob, {}, { singletonKey: 'calls.reap_orphans', unlessLive: true })
      .catch((err) => ctx.logger.warn({ err: (err as Error).message }, 'scheduling the call reaper failed'));
  wake();
  const timer = setInterval(wake, REAP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
