import { PostgresAdapter, sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { presentMessage } from './messages.present.ts';
import type { MessageRow, MessageStatus } from './messaging.tables.ts';

const rank: Record<MessageStatus, number> = {
  received: -1,
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 9,
};

export interface StatusChange {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: Date;
  providerMessageId?: string;
  error?: { code: string; message: string };
}

/** The statuses a message may be in for a change to `status` to apply (forward only). */
const fromStatuses = (status: StatusChange['status']): MessageStatus[] =>
  status === 'failed'
    ? ['queued', 'sent']
    : (Object.keys(rank) as MessageStatus[]).filter((s) => rank[s] >= 0 && rank[s] < rank[status]);

export interface StatusUpdate {
  messageId: string;
  providerMessageId?: string;
  error?: { code: string; message: string };
}

/**
 * Moves outbound messages to `status`, forward only (queued → sent → delivered → read; failed
 * only from queued or sent), with one UPDATE for all of them, and emits one event each. A late
 * or repeated status is a no-op for that message. Returns the rows that changed. A status that
 * skips a step (read before delivered) fills the earlier times; a provider id is kept once set.
 */
export async function applyStatusesInTx(
  tx: Tx,
  status: StatusChange['status'],
  at: Date,
  updates: StatusUpdate[],
  actor: Actor = { type: 'system', id: null },
  /** Narrower than forward-only: the statuses the change applies from (e.g. only `queued`). */
  from: MessageStatus[] = fromStatuses(status),
): Promise<MessageRow[]> {
  if (updates.length === 0) return [];
  // `read` with no `delivered` before it (providers drop or reorder statuses): it was delivered
  // too, and listeners of message.delivered hear it first.
  if (status === 'read') await applyStatusesInTx(tx, 'delivered', at, updates, actor);
  const iso = at.toISOString();
  const rows =
    tx.db.getExecutor().adapter instanceof PostgresAdapter
      ? await updateStatusesPg(tx, status, iso, updates, from)
      : await updateStatusesSqlite(tx, status, iso, updates, from);
  await tx.emitMany(
    rows.map((row) => ({
      workspaceId: row.workspace_id,
      livemode: row.livemode === 1,
      type: `message.${status}` as const,
      actor,
      data: presentMessage(row),
    })),
  );
  return rows;
}

/** The columns a change to `status` sets besides the status (both storages). */
function statusColumns(status: StatusChange['status'], iso: string): Record<string, unknown> {
  const set: Record<string, unknown> = { status, updated_at: iso };
  if (status === 'failed') set.failed_at = iso;
  else {
    set.sent_at = sql`coalesce(sent_at, ${iso})`;
    if (status !== 'sent') set.delivered_at = sql`coalesce(delivered_at, ${iso})`;
    if (status === 'read') set.read_at = iso;
  }
  return set;
}

/** Moves the outbound messages of `updates` that are in one of the `from` statuses to `status`, at `iso`. */
type StatusWriter = (
  tx: Tx,
  status: StatusChange['status'],
  iso: string,
  updates: StatusUpdate[],
  from: MessageStatus[],
) => Promise<MessageRow[]>;

/**
 * PostgreSQL: one statement of one shape for any number of messages (the ids, provider ids and
 * errors as arrays joined with `unnest`), so it is prepared once and never planned per batch size.
 */
const updateStatusesPg: StatusWriter = async (tx, status, iso, updates, from) => {
  const set = statusColumns(status, iso);
  const u = (col: string) => sql.ref(`u.${col}`);
  if (updates.some((x) => x.providerMessageId !== undefined))
    set.provider_message_id = sql`coalesce(messages.provider_message_id, ${u('provider_id')})`;
  if (status === 'failed') {
    set.error_code = sql`coalesce(${u('error_code')}, 'provider_error')`;
    set.error_message = sql`coalesce(${u('error_message')}, 'The provider reported a failure.')`;
  }
  const list = sql`unnest(${updates.map((x) => x.messageId)}::text[], ${updates.map((x) => x.providerMessageId ?? null)}::text[], ${updates.map((x) => x.error?.code ?? null)}::text[], ${updates.map((x) => x.error?.message ?? null)}::text[]) as u(id, provider_id, error_code, error_message)`;
  return (await tx.db
    .updateTable('messages')
    .set(set as Partial<MessageRow>)
    .from(list as never)
    .whereRef('messages.id', '=', sql.ref('u.id') as never)
    .where('direction', '=', 'outbound')
    .where('status', 'in', from)
    .returningAll('messages')
    .execute()) as MessageRow[];
};

/** SQLite: `case id when … then …` for the provider ids and errors, one UPDATE per chunk of ids. */
const updateStatusesSqlite: StatusWriter = async (tx, status, iso, updates, from) => {
  const caseOf = (pick: (u: StatusUpdate) => string | undefined) => {
    const whens = updates.flatMap((u) => {
      const v = pick(u);
      return v === undefined ? [] : [sql`when ${u.messageId} then ${v}`];
    });
    return whens.length ? sql<string | null>`case id ${sql.join(whens, sql` `)} else null end` : null;
  };
  const set = statusColumns(status, iso);
  const providerIds = caseOf((u) => u.providerMessageId);
  if (providerIds) set.provider_message_id = sql`coalesce(provider_message_id, ${providerIds})`;
  if (status === 'failed') {
    set.error_code = sql`coalesce(${caseOf((u) => u.error?.code) ?? null}, 'provider_error')`;
    set.error_message = sql`coalesce(${caseOf((u) => u.error?.message) ?? null}, 'The provider reported a failure.')`;
  }
  const rows: MessageRow[] = [];
  for (const part of chunked(updates.map((u) => u.messageId))) {
    rows.push(
      ...(await tx.db
        .updateTable('messages')
        .set(set as Partial<MessageRow>)
        .where('id', 'in', part)
        .where('direction', '=', 'outbound')
        .where('status', 'in', from)
        .returningAll()
        .execute()),
    );
  }
  return rows;
};

/** One message's status change (see applyStatusesInTx); returns the row and whether it changed. */
export async function applyStatusInTx(
  tx: Tx,
  messageId: string,
  change: StatusChange,
  actor: Actor = { type: 'system', id: null },
): Promise<{ row: MessageRow | undefined; applied: boolean }> {
  const [updated] = await applyStatusesInTx(
    tx,
    change.status,
    change.at,
    [{ messageId, providerMessageId: change.providerMessageId, error: change.error }],
    actor,
  );
  if (updated) return { row: updated, applied: true };
  const row = await tx.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  return { row, applied: false };
}
