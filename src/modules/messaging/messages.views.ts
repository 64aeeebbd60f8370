/**
 * What other modules may read of the messaging module's tables, and the one narrow write they
 * need, so that none of them queries `messages` or `templates` itself (docs/architecture.md,
 * "Who owns a table"). Each takes the caller's `db` (its transaction, where it has one).
 */
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { insertMessages } from './messages.insert.ts';
import type { MessageRow, TemplateRow } from './messaging.tables.ts';

/**
 * A read-only view of the messages' delivery status (`id`, `status`, `error_code`,
 * `error_message`), to join by message id (the broadcasts' recipients do):
 * `.leftJoin(messageStatuses(db).as('m'), 'm.id', 'r.message_id')`. Both storages inline the
 * subquery into the join, so it costs what joining the table did.
 */
export function messageStatuses(db: Db | Trx) {
  return db.selectFrom('messages').select(['id', 'status', 'error_code', 'error_message']);
}

/** Stores a message another module composed (a call's transcript turn), in the caller's transaction. */
export async function insertMessageRow(db: Db | Trx, row: MessageRow): Promise<void> {
  await insertMessages(db, [row]);
}

/**
 * A message stored on this channel, by the provider's id for it: its id and the address it went
 * to (for an inbound one, ours), or undefined when Parley has none.
 */
export function messageByProviderId(
  db: Db | Trx,
  channelId: string,
  providerMessageId: string,
): Promise<Pick<MessageRow, 'id' | 'to_address'> | undefined> {
  return db
    .selectFrom('messages')
    .select(['id', 'to_address'])
    .where('channel_id', '=', channelId)
    .where('provider_message_id', '=', providerMessageId)
    .executeTakeFirst();
}

/** A template by id in this workspace and mode, or undefined. */
export function templateById(db: Db | Trx, scope: Scope, id: string): Promise<TemplateRow | undefined> {
  return tenant(db, scope).selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst();
}
