import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';

/**
 * CSAT questions to the person end (an open link stops recording) and keep their score without
 * the comment.
 */
export async function eraseTeamtools(ctx: AppContext, subject: ErasureSubject) {
  const now = ctx.clock.now().toISOString();
  const scoped = tenant(ctx.db, subject);
  await scoped
    .updateTable('csat_requests')
    .set({ status: 'skipped', skip_reason: 'contact_deleted', updated_at: now })
    .where('contact_id', '=', subject.contactId)
    .where('status', '=', 'pending')
    .execute();
  await scoped
    .updateTable('csat_requests')
    .set({ comment: null, updated_at: now })
    .where('contact_id', '=', subject.contactId)
    .execute();
}
