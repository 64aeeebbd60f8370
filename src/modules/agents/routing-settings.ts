import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { fromJson } from '../../platform/json.ts';
import type { AgentRoutingSettings, HandoffPolicyInput } from '../conversations/index.ts';
import { parseBusiness } from './agents.service.ts';

/**
 * What routing needs of an agent (installed on the conversations module's instance): its handoff
 * policy override, and its opening hours when the business gave some (defaults are not counted).
 */
export async function agentRoutingSettings(
  db: Db | Trx,
  scope: Scope,
  agentId: string,
): Promise<AgentRoutingSettings | undefined> {
  const row = await tenant(db, scope).findById('agents', agentId);
  if (!row) return undefined;
  const business = parseBusiness(row);
  return {
    handoffPolicy: fromJson<HandoffPolicyInput | null>(row.handoff_policy, null),
    hours: business.hours_default
      ? null
      : { timezone: business.timezone, hours: business.hours, holidays: business.holidays },
  };
}
