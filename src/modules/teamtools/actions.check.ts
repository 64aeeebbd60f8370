import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type FieldError, validationFailed } from '../../platform/errors.ts';
import { teamExists, userName } from '../users/index.ts';
import { webhookUrlProblem } from '../webhooks/index.ts';
import type { Action } from './actions.schemas.ts';

/**
 * Why an action is bad (a missing canned response, team or user; a `webhook` URL that
 * `/v1/webhooks` would refuse), or null.
 */
async function badReference(ctx: AppContext, scope: Scope, action: Action): Promise<FieldError | null> {
  if (action.type === 'webhook') {
    const problem = webhookUrlProblem(action.url, ctx.config.webhookAllowPrivate);
    return problem ? { field: 'url', message: problem } : null;
  }
  if (action.type === 'send_canned') {
    const found = await tenant(ctx.db, scope).findById('canned_responses', action.canned_response_id);
    return found
      ? null
      : { field: 'canned_response_id', message: `no canned response ${action.canned_response_id}` };
  }
  const team = action.type === 'assign_team' || action.type === 'handoff' ? action.team_id : undefined;
  if (team && !(await teamExists(ctx.db, scope, team)))
    return { field: 'team_id', message: `no team ${team}` };
  if (action.type === 'assign_user' && (await userName(ctx.db, scope, action.user_id)) === null)
    return { field: 'user_id', message: `no user ${action.user_id}` };
  return null;
}

/** Refuses (400) a list naming a canned response, team or user that does not exist here, or a private webhook target. */
export async function checkActionReferences(ctx: AppContext, scope: Scope, actions: Action[]) {
  const errors: FieldError[] = [];
  for (const [i, action] of actions.entries()) {
    const bad = await badReference(ctx, scope, action);
    if (bad) errors.push({ field: `actions.${i}.${bad.field}`, message: bad.message });
  }
  if (errors.length) throw validationFailed(errors, errors.map((e) => `${e.field}: ${e.message}`).join('; '));
}
