import type { AppContext } from '../../platform/context.ts';
import { likeContains } from '../../platform/db/like.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * The platform's own tables: stored answers of idempotent requests (a contact created, a message
 * sent) and finished jobs' payloads that name the person or one of their objects are deleted.
 */
export async function erasePlatformRecords(ctx: AppContext, subject: ErasureSubject) {
  const needles = [subject.contactId, ...subject.conversationIds, ...subject.callIds, ...subject.identifiers];
  for (const chunk of inChunks(needles, 50)) {
    await tenant(ctx.db, subject)
      .deleteFrom('idempotency_keys')
      .where((eb) => eb.or(chunk.map((n) => likeContains('response_body', n))))
      .execute();
    if (ctx.dialect === 'sqlite')
      await ctx.db
        .deleteFrom('jobs')
        .where('state', 'in', ['completed', 'failed'])
        .where((eb) => eb.or(chunk.map((n) => likeContains('payload', n))))
        .execute();
  }
}
