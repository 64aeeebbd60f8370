import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';

/**
 * The person's messages stay as counted rows (direction, sender, status, times: reports and
 * conversation counts keep them) and lose their content: text, media, template variables,
 * interactive content, the person's address and provider error texts. Attachments are deleted.
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
