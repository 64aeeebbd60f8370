import { z } from 'zod';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import {
  baseObject,
  describe,
  idOf,
  idParams,
  listQuery,
  listResponse,
  nullableTimestamp,
} from '../../platform/http/schemas.ts';
import { getPaymentOrder, listPaymentOrders } from './payments.service.ts';

const money = describe(
  z.object({
    value: describe(z.number().int(), 'The amount in paise.', 21000),
    offset: describe(z.number().int(), 'Always 100: value / offset is rupees.', 100),
  }),
  'The order total.',
);

export const paymentOrderObject = z.object({
  ...baseObject('pord', 'payment_order'),
  reference_id: describe(
    z.string(),
    "The order's reference (the order_details message's).",
    'ORD-2026-00042',
  ),
  payment_status: describe(
    z.enum(['pending', 'captured', 'failed']),
    'The payment as Meta last reported it: pending until captured or failed (a failed order may still be paid).',
    'captured',
  ),
  order_status: describe(
    z.string(),
    'What the business last told the customer with order_status (pending until then).',
    'shipped',
  ),
  currency: describe(z.string(), 'Currency (INR).', 'INR'),
  total_amount: money,
  channel_id: idOf('ch', 'The WhatsApp channel it was sent on.'),
  conversation_id: idOf('conv', 'The conversation.'),
  contact_id: idOf('ct', 'The customer.'),
  message_id: idOf('msg', 'The order_details message.'),
  transaction: describe(
    z.record(z.string(), z.unknown()).nullable(),
    'The latest transaction Meta reported: `{id, pg_transaction_id, gateway, status, method, error?: {code, reason}}`, or null.',
    { id: 'txn_8812', gateway: 'razorpay', status: 'success', method: 'upi' },
  ),
  paid_at: nullableTimestamp('When the payment was captured'),
});

export const paymentRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/payment-orders',
    summary: 'List payment orders',
    description:
      'Orders sent with WhatsApp `order_details` messages (India payments) and their payment status; filter by `reference_id`, `payment_status` or `conversation_id`.',
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:read',
    query: listQuery({
      reference_id: describe(
        z.string().min(1).max(200),
        'Only the order with this reference.',
        'ORD-2026-00042',
      ).optional(),
      payment_status: describe(
        z.enum(['pending', 'captured', 'failed']),
        'Only orders in this payment status.',
        'captured',
      ).optional(),
      conversation_id: idOf('conv', 'Only orders of this conversation.').optional(),
    }),
    responses: { 200: listResponse(paymentOrderObject) },
    handler: ok(({ ctx, auth, query }) => listPaymentOrders(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/payment-orders/:id',
    summary: 'Get a payment order',
    description:
      'An order sent with an `order_details` message, with its payment status and latest transaction.',
    tags: ['Messages'],
    auth: 'key',
    scope: 'messages:read',
    params: idParams('pord'),
    responses: { 200: paymentOrderObject },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, params }) => getPaymentOrder(ctx.db, auth, params.id)),
  }),
];
