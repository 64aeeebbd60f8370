import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import { validationFailed } from '../../platform/errors.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { getAgentRow } from '../agents/index.ts';
import { closedConversationIds } from '../conversations/index.ts';
import { endedCallIds } from '../voice/index.ts';
import { analyzeRangeJob } from './analysis.jobs.ts';
import { analyzeCall, analyzeConversation } from './analysis.service.ts';
import type { AnalysisRunsTable } from './analysis.tables.ts';

const PAGE = 50;

export function presentRun(row: AnalysisRunsTable) {
  return {
    ...objectHead(row, 'analysis_run'),
    agent_id: row.agent_id,
    from: row.from_at,
    to: row.to_at,
    status: row.status,
    total: row.total,
    done: row.done,
    failed: row.failed,
    progress: row.total === 0 ? 1 : Math.min(1, (row.done + row.failed) / row.total),
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
    completed_at: row.completed_at,
  };
}

async function countAll(ctx: AppContext, scope: Scope, agentId: string, from: string, to: string) {
  let total = 0;
  for (const list of [closedConversationIds, endedCallIds]) {
    let after: string | null = null;
    for (;;) {
      const ids = await list(ctx.db, scope, { agentId, from, to, afterId: after, limit: 1000 });
      total += ids.length;
      if (ids.length < 1000) break;
      after = ids[ids.length - 1]!;
    }
  }
  return total;
}

/** Starts a re-analysis of an agent's conversations resolved and calls ended in [from, to). */
export async function startRun(ctx: AppContext, scope: Scope, agentId: string, from: string, to: string) {
  await getAgentRow(ctx.db, scope, agentId);
  const [f, t] = [new Date(from), new Date(to)];
  if (!(f < t)) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
  if (t.getTime() - f.getTime() > 400 * 86_400_000)
    throw validationFailed([{ field: 'to', message: 'the range may span 400 days at most' }]);
  const now = ctx.clock.now().toISOString();
  const row: AnalysisRunsTable = {
    ...newRow('anr', scope),
    agent_id: agentId,
    from_at: f.toISOString(),
    to_at: t.toISOString(),
    status: 'queued',
    total: await countAll(ctx, scope, agentId, f.toISOString(), t.toISOString()),
    done: 0,
    failed: 0,
    after_conversation: null,
    after_call: null,
    phase: 'conversations',
    error: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('analysis_runs').values(row).execute();
    await ctx.queue.enqueue(tx.db, analyzeRangeJob, { runId: row.id });
  });
  return presentRun(row);
}

export async function getRun(ctx: AppContext, scope: Scope, id: string) {
  return presentRun(await tenant(ctx.db, scope).getById('analysis_runs', id, 'analysis_run'));
}

/** One page of a run: analyses up to PAGE items, records progress and enqueues the next page. */
export async function runPage(ctx: AppContext, runId: string) {
  const run = await ctx.db.selectFrom('analysis_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run || run.phase === 'done') return;
  const scope = scopeOf(run);
  const q = { agentId: run.agent_id, from: run.from_at, to: run.to_at, limit: PAGE };
  const calls = run.phase === 'calls';
  const ids = calls
    ? await endedCallIds(ctx.db, scope, { ...q, afterId: run.after_call })
    : await closedConversationIds(ctx.db, scope, { ...q, afterId: run.after_conversation });
  let { done, failed } = run;
  for (const id of ids) {
    try {
      await (calls ? analyzeCall(ctx, scope, id) : analyzeConversation(ctx, scope, id));
      done++;
    } catch {
      failed++;
    }
  }
  const last = ids[ids.length - 1] ?? null;
  const phase = ids.length < PAGE ? (calls ? 'done' : 'calls') : run.phase;
  const now = ctx.clock.now().toISOString();
  await ctx.transaction(async (tx) => {
    await tx.db
      .updateTable('analysis_runs')
      .set({
        done,
        failed,
        total: Math.max(run.total, done + failed),
        phase,
        status: phase === 'done' ? 'completed' : 'running',
        ...(calls
          ? { after_call: last ?? run.after_call }
          : { after_conversation: last ?? run.after_conversation }),
        updated_at: now,
        completed_at: phase === 'done' ? now : null,
      })
      .where('id', '=', run.id)
      .execute();
    if (phase !== 'done') await ctx.queue.enqueue(tx.db, analyzeRangeJob, { runId: run.id });
  });
}
