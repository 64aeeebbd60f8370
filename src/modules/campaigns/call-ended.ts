import { type Scope, tenant } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import type { AgentDeleting } from '../agents/index.ts';
import { tickJob } from './campaigns.jobs.ts';
import type { RecipientResult } from './campaigns.tables.ts';

import { completeIfDone, tickKey } from './controls.ts';
import { moveRecipient } from './dialing.ts';

// ---------------------------------------------------------------------------------------------
// A campaign call ended: its recipient completes, or waits for a retry.

export interface CallEnd {
  callId: string;
  campaignId?: string | null;
  contactId?: string | null;
  status: string;
  /** When the call was placed (it belongs to the recipient's attempt claimed at or before then). */
  queuedAt?: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  outcome?: string | null;
  errorCode?: string | null;
}

/** The recipient result of a call's final status. */
export function resultOf(status: string): RecipientResult {
  switch (status) {
    case 'completed':
      return 'answered';
    case 'voicemail':
      return 'voicemail';
    case 'no_answer':
      return 'no_answer';
    case 'busy':
      return 'busy';
    default:
      return 'failed';
  }
}

/**
 * Runs in the transaction that ends a campaign call: the recipient completes with the call's
 * result, or goes back to pending for a retry after `retry_delay_minutes` (the pass then waits
 * for its window). The campaign completes when nothing is left.
 */
export async function onCampaignCallEnded(ctx: AppContext, tx: Tx, end: CallEnd) {
  let r = await tx.db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('last_call_id', '=', end.callId)
    .where('state', '=', 'in_progress')
    .executeTakeFirst();
  let from: 'in_progress' | 'scheduled' = 'in_progress';
  if (!r && end.campaignId && end.contactId && end.queuedAt) {
    // The call ended before its dial job recorded it (a quick busy line, a sandbox call): its
    // recipient is still claimed for the attempt that placed it, and settles from there (the dial
    // job's own record then finds it no longer claimed and changes nothing).
    const claimed = await tx.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', end.campaignId)
      .where('contact_id', '=', end.contactId)
      .where('state', '=', 'scheduled')
      .executeTakeFirst();
    if (claimed && claimed.updated_at <= end.queuedAt) {
      r = claimed;
      from = 'scheduled';
    }
  }
  if (!r) return;
  const c = await tx.db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', r.campaign_id)
    .executeTakeFirstOrThrow();
  const result = resultOf(end.status);
  const ended = end.endedAt ? Date.parse(end.endedAt) : ctx.clock.now().getTime();
  const nowIso = ctx.clock.now().toISOString();
  const retry =
    fromJson<string[]>(c.retry_on, []).includes(result) &&
    r.attempts < c.max_attempts &&
    c.status !== 'canceled';
  // Conditional on the call still being the recipient's live one: a second run of this job
  // (or a late one) changes and counts nothing.
  const moved = await moveRecipient(
    ctx,
    r,
    from,
    {
      state: retry ? 'pending' : 'completed',
      result,
      last_call_id: end.callId,
      claim_token: null,
      next_attempt_at: retry
        ? new Date(ended + c.retry_delay_minutes * 60_000).toISOString()
        : r.next_attempt_at,
      outcome: end.outcome ?? (result === 'answered' ? r.outcome : null),
      duration_seconds: result === 'answered' ? end.durationSeconds : r.duration_seconds,
      error_code: result === 'failed' ? (end.errorCode ?? 'call_failed') : null,
      error_message: result === 'failed' ? `The call ended ${end.status}.` : null,
      updated_at: nowIso,
    },
    { where: from === 'in_progress' ? { last_call_id: end.callId } : { attempts: r.attempts } },
    tx,
  );
  if (moved && c.status === 'running' && !(await completeIfDone(ctx, tx, c.id)))
    // A slot is free: the next pass may dial now.
    await ctx.queue.enqueue(tx.db, tickJob, { campaignId: c.id }, { singletonKey: tickKey(c.id) });
}

/** A campaign in one of these may still dial or send: what it uses cannot be deleted. */
export const unfinishedStatuses = ['draft', 'scheduled', 'running', 'paused'] as const;

/** Flows a campaign still needs cannot be deleted. */
export async function flowInUse(db: Trx, scope: Scope, flowId: string): Promise<string | null> {
  const c = await tenant(db, scope)
    .selectFrom('campaigns')
    .select('id')
    .where('voice_flow_id', '=', flowId)
    .where('status', 'in', unfinishedStatuses)
    .executeTakeFirst();
  return c
    ? `Voice flow ${flowId} is used by campaign ${c.id}, which has not finished; cancel it first.`
    : null;
}

/** Agents a campaign still needs cannot be deleted (the `agentDeleting` port). */
export async function refuseAgentInUse(tx: Tx, e: AgentDeleting): Promise<void> {
  const c = await tenant(tx.db, e.scope)
    .selectFrom('campaigns')
    .select('id')
    .where('agent_id', '=', e.agentId)
    .where('status', 'in', unfinishedStatuses)
    .executeTakeFirst();
  if (c)
    throw new ApiError(
      'conflict',
      `Agent ${e.agentId} is used by campaign ${c.id}, which has not finished; cancel it first.`,
    );
}
