import type { AppContext } from '../../platform/context.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';

/** An erased contact belongs to no audience (rule audiences match them no more: the row is gone). */
export async function eraseAudienceMembers(ctx: AppContext, subject: ErasureSubject) {
  await ctx.db.deleteFrom('audience_members').where('contact_id', '=', subject.contactId).execute();
}
