import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { inScope, type Scope, scopeOf } from '../../platform/db/scope.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { defineJob, type JobContext } from '../../platform/queue/queue.ts';
import { type RetentionBatch, type RetentionKind, retentionKinds } from '../../platform/retention.ts';
import type { RetentionSettingsTable } from './privacy.tables.ts';

/** Rows per batch, and the pause between batches (traffic goes first: see docs/privacy.md). */
export const RETENTION_BATCH = 500;
export const RETENTION_PAUSE_MS = 20;
/** How often a worker asks for today's run (the run itself happens once a day). */
const WAKE_EVERY_MS = 3_600_000;

const fields = {
  messages: 'messages_days',
  recordings: 'recordings_days',
  transcripts: 'transcripts_days',
  events: 'events_days',
  deliveries: 'deliveries_days',
  audit_log: 'audit_log_days',
} as const satisfies Record<RetentionKind, keyof RetentionSettingsTable>;

const days = (what: string) =>
  describe(
    z
      .number()
      .int()
      .min(1, 'At least 1 day: null keeps them (0 would delete everything at once, and is refused).')
      .max(36_500)
      .nullable(),
    `After how many days ${what} are deleted; null keeps them until deleted otherwise.`,
    90,
  );

/**
 * The audit log is kept at least this long: it is what shows who changed what, so a setting
 * cannot make it vanish the next day (a value stored below it before this rule counts as this).
 */
export const MIN_AUDIT_LOG_DAYS = 30;

export const retentionBody = z.strictObject({
  messages_days: days('messages (with their attachments and their search index entries)').optional(),
  recordings_days: days("calls' recordings").optional(),
  transcripts_days: days("calls' transcripts").optional(),
  events_days: days('events (`GET /v1/events`; never more than 30 days are kept)').optional(),
  deliveries_days: days('webhook deliveries (never more than 30 days are kept)').optional(),
  audit_log_days: describe(
    z
      .number()
      .int()
      .min(
        MIN_AUDIT_LOG_DAYS,
        `At least ${MIN_AUDIT_LOG_DAYS} days: the audit log shows who changed what, and is kept that long at least (null keeps it).`,
      )
      .max(36_500)
      .nullable(),
    `After how many days audit log entries are deleted (${MIN_AUDIT_LOG_DAYS} at least); null keeps them until deleted otherwise.`,
    730,
  ).optional(),
});

export const retentionObject = z.object({
  object: describe(z.literal('retention'), 'The type of this object.', 'retention'),
  livemode: describe(z.boolean(), 'The mode these settings govern.', true),
  messages_days: days('messages'),
  recordings_days: days('recordings'),
  transcripts_days: days('transcripts'),
  events_days: days('events'),
  deliveries_days: days('webhook deliveries'),
  audit_log_days: days('audit log entries'),
  last_run: describe(
    z
      .object({
        at: describe(z.string(), 'When the last run finished here.', '2026-11-25T00:03:10.000Z'),
        deleted: describe(
          z.record(z.string(), z.number()),
          'Records deleted (recordings, transcripts: calls cleared) by kind.',
          { messages: 1200 },
        ),
      })
      .nullable(),
    "The last daily run here: when it finished and how many records of each kind it deleted (recordings and transcripts: calls cleared). Reports' counts are not affected.",
    { at: '2026-11-25T00:03:10.000Z', deleted: { messages: 1200, events: 300 } },
  ),
  updated_at: describe(z.string().nullable(), 'When the settings last changed (null: never set).', null),
});

function present(row: RetentionSettingsTable | undefined, livemode: boolean) {
  return {
    object: 'retention' as const,
    livemode,
    messages_days: row?.messages_days ?? null,
    recordings_days: row?.recordings_days ?? null,
    transcripts_days: row?.transcripts_days ?? null,
    events_days: row?.events_days ?? null,
    deliveries_days: row?.deliveries_days ?? null,
    audit_log_days: row?.audit_log_days ?? null,
    last_run: row?.last_run_at
      ? { at: row.last_run_at, deleted: fromJson<Record<string, number>>(row.last_run_deleted, {}) }
      : null,
    updated_at: row?.updated_at ?? null,
  };
}

const settingsOf = (ctx: AppContext, scope: Scope) =>
  ctx.db.selectFrom('retention_settings').selectAll().where(inScope(scope)).executeTakeFirst();

export async function getRetention(ctx: AppContext, scope: Scope) {
  return present(await settingsOf(ctx, scope), scope.livemode);
}

