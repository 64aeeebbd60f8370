import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, EventType, Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { type CallObject, presentCall } from './calls.present.ts';
import {
  type CallLatency,
  getCall,
  getCallRow,
  isTerminal,
  rank,
  statusesBefore,
  type TranscriptEntry,
} from './calls.service.ts';
import { voiceRuntime } from './voice.runtime.ts';
import type { CallRow, CallStatus, EndedReason } from './voice.tables.ts';

// ---------------------------------------------------------------- status changes

const systemActor: Actor = { type: 'system', id: null };

export interface StatusChange {
  status: CallStatus;
  endedReason?: EndedReason;
  answeredBy?: string;
  providerCallId?: string;
  error?: { code: string; message: string };
  /** When it happened (defaults to the app clock). */
  at?: Date;
  actor?: Actor;
}

const eventFor = (from: CallStatus, to: CallStatus): EventType | null => {
  if (to === 'in_progress') return 'call.answered';
  if (to === 'completed' || to === 'voicemail') return 'call.completed';
  if (isTerminal(to)) return rank[from] >= rank.in_progress ? 'call.completed' : 'call.failed';
  return null;
};

/**
 * Moves a call's status forward (never back: a late `ringing` after `in_progress` changes
 * nothing) and emits its event in the same transaction. Returns the row after the change, or
 * null when the change was refused because the call is already at or past that status.
 */
export async function advanceCall(
  ctx: AppContext,
  callId: string,
  change: StatusChange,
): Promise<CallRow | null> {
  return ctx.transaction(async (tx) => advanceCallInTx(ctx, tx, callId, change));
}

export async function advanceCallInTx(
  ctx: AppContext,
  tx: Tx,
  callId: string,
  change: StatusChange,
): Promise<CallRow | null> {
  const before = await tx.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (!before || rank[before.status] >= rank[change.status]) return null;
  const at = (change.at ?? ctx.clock.now()).toISOString();
  const patch: Partial<CallRow> = { status: change.status, updated_at: at };
  if (change.status === 'dialing' || (change.status === 'ringing' && !before.dialed_at)) patch.dialed_at = at;
  if (change.status === 'in_progress') {
    patch.answered_at = at;
    patch.answered_by = change.answeredBy ?? 'human';
  }
  if (change.answeredBy) patch.answered_by = change.answeredBy;
  if (change.providerCallId) patch.provider_call_id = change.providerCallId;
  if (isTerminal(change.status)) {
    patch.ended_at = at;
    patch.ended_reason = change.endedReason ?? defaultReason(change.status);
    const answered = before.answered_at ?? patch.answered_at;
    patch.duration_seconds = answered
      ? Math.max(0, Math.round((Date.parse(at) - Date.parse(answered)) / 1000))
      : 0;
  }
  if (change.error) {
    patch.error_code = change.error.code;
    patch.error_message = change.error.message;
  }
  const r = await tx.db
    .updateTable('calls')
    .set(patch)
    .where('id', '=', callId)
    .where('status', 'in', statusesBefore(change.status))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return null;
  const after = { ...before, ...patch } as CallRow;
  const type = eventFor(before.status, change.status);
  if (type) {
    await tx.emit({
      workspaceId: after.workspace_id,
      livemode: after.livemode === 1,
      type,
      actor: change.actor ?? systemActor,
      data: presentCall(after),
    });
  }
  return after;
}

function defaultReason(status: CallStatus): EndedReason {
  switch (status) {
    case 'busy':
      return 'busy';
    case 'no_answer':
      return 'no_answer';
    case 'voicemail':
      return 'voicemail';
    case 'canceled':
      return 'canceled';
    case 'failed':
      return 'failed_to_connect';
    default:
      return 'customer_ended_call';
  }
}

/** Stores the session's transcript and latency figures (any time, also after the call ended). */
export async function saveCallRecord(
  db: Db | Trx,
  callId: string,
  record: { transcript: TranscriptEntry[]; latency: CallLatency },
  at: Date,
) {
  await db
    .updateTable('calls')
    .set({
      transcript: toJson(record.transcript),
      latency: toJson(record.latency),
      updated_at: at.toISOString(),
    })
    .where('id', '=', callId)
    .execute();
}

/**
 * `POST /v1/calls/{id}/hangup`: ends a call that has not ended (409 when it has). A call not yet
 * answered becomes `canceled`; an answered one `completed`; both with `ended_reason: canceled`.
 * A session running the call (in this process or another) is told to hang up the far end.
 */
export async function hangupCall(
  ctx: AppContext,
  scope: Scope,
  id: string,
  actor: Actor,
): Promise<CallObject> {
  const row = await getCallRow(ctx.db, scope, id);
  if (isTerminal(row.status))
    throw new ApiError(
      'conflict',
      `Call ${id} has already ended (${row.status}); there is nothing to hang up.`,
    );
  const after = await advanceCall(ctx, id, {
    status: row.status === 'in_progress' ? 'completed' : 'canceled',
    endedReason: 'canceled',
    actor,
  });
  if (!after) {
    const now = await getCallRow(ctx.db, scope, id);
    if (isTerminal(now.status))
      throw new ApiError(
        'conflict',
        `Call ${id} has already ended (${now.status}); there is nothing to hang up.`,
      );
  }
  await voiceRuntime(ctx).requestHangup(ctx, id);
  return getCall(ctx, scope, id);
}

/**
 * Merges values into a call's `dynamic_variables` (a voice flow's captured values and outcome,
 * which the call object and a campaign read), in the caller's transaction. No call: nothing.
 */
export async function mergeCallVariables(
  db: Db | Trx,
  callId: string,
  values: Record<string, unknown>,
): Promise<void> {
  const row = await db
    .selectFrom('calls')
    .select('dynamic_variables')
    .where('id', '=', callId)
    .executeTakeFirst();
  if (!row) return;
  await db
    .updateTable('calls')
    .set({
      dynamic_variables: toJson({
        ...fromJson<Record<string, unknown>>(row.dynamic_variables, {}),
        ...values,
      }),
    })
    .where('id', '=', callId)
    .execute();
}
