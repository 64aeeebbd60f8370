import type { Db, Trx } from '../../platform/db/database.ts';
import { afterIdPage } from '../../platform/db/rows.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/** A campaign's recipients as a funnel reads them, in keyset pages by id (not_found for another's). */
export async function campaignRecipientPage(
  db: Db | Trx,
  scope: Scope,
  campaignId: string,
  afterId: string | null,
  limit: number,
) {
  const sel = tenant(db, scope)
    .selectFrom('campaign_recipients')
    .select(['id', 'contact_id', 'phone', 'state', 'result', 'attempts', 'last_call_id', 'outcome'])
    .where('campaign_id', '=', campaignId);
  return afterIdPage(sel, afterId, limit).execute();
}

export async function campaignName(db: Db | Trx, scope: Scope, campaignId: string) {
  const row = await tenant(db, scope).getById('campaigns', campaignId, 'campaign');
  return { id: row.id, name: row.name, type: row.type };
}
