import { chunked } from '../../platform/chunked.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { insertRows } from '../../platform/db/rows.ts';
import { settleAll } from '../../platform/settle.ts';
import { recordMessageFacts } from '../conversations/index.ts';
import type { MessageRow } from './messaging.tables.ts';

/**
 * The statements that store messages: their rows (a multi-row insert per chunk), then their
 * conversations' reporting facts (one update for all of them), issued without waiting for each
 * other so that a pipelined transaction sends them together, in this order; the caller settles
 * them in its transaction. Every insert into `messages` goes through here or `insertMessages`:
 * the facts are kept by the write, not by a trigger (docs/reports.md).
 */
export function messageWrites(db: Db | Trx, rows: readonly MessageRow[]): Array<Promise<unknown>> {
  if (rows.length === 0) return [];
  return [
    ...chunked(rows).map((part) => insertRows(db, 'messages', part).execute()),
    recordMessageFacts(db, rows),
  ];
}

/** Stores messages and their facts in the caller's transaction (see messageWrites). */
export function insertMessages(db: Db | Trx, rows: readonly MessageRow[]): Promise<void> {
  return settleAll(messageWrites(db, rows));
}
