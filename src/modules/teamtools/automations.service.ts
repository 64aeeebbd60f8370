import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { type FieldError, validationFailed } from '../../platform/errors.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { checkActionReferences } from './actions.check.ts';
import type { Action } from './actions.schemas.ts';
import type { AutomationEvent } from './automations.schemas.ts';
import { type Condition, conditionErrors } from './conditions.ts';
import { scheduleForUpcoming } from './reminders.ts';
import type { AutomationsTable } from './teamtools.tables.ts';

export interface AutomationInput {
  name: string;
  active?: boolean;
  event: AutomationEvent;
  conditions?: Condition[];
  actions: Action[];
  minutes?: number | null;
}

export function presentAutomation(row: AutomationsTable) {
  return {
    ...objectHead(row, 'automation'),
    name: row.name,
    active: row.active === 1,
    event: row.event as AutomationEvent,
    conditions: fromJson<Condition[]>(row.conditions, []),
    actions: fromJson<Action[]>(row.actions, []),
    minutes: row.minutes,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * Actions that would cause the very event that started the automation: refused, so a rule can
 * never feed itself. (Events an automation causes never start automations anyway.)
 */
const loops: Partial<Record<AutomationEvent, Action['type']>> = {
  'conversation.escalated': 'handoff',
  'conversation.resolved': 'close',
};

function loopErrors(event: AutomationEvent, actions: Action[]): FieldError[] {
  const looping = loops[event];
  return actions.flatMap((a, i) =>
    a.type === looping
      ? [
          {
            field: `actions.${i}.type`,
            message: `${a.type} on ${event} would start this automation again (a loop)`,
          },
        ]
      : [],
  );
}

function minutesErrors(input: AutomationInput): FieldError[] {
  const timed = input.event === 'booking.starts_in';
  if (timed && !input.minutes)
    return [{ field: 'minutes', message: 'booking.starts_in needs minutes (before the start, e.g. 1440)' }];
  if (!timed && input.minutes) return [{ field: 'minutes', message: 'only booking.starts_in takes minutes' }];
  return [];
}

async function check(ctx: AppContext, scope: Scope, input: AutomationInput) {
  const errors = [
    ...conditionErrors(input.conditions ?? []),
    ...loopErrors(input.event, input.actions),
    ...minutesErrors(input),
  ];
  if (errors.length) throw validationFailed(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  await checkActionReferences(ctx, scope, input.actions);
}

const getRow = (ctx: AppContext, scope: Scope, id: string) =>
  tenant(ctx.db, scope).getById('automations', id, 'automation');

export async function createAutomation(ctx: AppContext, scope: Scope, input: AutomationInput) {
  await check(ctx, scope, input);
  const now = ctx.clock.now().toISOString();
  const row: AutomationsTable = {
    ...newRow('atm', scope),
    name: input.name,
    active: input.active === false ? 0 : 1,
    event: input.event,
    conditions: toJson(input.conditions ?? []),
    actions: toJson(input.actions),
    minutes: input.minutes ?? null,
    created_at: now,
    updated_at: now,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('automations').values(row).execute();
    await scheduleForUpcoming(ctx, tx.db, scope, row);
  });
  return presentAutomation(row);
}

export function listAutomations(ctx: AppContext, scope: Scope, query: { event?: string }, page: PageRequest) {
  let q = tenant(ctx.db, scope).selectFrom('automations').selectAll();
  if (query.event) q = q.where('event', '=', query.event);
  return paginate(q.orderBy('created_at').orderBy('id'), page, presentAutomation);
}

export async function getAutomation(ctx: AppContext, scope: Scope, id: string) {
  return presentAutomation(await getRow(ctx, scope, id));
}

export async function updateAutomation(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: Partial<AutomationInput>,
) {
  const row = await getRow(ctx, scope, id);
  const current = presentAutomation(row);
  const next: AutomationInput = {
    name: input.name ?? current.name,
    active: input.active ?? current.active,
    event: input.event ?? current.event,
    conditions: input.conditions ?? current.conditions,
    actions: input.actions ?? current.actions,
    minutes: input.minutes !== undefined ? input.minutes : current.minutes,
  };
  await check(ctx, scope, next);
  const patch = {
    name: next.name,
    active: next.active ? 1 : 0,
    event: next.event,
    conditions: toJson(next.conditions ?? []),
    actions: toJson(next.actions),
    minutes: next.minutes ?? null,
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.transaction(async (tx) => {
    await tx.db.updateTable('automations').set(patch).where('id', '=', row.id).execute();
    if (patch.minutes !== row.minutes || patch.active !== row.active)
      await scheduleForUpcoming(ctx, tx.db, scope, { ...row, ...patch });
  });
  return presentAutomation({ ...row, ...patch });
}

export async function deleteAutomation(ctx: AppContext, scope: Scope, id: string) {
  const row = await getRow(ctx, scope, id);
  await ctx.transaction(async (tx) => {
    await tx.db.deleteFrom('automation_runs').where('automation_id', '=', row.id).execute();
    await tx.db.deleteFrom('automations').where('id', '=', row.id).execute();
  });
  return { id: row.id, object: 'automation' as const, deleted: true as const };
}