/** Sets the fields given; fields left out keep their value. */
export async function setRetention(ctx: AppContext, scope: Scope, body: z.infer<typeof retentionBody>) {
  const now = ctx.clock.now().toISOString();
  const current = await settingsOf(ctx, scope);
  const values: RetentionSettingsTable = {
    workspace_id: scope.workspaceId,
    livemode: scope.livemode ? 1 : 0,
    messages_days: null,
    recordings_days: null,
    transcripts_days: null,
    events_days: null,
    deliveries_days: null,
    audit_log_days: null,
    last_run_deleted: null,
    last_run_at: null,
    ...current,
    ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
    updated_at: now,
  };
  await ctx.db
    .insertInto('retention_settings')
    .values(values)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doUpdateSet(values))
    .execute();
  return present(values, scope.livemode);
}

export const retentionJob = defineJob({
  name: 'privacy.retention',
  payload: z.object({ day: z.string() }),
  maxAttempts: 20,
  timeoutMs: 6 * 3_600_000,
  concurrency: 1,
});

const today = (ctx: AppContext) => ctx.clock.now().toISOString().slice(0, 10);

/**
 * Asks for today's run now and every hour: in every worker process, so the run happens while any
 * worker is up. A singleton key keeps one queued per day; the run's claim (below) makes it once.
 */
export function scheduleRetention(ctx: AppContext): () => void {
  const wake = () => {
    const day = today(ctx);
    void ctx.queue
      .enqueue(ctx.db, retentionJob, { day }, { singletonKey: `privacy.retention:${day}`, unlessLive: true })
      .catch((err) => ctx.logger.warn({ err: (err as Error).message }, 'scheduling retention failed'));
  };
  wake();
  const timer = setInterval(wake, WAKE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Claims the day for this job: the first job to claim it runs it (again on a retry of the same
 * job after a crash: each step deletes only what is left), any other job for that day does nothing.
 */
async function claimDay(ctx: AppContext, day: string, jobId: string): Promise<boolean> {
  await ctx.db
    .insertInto('retention_runs')
    .values({ day, job_id: jobId, started_at: ctx.clock.now().toISOString(), completed_at: null })
    .onConflict((oc) => oc.column('day').doNothing())
    .execute();
  const run = await ctx.db.selectFrom('retention_runs').selectAll().where('day', '=', day).executeTakeFirst();
  return run?.job_id === jobId && run.completed_at === null;
}

/** Deletes in batches until a batch comes back short, pausing between them; returns the total. */
async function drain(
  ctx: AppContext,
  step: (ctx: AppContext, b: RetentionBatch) => Promise<number>,
  batch: RetentionBatch,
  pauseMs: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step(ctx, batch);
    total += n;
    if (n < batch.limit) return total;
    await sleep(pauseMs);
  }
}

/** One workspace mode: each kind that has days set, through the modules' steps. */
async function applyRetention(ctx: AppContext, row: RetentionSettingsTable, pauseMs: number) {
  const deleted: Record<string, number> = {};
  const now = ctx.clock.now().getTime();
  for (const kind of retentionKinds) {
    const stored = row[fields[kind]];
    if (stored === null) continue;
    const keep = kind === 'audit_log' ? Math.max(stored, MIN_AUDIT_LOG_DAYS) : stored;
    const batch: RetentionBatch = {
      workspaceId: row.workspace_id,
      livemode: row.livemode === 1,
      before: new Date(now - keep * 86_400_000).toISOString(),
      limit: RETENTION_BATCH,
    };
    deleted[kind] = 0;
    // A batch of its own per step: the step keeps its place in it (`after`) for this run.
    for (const r of ctx.retainers.filter((x) => x.kind === kind))
      deleted[kind] += await drain(ctx, r.purge, { ...batch }, pauseMs);
  }
  await ctx.db
    .updateTable('retention_settings')
    .set({ last_run_deleted: toJson(deleted), last_run_at: ctx.clock.now().toISOString() })
    .where(inScope(scopeOf(row)))
    .execute();
}

/** The day's run over every workspace mode that set a retention. */
export async function runRetention(
  ctx: AppContext,
  day: string,
  job: Pick<JobContext, 'id'>,
  opts: { pauseMs?: number } = {},
) {
  if (!(await claimDay(ctx, day, job.id))) return;
  const rows = await ctx.db
    .selectFrom('retention_settings')
    .selectAll()
    .where((eb) => eb.or(retentionKinds.map((k) => eb(fields[k], 'is not', null))))
    .execute();
  for (const row of rows) await applyRetention(ctx, row, opts.pauseMs ?? RETENTION_PAUSE_MS);
  await ctx.db
    .updateTable('retention_runs')
    .set({ completed_at: ctx.clock.now().toISOString() })
    .where('day', '=', day)
    .execute();
}

/** The privacy module's own kind: audit log entries (the platform's table). */
export async function purgeOldAuditEntries(ctx: AppContext, batch: RetentionBatch): Promise<number> {
  const r = await ctx.db
    .deleteFrom('audit_log')
    .where(
      'id',
      'in',
      ctx.db
        .selectFrom('audit_log')
        .select('id')
        .where(inScope(batch))
        .where('created_at', '<', batch.before)
        .orderBy('id')
        .limit(batch.limit),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
