import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';
import { fromJson, toJson } from '../../platform/json.ts';

/**
 * Recipients stay counted (status, the message) without the person's number or error texts; a
 * broadcast sent to a list of phones or contact ids no longer lists theirs.
 */
export async function eraseBroadcastRecipients(ctx: AppContext, subject: ErasureSubject) {
  const now = ctx.clock.now().toISOString();
  await tenant(ctx.db, subject)
    .updateTable('broadcast_recipients')
    .set({ phone: null, error_message: null, updated_at: now })
    .where('contact_id', '=', subject.contactId)
    .execute();
  const drop = new Set([subject.contactId, ...subject.identifiers]);
  const listed = await tenant(ctx.db, subject)
    .selectFrom('broadcasts')
    .select(['id', 'source_list'])
    .where('source_list', 'is not', null)
    .execute();
  for (const b of listed) {
    const list = fromJson<string[]>(b.source_list, []);
    const kept = list.filter((x) => !drop.has(x));
    if (kept.length !== list.length)
      await ctx.db
        .updateTable('broadcasts')
        .set({ source_list: toJson(kept), updated_at: now })
        .where('id', '=', b.id)
        .execute();
  }
}
