import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { getConversation, getConversationRow } from '../conversations/index.ts';
import { checkActionReferences } from './actions.check.ts';
import { attempt } from './actions.run.ts';
import type { Action, ActionResult } from './actions.schemas.ts';
import type { MacrosTable } from './teamtools.tables.ts';

export function presentMacro(row: MacrosTable) {
  return {
    ...objectHead(row, 'macro'),
    name: row.name,
    actions: fromJson<Action[]>(row.actions, []),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const getMacroRow = (ctx: AppContext, scope: Scope, id: string) =>
  tenant(ctx.db, scope).getById('macros', id, 'macro');

export async function createMacro(ctx: AppContext, scope: Scope, input: { name: string; actions: Action[] }) {
  await checkActionReferences(ctx, scope, input.actions);
  const now = ctx.clock.now().toISOString();
  const row: MacrosTable = {
    ...newRow('mac', scope),
    name: input.name,
    actions: toJson(input.actions),
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('macros').values(row).execute();
  return presentMacro(row);
}

export function listMacros(ctx: AppContext, scope: Scope, page: PageRequest) {
  return paginate(tenant(ctx.db, scope).selectFrom('macros').selectAll().orderBy('name'), page, presentMacro);
}

export async function getMacro(ctx: AppContext, scope: Scope, id: string) {
  return presentMacro(await getMacroRow(ctx, scope, id));
}

export async function updateMacro(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { name?: string; actions?: Action[] },
) {
  const row = await getMacroRow(ctx, scope, id);
  if (input.actions) await checkActionReferences(ctx, scope, input.actions);
  const patch = {
    name: input.name ?? row.name,
    actions: input.actions ? toJson(input.actions) : row.actions,
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db.updateTable('macros').set(patch).where('id', '=', row.id).execute();
  return presentMacro({ ...row, ...patch });
}

export async function deleteMacro(ctx: AppContext, scope: Scope, id: string) {
  const row = await getMacroRow(ctx, scope, id);
  await ctx.db.deleteFrom('macros').where('id', '=', row.id).execute();
  return { id: row.id, object: 'macro' as const, deleted: true as const };
}

/**
 * Runs a macro's actions in order on a conversation, as `actor`. An action that fails (a canned
 * response deleted since, a closed conversation for a send) is reported as an error in its
 * result; the actions after it still run.
 */
export async function runMacro(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  macroId: string,
  actor: Actor,
) {
  const macro = await getMacroRow(ctx, scope, macroId);
  await getConversationRow(ctx.db, scope, conversationId);
  const results: ActionResult[] = [];
  const actions = fromJson<Action[]>(macro.actions, []);
  for (const [i, action] of actions.entries())
    results.push(await attempt(ctx, { scope, conversationId, actor }, action, i));
  return {
    object: 'macro_run' as const,
    macro_id: macro.id,
    conversation_id: conversationId,
    results,
    conversation: await getConversation(ctx, scope, conversationId),
  };
}
