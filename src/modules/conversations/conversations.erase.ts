import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * The person's conversations stay as counted facts (status, channel, times, SLA, the score) and
 * lose what identifies them: the address, the last message, variables, reference, CSAT comment,
 * analysis, handoff reasons and the click-to-WhatsApp source (its ad id stays, for the ads report).
 */
export async function eraseConversations(ctx: AppContext, subject: ErasureSubject) {
  const now = ctx.clock.now().toISOString();
  for (const ids of inChunks(subject.conversationIds)) {
    await tenant(ctx.db, subject)
      .updateTable('conversations')
      .set({
        contact_address: '',
        last_message: null,
        dynamic_variables: '{}',
        identifier: null,
        csat_comment: null,
        analysis: null,
        handoff_reason: null,
        // The ad's click id is the person's; the ad id and time stay for the ads report.
        source: null,
        updated_at: now,
      })
      .where('id', 'in', ids)
      .execute();
    await ctx.db
      .updateTable('conversation_facts')
      .set({ handoff_reason: null, handoff_reasons: '[]' })
      .where('conversation_id', 'in', ids)
      .execute();
  }
}

/** The contact's conversations and calls' conversation ids, for an erasure to work through. */
export async function conversationIdsOfContact(
  ctx: AppContext,
  scope: { workspaceId: string; livemode: boolean },
  contactId: string,
): Promise<string[]> {
  const rows = await tenant(ctx.db, scope)
    .selectFrom('conversations')
    .select('id')
    .where('contact_id', '=', contactId)
    .execute();
  return rows.map((r) => r.id);
}
