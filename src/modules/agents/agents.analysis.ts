import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { parseAnalysisSettings } from './analysis-settings.ts';

/** The fields of the analysis schemas of the workspace's agents (or one agent's), in first-seen order. */
export async function analysisFieldNames(db: Db | Trx, scope: Scope, agentId?: string): Promise<string[]> {
  let q = tenant(db, scope).selectFrom('agents').select(['id', 'analysis']).orderBy('id', 'asc');
  if (agentId) q = q.where('id', '=', agentId);
  const names = new Set<string>();
  for (const row of await q.execute())
    for (const name of Object.keys(parseAnalysisSettings(row.analysis).structured?.properties ?? {}))
      names.add(name);
  return [...names];
}
