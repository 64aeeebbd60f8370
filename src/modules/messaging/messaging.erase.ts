import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { likeContains } from '../../platform/db/like.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';
import { fromJson } from '../../platform/json.ts';
import { deleteMediaFiles } from '../media/index.ts';
import type { StoredMedia, StoredTemplate } from './messages.present.ts';

/**
 * The person's messages stay as counted rows (direction, sender, status, times: reports and
 * conversation counts keep them) and lose their content: text, media, template variables,
 * interactive content, the person's address and provider error texts. Attachments are deleted,
 * and so are the files uploaded to Parley (`POST /v1/media`) that were sent to this person only: a
 * file also sent to someone else stays.
 */
export async function eraseMessages(ctx: AppContext, subject: ErasureSubject) {
  for (const ids of inChunks(subject.conversationIds)) {
    // Payment orders (India payments) name the person's transactions: deleted with their webhooks.
    const orders = await tenant(ctx.db, subject)
      .selectFrom('payment_orders')
      .select('id')
      .where('conversation_id', 'in', ids)
      .execute();
    for (const part of inChunks(orders.map((o) => o.id))) {
      await tenant(ctx.db, subject).deleteFrom('payment_updates').where('order_id', 'in', part).execute();
      await tenant(ctx.db, subject).deleteFrom('payment_orders').where('id', 'in', part).execute();
    }
    // A batch of messages at a time (keyset on the id), each batch its own short statements: a
    // person with 100,000 messages never holds the database (SQLite's one connection) for long.
    let after = '';
    for (;;) {
      const batch = await tenant(ctx.db, subject)
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', 'in', ids)
        .where('id', '>', after)
        .orderBy('id')
        .limit(ERASE_BATCH)
        .execute();
      if (!batch.length) break;
      await eraseMessageBatch(
        ctx,
        subject,
        batch.map((m) => m.id),
      );
      if (batch.length < ERASE_BATCH) break;
      after = batch[batch.length - 1]!.id;
      await new Promise((r) => setImmediate(r));
    }
  }
}

const ERASE_BATCH = 500;

async function eraseMessageBatch(ctx: AppContext, subject: ErasureSubject, messageIds: string[]) {
  const now = ctx.clock.now().toISOString();
  // Before the messages lose their media: once redacted, nothing would name the files any more
  // (a crash between the two runs this batch again, and finds the files already gone).
  await deleteFilesSentOnlyTo(ctx, subject, messageIds);
  await ctx.db.deleteFrom('message_attachments').where('message_id', 'in', messageIds).execute();
  await tenant(ctx.db, subject)
    .updateTable('messages')
    .set({
      text: null,
      media: null,
      template: null,
      interactive: null,
      error_message: null,
      // The business's own address stays; the person's goes.
      from_address: sql<string>`case when direction = 'inbound' then '' else from_address end`,
      to_address: sql<string>`case when direction = 'outbound' then '' else to_address end`,
      updated_at: now,
    })
    .where('id', 'in', messageIds)
    .execute();
}

/** The uploaded files (`media_id`) a batch of the person's messages carries, as media or a template header. */
async function uploadedFilesOf(ctx: AppContext, subject: ErasureSubject, messageIds: string[]) {
  const rows = await tenant(ctx.db, subject)
    .selectFrom('messages')
    .select(['media', 'template'])
    .where('id', 'in', messageIds)
    .where((eb) => eb.or([likeContains('media', 'media_'), likeContains('template', 'media_')]))
    .execute();
  const ids = new Set<string>();
  for (const r of rows) {
    const media = fromJson<StoredMedia | null>(r.media, null)?.media_id;
    const header = fromJson<StoredTemplate | null>(r.template, null)?.header_media?.media_id;
    for (const id of [media, header]) if (typeof id === 'string' && id) ids.add(id);
  }
  return [...ids];
}

/**
 * Deletes the uploaded files of these messages that no message outside the person's
 * conversations carries (a file sent to others too, such as a menu, stays).
 */
async function deleteFilesSentOnlyTo(ctx: AppContext, subject: ErasureSubject, messageIds: string[]) {
  const only: string[] = [];
  for (const id of await uploadedFilesOf(ctx, subject, messageIds)) {
    const elsewhere = await tenant(ctx.db, subject)
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', 'not in', subject.conversationIds)
      .where((eb) => eb.or([likeContains('media', id), likeContains('template', id)]))
      .limit(1)
      .executeTakeFirst();
    if (!elsewhere) only.push(id);
  }
  await deleteMediaFiles(ctx.db, subject, only);
}

/** The ids of every message of these conversations (an erasure looks for them in job payloads). */
export async function messageIdsOfConversations(
  ctx: AppContext,
  scope: { workspaceId: string; livemode: boolean },
  conversationIds: string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const ids of inChunks(conversationIds)) {
    const rows = await tenant(ctx.db, scope)
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', 'in', ids)
      .execute();
    for (const r of rows) out.push(r.id);
  }
  return out;
}
