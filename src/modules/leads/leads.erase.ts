import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/** The person's leads stay counted (status, source, times) without their name, phone, email, intent or fields. */
export async function eraseLeads(ctx: AppContext, subject: ErasureSubject) {
  const redact = {
    name: null,
    phone: null,
    email: null,
    intent: null,
    fields: '{}',
    updated_at: ctx.clock.now().toISOString(),
  };
  await tenant(ctx.db, subject)
    .updateTable('leads')
    .set(redact)
    .where('contact_id', '=', subject.contactId)
    .execute();
  for (const ids of inChunks(subject.conversationIds))
    await tenant(ctx.db, subject)
      .updateTable('leads')
      .set(redact)
      .where('conversation_id', 'in', ids)
      .execute();
}
