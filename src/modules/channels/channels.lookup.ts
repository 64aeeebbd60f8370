import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { ChannelRow } from './channels.tables.ts';

/**
 * A channel by id, whatever its status: with a scope, only this workspace's and mode's; without
 * one, for a caller that holds a row naming it (a message, a conversation) already in scope. Runs
 * on the caller's transaction when given one.
 */
export function channelById(db: Db | Trx, id: string, scope?: Scope): Promise<ChannelRow | undefined> {
  const from = scope ? tenant(db, scope).selectFrom('channels') : db.selectFrom('channels');
  return from.selectAll().where('id', '=', id).executeTakeFirst();
}

/** Channels by id (one statement, `= any`), for rows already in scope (a send batch's messages). */
export async function channelsByIds(db: Db | Trx, ids: string[]): Promise<ChannelRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('channels').selectAll().where('id', 'in', ids).execute();
}
