import type { AppContext } from '../../platform/context.ts';
import { likeContains } from '../../platform/db/like.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';
import { messageIdsOfConversations } from '../messaging/index.ts';

/**
 * The platform's own tables: stored answers of idempotent requests (a contact created, a message
 * sent) that name the person or one of their objects are deleted; and every queue's jobs naming
 * them (finished ones with their payloads, pending ones about them: the queue's `erase`), found
 * by their contact's, conversations', calls' and messages' ids as well as their phone and email.
 */
export async function erasePlatformRecords(ctx: AppContext, subject: ErasureSubject) {
  const objects = [subject.contactId, ...subject.conversationIds, ...subject.callIds];
  const needles = [...objects, ...subject.identifiers];
  for (const chunk of inChunks(needles, 50)) {
    await tenant(ctx.db, subject)
      .deleteFrom('idempotency_keys')
      .where((eb) => eb.or(chunk.map((n) => likeContains('response_body', n))))
      .execute();
  }
  await eraseJobsNaming(ctx, subject);
}

/**
 * Every queue's jobs naming the person, by their objects' ids (contact, conversations, calls,
 * messages) and their phone and email. Run again once the erasure has completed, for the jobs
 * that were running during the first pass and have finished since (their payloads stay otherwise).
 */
export async function eraseJobsNaming(ctx: AppContext, subject: ErasureSubject) {
  const objects = [subject.contactId, ...subject.conversationIds, ...subject.callIds];
  const messageIds = await messageIdsOfConversations(ctx, subject, subject.conversationIds);
  const jobs = await ctx.queue.erase(ctx.db, {
    ids: [...objects, ...messageIds],
    texts: [...objects, ...subject.identifiers],
  });
  ctx.logger.info({ contactId: subject.contactId, ...jobs }, 'erasure: jobs naming the person removed');
}
