import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { insertRows } from '../../platform/db/rows.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate, whereEquals } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { ChannelConfig, InboundBatch } from '../channels/index.ts';
import type { InteractiveInput } from './content.ts';
import type { MessageRow, PaymentOrdersTable, PaymentStatus } from './messaging.tables.ts';

/**
 * India payments on WhatsApp: an `order_details` message makes a payment order (its
 * `reference_id` unique in the workspace and mode), `order_status` messages record what the
 * business told the customer, and Meta's payment webhooks move the payment to `captured` or
 * `failed` (emitting `payment.captured` / `payment.failed`). Every payment webhook is kept in
 * `payment_updates`, one for an order Parley does not know with no order (a raw event).
 */

type PaymentNotice = Extract<InboundBatch['notices'][number], { kind: 'payment' }>;

export type PaymentOrderObject = ReturnType<typeof presentPaymentOrder>;

export function presentPaymentOrder(row: PaymentOrdersTable) {
  return {
    ...objectHead(row, 'payment_order' as const),
    reference_id: row.reference_id,
    payment_status: row.payment_status,
    order_status: row.order_status,
    currency: row.currency,
    total_amount: { value: Number(row.total_value), offset: Number(row.total_offset) },
    channel_id: row.channel_id,
    conversation_id: row.conversation_id,
    contact_id: row.contact_id,
    message_id: row.message_id,
    transaction: fromJson<Record<string, unknown> | null>(row.transaction, null),
    paid_at: row.paid_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const byReference = (db: Db | Trx, scope: Scope, reference: string) =>
  tenant(db, scope)
    .selectFrom('payment_orders')
    .selectAll()
    .where('reference_id', '=', reference)
    .executeTakeFirst();

/** Orders are not batched: their reference is checked and written in the send's own transaction. */
export const isOrderMessage = (i: InteractiveInput | null | undefined) =>
  i?.type === 'order_details' || i?.type === 'order_status';

/**
 * In the transaction that writes an `order_details` or `order_status` message: makes the order
 * (409 when its reference is taken), or records the status told (400 when no order has it).
 */
export async function recordOrderMessage(
  tx: Tx,
  scope: Scope,
  row: MessageRow,
  contactId: string,
  i: InteractiveInput,
): Promise<void> {
  if (i.type === 'order_status' && i.order_status) {
    const order = await byReference(tx.db, scope, i.order_status.reference_id);
    if (!order)
      throw invalidField(
        'interactive.order_status.reference_id',
        `names no order sent with order_details in this workspace (${i.order_status.reference_id})`,
      );
    await tx.db
      .updateTable('payment_orders')
      .set({ order_status: i.order_status.status, updated_at: row.created_at })
      .where('id', '=', order.id)
      .execute();
    return;
  }
  const o = i.order_details;
  if (i.type !== 'order_details' || !o) return;
  const taken = await byReference(tx.db, scope, o.reference_id);
  if (taken)
    throw new ApiError(
      'conflict',
      `reference_id ${o.reference_id} is the order ${taken.id} already: each order_details needs its own reference.`,
      { details: { payment_order_id: taken.id } },
    );
  await insertRows(tx.db, 'payment_orders', [
    {
      ...newRow('pord', scope),
      channel_id: row.channel_id,
      conversation_id: row.conversation_id,
      contact_id: contactId,
      message_id: row.id,
      reference_id: o.reference_id,
      payment_status: 'pending',
      order_status: 'pending',
      currency: o.currency,
      total_value: o.total_amount.value,
      total_offset: o.total_amount.offset,
      transaction: null,
      paid_at: null,
      created_at: row.created_at,
      updated_at: row.created_at,
    },
  ]).execute();
}

const paymentStatuses = new Set<PaymentStatus>(['pending', 'captured', 'failed']);

/**
 * A payment webhook: kept, then applied to its order. A captured payment stays captured; a
 * failed attempt may be followed by another (pending, then captured). The same status again
 * (a redelivery) updates nothing and emits nothing.
 */
export async function applyPaymentNotice(
  ctx: AppContext,
  channel: ChannelConfig,
  n: PaymentNotice,
): Promise<void> {
  const scope = { workspaceId: channel.workspaceId, livemode: channel.livemode };
  await ctx.transaction(async (tx) => {
    const now = ctx.clock.now().toISOString();
    const order = n.referenceId ? await byReference(tx.db, scope, n.referenceId) : undefined;
    await insertRows(tx.db, 'payment_updates', [
      {
        ...newRow('pupd', scope),
        channel_id: channel.id,
        reference_id: n.referenceId,
        order_id: order?.id ?? null,
        status: n.status.slice(0, 40),
        raw: toJson(n.raw),
        received_at: now,
      },
    ]).execute();
    if (!order) {
      ctx.logger.warn(
        { channel: channel.id, reference_id: n.referenceId, status: n.status },
        'payment webhook for an order Parley does not know: kept in payment_updates',
      );
      return;
    }
    const status = n.status as PaymentStatus;
    if (
      !paymentStatuses.has(status) ||
      order.payment_status === 'captured' ||
      order.payment_status === status
    )
      return;
    const patch = {
      payment_status: status,
      transaction: n.transaction ? toJson(n.transaction) : order.transaction,
      paid_at: status === 'captured' ? n.timestamp.toISOString() : order.paid_at,
      updated_at: now,
    };
    await tx.db.updateTable('payment_orders').set(patch).where('id', '=', order.id).execute();
    if (status === 'pending') return;
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: status === 'captured' ? 'payment.captured' : 'payment.failed',
      actor: { type: 'customer', id: order.contact_id },
      data: presentPaymentOrder({ ...order, ...patch }),
    });
  });
}

export function getPaymentOrder(db: Db, scope: Scope, id: string): Promise<PaymentOrderObject> {
  return tenant(db, scope).getById('payment_orders', id, 'payment order').then(presentPaymentOrder);
}

export function listPaymentOrders(
  ctx: AppContext,
  scope: Scope,
  f: { reference_id?: string; payment_status?: PaymentStatus; conversation_id?: string },
  page: PageRequest,
): Promise<Page<PaymentOrderObject>> {
  const q = tenant(ctx.db, scope).selectFrom('payment_orders').selectAll();
  const filtered = whereEquals(q, f, ['reference_id', 'payment_status', 'conversation_id']);
  return paginate(filtered.orderBy('id', 'desc'), page, presentPaymentOrder);
}
