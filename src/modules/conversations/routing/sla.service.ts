import type { AppContext } from '../../../platform/context.ts';
import { newRow, type Scope, tenant } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import type { ParleyEvent, Tx } from '../../../platform/events.ts';
import { type PageRequest, paginate } from '../../../platform/http/pagination.ts';
import { objectHead } from '../../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../../platform/json.ts';
import { emitConversation, type SlaTarget } from '../conversations.service.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import { addBusinessMinutes, type OpeningHours } from './hours.ts';
import type { SlaPoliciesTable } from './routing.tables.ts';
import { slaTimerJob } from './sla.jobs.ts';
import type { CreateSlaInput, UpdateSlaInput } from './sla.schemas.ts';
import { armTimer, firedTimerRow } from './timers.ts';

export interface AppliesTo {
  channels?: string[];
  tags?: string[];
  priorities?: string[];
}

export function presentSla(row: SlaPoliciesTable) {
  return {
    ...objectHead(row, 'sla_policy'),
    name: row.name,
    first_response_minutes: row.first_response_minutes,
    next_response_minutes: row.next_response_minutes,
    resolution_minutes: row.resolution_minutes,
    business_hours: row.business_hours === 1,
    applies_to: fromJson<AppliesTo>(row.applies_to, {}),
    counts_ai_replies: row.counts_ai_replies === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function noTarget(
  p: Pick<SlaPoliciesTable, 'first_response_minutes' | 'next_response_minutes' | 'resolution_minutes'>,
) {
  if (p.first_response_minutes === null && p.next_response_minutes === null && p.resolution_minutes === null)
    throw new ApiError('validation_failed', 'An SLA policy needs at least one target.', {
      errors: [{ field: 'first_response_minutes', message: 'give at least one of the three targets' }],
    });
}

export async function createSla(ctx: AppContext, scope: Scope, input: CreateSlaInput) {
  const now = ctx.clock.now().toISOString();
  const row: SlaPoliciesTable = {
    ...newRow('sla', scope),
    name: input.name,
    first_response_minutes: input.first_response_minutes ?? null,
    next_response_minutes: input.next_response_minutes ?? null,
    resolution_minutes: input.resolution_minutes ?? null,
    business_hours: input.business_hours ? 1 : 0,
    applies_to: toJson(input.applies_to),
    counts_ai_replies: input.counts_ai_replies ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  noTarget(row);
  await ctx.db.insertInto('sla_policies').values(row).execute();
  return presentSla(row);
}

export const getSlaRow = (ctx: AppContext, scope: Scope, id: string) =>
  tenant(ctx.db, scope).getById('sla_policies', id, 'SLA policy');

export function listSlas(ctx: AppContext, scope: Scope, page: PageRequest) {
  return paginate(
    tenant(ctx.db, scope).selectFrom('sla_policies').selectAll().orderBy('id', 'asc'),
    page,
    presentSla,
  );
}

/** Changes apply to conversations the policy is applied to from now on; due times already set stay. */
export async function updateSla(ctx: AppContext, scope: Scope, id: string, input: UpdateSlaInput) {
  const row = await getSlaRow(ctx, scope, id);
  const next: SlaPoliciesTable = {
    ...row,
    name: input.name ?? row.name,
    first_response_minutes:
      input.first_response_minutes !== undefined ? input.first_response_minutes : row.first_response_minutes,
    next_response_minutes:
      input.next_response_minutes !== undefined ? input.next_response_minutes : row.next_response_minutes,
    resolution_minutes:
      input.resolution_minutes !== undefined ? input.resolution_minutes : row.resolution_minutes,
    business_hours: input.business_hours === undefined ? row.business_hours : input.business_hours ? 1 : 0,
    applies_to: input.applies_to ? toJson(input.applies_to) : row.applies_to,
    counts_ai_replies:
      input.counts_ai_replies === undefined ? row.counts_ai_replies : input.counts_ai_replies ? 1 : 0,
    updated_at: ctx.clock.now().toISOString(),
  };
  noTarget(next);
  const { id: _, workspace_id: __, livemode: ___, created_at: ____, ...patch } = next;
  await ctx.db.updateTable('sla_policies').set(patch).where('id', '=', row.id).execute();
  return presentSla(next);
}

/** Deleting a policy stops its timers (they find no policy); conversations keep their due times. */
export async function deleteSla(ctx: AppContext, scope: Scope, id: string) {
  const row = await getSlaRow(ctx, scope, id);
  await ctx.db.deleteFrom('sla_policies').where('id', '=', row.id).execute();
  return { id: row.id, object: 'sla_policy' as const, deleted: true as const };
}

/** Whether a policy's `applies_to` covers the conversation (an empty list matches anything). */
export const slaMatches = (a: AppliesTo, row: ConversationRow) => {
  const tags = fromJson<string[]>(row.tags, []);
  return (
    (!a.channels?.length || a.channels.includes(row.channel)) &&
    (!a.priorities?.length || a.priorities.includes(row.priority)) &&
    (!a.tags?.length || a.tags.some((t) => tags.includes(t.toLowerCase())))
  );
};

async function hoursOf(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
): Promise<OpeningHours | null> {
  const lookup = ctx.ports.agentRoutingSettings;
  if (!row.agent_id || !lookup) return null;
  return (await lookup(tx.db, scope, row.agent_id))?.hours ?? null;
}

/** `minutes` after `from`: in the business's opening time when the policy counts business hours and it has them. */
export function slaDue(hours: OpeningHours | null, from: Date, minutes: number): Date {
  return hours ? addBusinessMinutes(hours, from, minutes) : new Date(from.getTime() + minutes * 60_000);
}

async function dueAfter(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  policy: SlaPoliciesTable,
  from: Date,
  minutes: number,
) {
  return slaDue(policy.business_hours ? await hoursOf(ctx, tx, scope, row) : null, from, minutes);
}

/**
 * A policy's targets for a conversation from `start` (when they count from): the first response
 * already made (a people-only policy's is the first reply of a person since the handoff), and the
 * due times of the first response (none once made) and of the resolution.
 */
export function slaTargets(
  policy: Pick<SlaPoliciesTable, 'counts_ai_replies' | 'first_response_minutes' | 'resolution_minutes'>,
  row: Pick<ConversationRow, 'first_response_at'>,
  startIso: string,
  due: (from: Date, minutes: number) => Date,
) {
  const start = new Date(startIso);
  const firstAt =
    policy.counts_ai_replies === 1 || (row.first_response_at ?? '') >= startIso
      ? row.first_response_at
      : null;
  const first = policy.first_response_minutes && !firstAt ? due(start, policy.first_response_minutes) : null;
  const resolution = policy.resolution_minutes ? due(start, policy.resolution_minutes) : null;
  return { firstAt, first, resolution };
}

async function arm(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  kind: SlaTarget,
  due: Date,
  policyId: string,
) {
  await armTimer(
    ctx,
    tx.db,
    row.id,
    `sla:${kind}`,
    slaTimerJob,
    { ...scope, conversationId: row.id, policyId, kind, dueAt: due.toISOString() },
    { runAt: due, ref: due.toISOString() },
  );
}

/**
 * When a policy's targets count from for this conversation, or null while it does not apply: a
 * policy that counts the AI's replies applies from the conversation's start; any other applies
 * while a person owns the conversation, from its handoff (an AI-only chat never breaches).
 */
export function slaStart(policy: Pick<SlaPoliciesTable, 'counts_ai_replies'>, row: ConversationRow) {
  if (policy.counts_ai_replies === 1) return row.created_at;
  return row.ai_paused === 1 && row.handoff_at ? row.handoff_at : null;
}

const hasDue = (row: ConversationRow) =>
  row.first_response_due_at !== null || row.next_response_due_at !== null || row.resolution_due_at !== null;

/**
 * Matches the conversation against the policies (the oldest matching one applies) when it is
 * created, tagged, its priority changes, or it is handed off (`handoff`: a new handoff starts the
 * targets of a people-only policy again). A different match replaces the policy (breaches already
 * recorded stay); no match any more removes a policy that has not been breached.
 */
export async function applySla(
  ctx: AppContext,
  tx: Tx,
  scope: Scope,
  row: ConversationRow,
  opts: { handoff?: boolean } = {},
) {
  if (row.status === 'closed') return;
  const policies = await tenant(tx.db, scope)
    .selectFrom('sla_policies')
    .selectAll()
    .orderBy('id')
    .limit(200)
    .execute();
  const policy = policies.find((p) => slaMatches(fromJson<AppliesTo>(p.applies_to, {}), row));
  const breached = fromJson<SlaTarget[]>(row.sla_breached, []);
  if (!policy) {
    if (!row.sla_policy_id) return;
    await tx.db
      .updateTable('conversations')
      .set({
        sla_policy_id: breached.length ? row.sla_policy_id : null,
        first_response_due_at: null,
        next_response_due_at: null,
        resolution_due_at: null,
      })
      .where('id', '=', row.id)
      .execute();
    return;
  }
  const startIso = slaStart(policy, row);
  if (!startIso) return;
  // Applied already (a new handoff restarts only a people-only policy's targets).
  if (row.sla_policy_id === policy.id && (!opts.handoff || policy.counts_ai_replies === 1)) return;
  const hours = policy.business_hours ? await hoursOf(ctx, tx, scope, row) : null;
  const { firstAt, first, resolution } = slaTargets(policy, row, startIso, (from, minutes) =>
    slaDue(hours, from, minutes),
  );
  await tx.db
    .updateTable('conversations')
    .set({
      sla_policy_id: policy.id,
      first_response_at: firstAt,
      first_response_due_at: first?.toISOString() ?? null,
      next_response_due_at: opts.handoff ? null : row.next_response_due_at,
      resolution_due_at: resolution?.toISOString() ?? null,
      sla_breached: toJson(breached),
    })
    .where('id', '=', row.id)
    .execute();
  if (first) await arm(ctx, tx, scope, row, 'first_response', first, policy.id);
  if (resolution) await arm(ctx, tx, scope, row, 'resolution', resolution, policy.id);
}

/** Handed back to the AI: a people-only policy stops (its pending targets go; breaches stay). */
export async function stopSla(tx: Tx, scope: Scope, row: ConversationRow) {
  if (!row.sla_policy_id || !hasDue(row)) return;
  const policy = await tenant(tx.db, scope).findById('sla_policies', row.sla_policy_id);
  if (policy?.counts_ai_replies === 1) return;
  await tx.db
    .updateTable('conversations')
    .set({ first_response_due_at: null, next_response_due_at: null, resolution_due_at: null })
    .where('id', '=', row.id)
    .execute();
}

/** A customer's message after a reply starts the next response (while the policy applies). */
export async function onMessage(ctx: AppContext, tx: Tx, e: ParleyEvent) {
  const scope = { workspaceId: e.workspace_id, livemode: e.livemode };
  const conversationId = e.data.conversation_id as string | undefined;
  if (!conversationId) return;
  const row = await tenant(tx.db, scope).findById('conversations', conversationId);
  if (!row) return;
  const now = ctx.clock.now();
  if (
    e.event !== 'message.received' ||
    !row.sla_policy_id ||
    !row.first_response_at ||
    row.next_response_due_at
  )
    return;
  const policy = await tenant(tx.db, scope).findById('sla_policies', row.sla_policy_id);
  if (!policy?.next_response_minutes || !slaStart(policy, row)) return;
  const due = await dueAfter(ctx, tx, scope, row, policy, now, policy.next_response_minutes);
  await tx.db
    .updateTable('conversations')
    .set({ next_response_due_at: due.toISOString() })
    .where('id', '=', row.id)
    .execute();
  await arm(ctx, tx, scope, row, 'next_response', due, policy.id);
}

/** Whether a fired timer's target is still unmet: the due time it was armed for is the current one. */
export const stillDue = (row: ConversationRow, kind: SlaTarget, dueAt: string) => {
  // A resolved conversation breaches nothing more.
  if (row.status === 'closed') return false;
  if (kind === 'first_response') return !row.first_response_at && row.first_response_due_at === dueAt;
  if (kind === 'next_response') return row.next_response_due_at === dueAt;
  return row.resolution_due_at === dueAt;
};

/** An SLA timer fired: a target still unmet is breached, once per target (`sla.breached`). */
export async function slaTimeout(
  ctx: AppContext,
  p: {
    workspaceId: string;
    livemode: boolean;
    conversationId: string;
    policyId: string;
    kind: SlaTarget;
    dueAt: string;
  },
  jobId?: string,
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  await ctx.transaction(async (tx) => {
    const { row, early } = await firedTimerRow(ctx, tx.db, scope, p, jobId);
    if (!row || row.sla_policy_id !== p.policyId || !stillDue(row, p.kind, p.dueAt)) return;
    if (early) {
      await armTimer(ctx, tx.db, p.conversationId, `sla:${p.kind}`, slaTimerJob, p, {
        runAt: new Date(p.dueAt),
        ref: p.dueAt,
      });
      return;
    }
    const breached = fromJson<SlaTarget[]>(row.sla_breached, []);
    if (breached.includes(p.kind)) return;
    const patch = { sla_breached: toJson([...breached, p.kind]), updated_at: ctx.clock.now().toISOString() };
    await tx.db.updateTable('conversations').set(patch).where('id', '=', row.id).execute();
    await emitConversation(
      tx,
      { ...row, ...patch },
      'sla.breached',
      { type: 'rule', id: p.policyId },
      {
        sla_breach: p.kind,
      },
    );
  });
}
