import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetaWebhook } from './meta-webhook.ts';

const now = new Date('2026-05-10T08:00:00Z');
const change = (statuses: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: 'WABA',
      changes: [
        {
          field: 'messages',
          value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PNID' }, statuses },
        },
      ],
    },
  ],
});

describe("Meta's payment status webhooks (Payments API India)", () => {
  it('reads a payment status as a notice, not as a delivery status', () => {
    // The shape of Meta's example (as WATI's help article 11822291 quotes it), with a transaction.
    const batch = parseMetaWebhook(
      change([
        {
          id: 'ABMAAQVBAXmFlQ',
          from: '16315551234',
          status: 'captured',
          timestamp: '1667283493',
          type: 'payment',
          payment: {
            reference_id: 'your-reference-id',
            amount: { value: 21000, offset: 100 },
            currency: 'INR',
            transaction: { id: 't1', type: 'razorpay', status: 'success', method: { type: 'upi' } },
          },
        },
      ]),
      'PNID',
      now,
    );
    assert.equal(batch.statuses.length, 0);
    const n = batch.notices[0];
    assert.equal(n?.kind, 'payment');
    if (n?.kind !== 'payment') return;
    assert.equal(n.referenceId, 'your-reference-id');
    assert.equal(n.status, 'captured');
    assert.deepEqual(n.amount, { value: 21000, offset: 100 });
    assert.deepEqual(n.transaction, { id: 't1', gateway: 'razorpay', status: 'success', method: 'upi' });
    assert.equal(n.timestamp.toISOString(), new Date(1667283493 * 1000).toISOString());
  });

  it('never throws on odd shapes: no payment, a string payment, no status', () => {
    const batch = parseMetaWebhook(
      change([
        { type: 'payment' },
        { type: 'payment', payment: 'x', status: 7 },
        { type: 'payment', payment: { transaction: [] } },
      ]),
      'PNID',
      now,
    );
    assert.equal(batch.notices.length, 3);
    for (const n of batch.notices) if (n.kind === 'payment') assert.equal(n.referenceId, null);
  });
});
