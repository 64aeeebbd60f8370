import type { PaymentNotice } from '../channel-adapter.ts';

/**
 * WhatsApp Payments (India) status webhooks, read into a notice. Meta posts them in the
 * `messages` field as a `statuses` entry of `type: "payment"`: `status` is the payment's
 * (`captured`, `pending`, `failed`), `payment.reference_id` names the order_details message's
 * order, `payment.transaction` the gateway's attempt. Whatever shape arrives is kept in `raw`;
 * missing or odd fields are left out, never an exception (a verified webhook is never lost).
 */
export function paymentNotice(s: Record<string, any>, now: Date): PaymentNotice {
  const p = isObject(s.payment) ? s.payment : {};
  const t = isObject(p.transaction) ? p.transaction : undefined;
  const amount = isObject(p.amount) ? p.amount : undefined;
  const value = Number(amount?.value);
  const offset = Number(amount?.offset);
  const ts = Number(s.timestamp);
  return {
    kind: 'payment',
    referenceId: text(p.reference_id) ?? null,
    status: text(s.status)?.toLowerCase() ?? 'unknown',
    ...(text(s.recipient_id) ? { recipientId: text(s.recipient_id) } : {}),
    ...(t ? { transaction: transactionOf(t) } : {}),
    ...(Number.isInteger(value) && Number.isInteger(offset) && offset > 0
      ? { amount: { value, offset } }
      : {}),
    ...(text(p.currency) ? { currency: text(p.currency) } : {}),
    raw: s,
    timestamp: Number.isFinite(ts) && ts > 0 ? new Date(ts * 1000) : now,
  };
}

function transactionOf(t: Record<string, any>): NonNullable<PaymentNotice['transaction']> {
  const error = isObject(t.error) ? t.error : undefined;
  const out: NonNullable<PaymentNotice['transaction']> = {};
  if (text(t.id)) out.id = text(t.id);
  if (text(t.pg_transaction_id)) out.pg_transaction_id = text(t.pg_transaction_id);
  if (text(t.type)) out.gateway = text(t.type);
  if (text(t.status)) out.status = text(t.status);
  const method = isObject(t.method) ? text(t.method.type) : text(t.method);
  if (method) out.method = method;
  if (error)
    out.error = {
      ...(text(error.code) ? { code: text(error.code) } : {}),
      ...(text(error.reason) ? { reason: text(error.reason) } : {}),
    };
  return out;
}

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : typeof v === 'number' ? String(v) : undefined;
