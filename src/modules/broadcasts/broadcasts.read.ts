import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { onPostgres } from '../../platform/db/rows.ts';
import { inScope, type Scope, tenant } from '../../platform/db/scope.ts';
import { type Page, type PageRequest, paginate, paginateWithBatch } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import { type MessageStatus, messageStatuses } from '../messaging/index.ts';
import type { broadcastStatuses, recipientStatuses } from './broadcasts.schemas.ts';
import type { BroadcastRecipientsTable, BroadcastsTable, RecipientState } from './broadcasts.tables.ts';

export type { Scope };

type RecipientStatus = (typeof recipientStatuses)[number];
export type Counts = Record<'total' | RecipientStatus, number>;

// ---------------------------------------------------------------------------------------------
// Reading: live counts are derived from each recipient's message, never stored.

/** A recipient's public status: its message's status once handed over, else its own state. */
function recipientStatus(
  state: RecipientState,
  messageStatus: MessageStatus | null,
  capped = false,
): RecipientStatus {
  if (state === 'pending' || state === 'sending') return 'queued';
  if (state !== 'queued') return state;
  // The message is gone only when its contact was deleted; it had been handed over by then.
  if (messageStatus === null || messageStatus === 'received') return 'sent';
  if (messageStatus === 'failed' && capped) return 'frequency_capped';
  return messageStatus;
}

/** The message error of Meta's per-user marketing limit (131049): counted apart from failures. */
export const FREQUENCY_CAPPED = 'whatsapp_frequency_capped';

export const emptyCounts = (): Counts => ({
  total: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
  deferred: 0,
  frequency_capped: 0,
});

const cappedColumn = sql<number>`case when m.error_code = ${sql.lit(FREQUENCY_CAPPED)} then 1 else 0 end`;

async function countsFor(db: Db | Trx, ids: string[]): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>(ids.map((id) => [id, emptyCounts()]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('broadcast_recipients as r')
    .leftJoin(messageStatuses(db).as('m'), 'm.id', 'r.message_id')
    .select((eb) => [
      'r.broadcast_id',
      'r.status as state',
      'm.status as message_status',
      cappedColumn.as('capped'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('r.broadcast_id', 'in', ids)
    .groupBy(['r.broadcast_id', 'r.status', 'm.status', cappedColumn])
    .execute();
  for (const row of rows) {
    const c = out.get(row.broadcast_id)!;
    const n = Number(row.n);
    c.total += n;
    c[recipientStatus(row.state, row.message_status, Number(row.capped) === 1)] += n;
  }
  return out;
}

export function presentBroadcast(row: BroadcastsTable, counts: Counts) {
  return {
    ...objectHead(row, 'broadcast'),
    name: row.name,
    status: row.status,
    template: { name: row.template_name, language: row.template_language },
    variables: fromJson<Record<string, string | number>>(row.variables, {}),
    source: row.source,
    audience_id: row.audience_id,
    from: row.from_address,
    send_at: row.send_at,
    counts,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    started_at: row.started_at,
    cancelled_at: row.cancelled_at,
    completed_at: row.completed_at,
    valid_until: row.valid_until ?? null,
    warning: row.warning ?? null,
    paced_until: row.paced_until ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type BroadcastObject = ReturnType<typeof presentBroadcast>;

export function getBroadcastRow(db: Db | Trx, scope: Scope, id: string): Promise<BroadcastsTable> {
  return tenant(db, scope).getById('broadcasts', id, 'broadcast');
}

export async function present(db: Db | Trx, row: BroadcastsTable): Promise<BroadcastObject> {
  const counts = await countsFor(db, [row.id]);
  return presentBroadcast(row, counts.get(row.id)!);
}

export async function getBroadcast(ctx: AppContext, scope: Scope, id: string) {
  return present(ctx.db, await getBroadcastRow(ctx.db, scope, id));
}

export async function listBroadcasts(
  ctx: AppContext,
  scope: Scope,
  f: { status?: (typeof broadcastStatuses)[number] },
  page: PageRequest,
): Promise<Page<BroadcastObject>> {
  let q = tenant(ctx.db, scope).selectFrom('broadcasts');
  if (f.status) q = q.where('status', '=', f.status);
  return paginateWithBatch(
    q.selectAll().orderBy('id', 'desc'),
    page,
    (ids) => countsFor(ctx.db, ids),
    presentBroadcast,
  );
}

function presentRecipient(
  row: BroadcastRecipientsTable & {
    message_status: MessageStatus | null;
    message_error_code: string | null;
    message_error_message: string | null;
  },
) {
  const status = recipientStatus(row.status, row.message_status, row.message_error_code === FREQUENCY_CAPPED);
  const code =
    row.error_code ?? (status === 'failed' || status === 'frequency_capped' ? row.message_error_code : null);
  return {
    ...objectHead(row, 'broadcast_recipient'),
    broadcast_id: row.broadcast_id,
    contact_id: row.contact_id,
    phone: row.phone,
    status,
    message_id: row.message_id,
    error: code
      ? { code, message: (row.error_code ? row.error_message : row.message_error_message) ?? '' }
      : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function listRecipients(
  ctx: AppContext,
  scope: Scope,
  broadcastId: string,
  f: { status?: RecipientStatus },
  page: PageRequest,
) {
  await getBroadcastRow(ctx.db, scope, broadcastId);
  let q = ctx.db
    .selectFrom('broadcast_recipients as r')
    .leftJoin(messageStatuses(ctx.db).as('m'), 'm.id', 'r.message_id')
    .where('r.broadcast_id', '=', broadcastId)
    .where(inScope(scope, 'r'));
  const s = f.status;
  if (s === 'queued')
    q = q.where((eb) =>
      eb.or([
        eb('r.status', 'in', ['pending', 'sending']),
        eb.and([eb('r.status', '=', 'queued'), eb('m.status', '=', 'queued')]),
      ]),
    );
  else if (s === 'skipped' || s === 'cancelled' || s === 'deferred') q = q.where('r.status', '=', s);
  else if (s === 'failed')
    q = q.where((eb) =>
      eb.or([
        eb('r.status', '=', 'failed'),
        eb.and([
          eb('r.status', '=', 'queued'),
          eb('m.status', '=', 'failed'),
          eb.or([eb('m.error_code', 'is', null), eb('m.error_code', '!=', FREQUENCY_CAPPED)]),
        ]),
      ]),
    );
  else if (s === 'frequency_capped')
    q = q
      .where('r.status', '=', 'queued')
      .where('m.status', '=', 'failed')
      .where('m.error_code', '=', FREQUENCY_CAPPED);
  else if (s === 'sent')
    q = q
      .where('r.status', '=', 'queued')
      .where((eb) => eb.or([eb('m.status', '=', 'sent'), eb('m.id', 'is', null)]));
  else if (s) q = q.where('r.status', '=', 'queued').where('m.status', '=', s);
  return paginate(
    q
      .selectAll('r')
      .select([
        'm.status as message_status',
        'm.error_code as message_error_code',
        'm.error_message as message_error_message',
      ])
      .orderBy('r.id', 'asc'),
    page,
    presentRecipient,
  );
}

/**
 * The broadcast's row, held until the caller's transaction ends (`FOR UPDATE` on PostgreSQL;
 * SQLite runs one writing transaction at a time already), so completing it and deferring one of
 * its recipients take turns.
 */
export async function lockBroadcast(db: Trx, broadcastId: string) {
  const q = db.selectFrom('broadcasts').selectAll().where('id', '=', broadcastId);
  return (onPostgres(db) ? q.forUpdate() : q).executeTakeFirst();
}
