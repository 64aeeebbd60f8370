import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';

/** Campaign recipients stay counted (state, result, attempts, duration) without the person's number or error texts. */
export async function eraseCampaignRecipients(ctx: AppContext, subject: ErasureSubject) {
  await tenant(ctx.db, subject)
    .updateTable('campaign_recipients')
    .set({ phone: null, error_message: null, updated_at: ctx.clock.now().toISOString() })
    .where('contact_id', '=', subject.contactId)
    .execute();
}
