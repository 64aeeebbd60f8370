import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

let n = 0;

/**
 * A payment order in the key's workspace and mode. An `order_details` message makes one
 * (test/channels/whatsapp-interactive.test.ts sends them through the fake Graph API); here, where a live
 * key has no customer to open WhatsApp's window, the order is written beside a message the key
 * sent, with that message's workspace and mode.
 */
const fixture: SecurityFixture = {
  paths: ['/v1/payment-orders/:id'],
  async create(t, key) {
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (ch.status !== 201) throw new Error(`payment order fixture channel: ${ch.status} ${ch.text}`);
    const m = await t.call('POST', '/v1/messages', {
      key,
      body: { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms', from: ch.body.address },
    });
    if (m.status !== 201) throw new Error(`payment order fixture message: ${m.status} ${m.text}`);
    const row = await t.ctx.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.workspace_id', 'm.livemode', 'm.channel_id', 'm.conversation_id', 'c.contact_id'])
      .where('m.id', '=', m.body.id)
      .executeTakeFirstOrThrow();
    const id = `pord_01JD5Z8Q4X3N2M1K0H9G8F7E${String(n++).padStart(2, '0')}`;
    const now = new Date().toISOString();
    await t.ctx.db
      .insertInto('payment_orders')
      .values({
        id,
        workspace_id: row.workspace_id,
        livemode: row.livemode,
        channel_id: row.channel_id,
        conversation_id: row.conversation_id,
        contact_id: row.contact_id!,
        message_id: m.body.id,
        reference_id: `SEC-${id.slice(-6)}`,
        payment_status: 'pending',
        order_status: 'pending',
        currency: 'INR',
        total_value: 20000,
        total_offset: 100,
        transaction: null,
        paid_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { id };
  },
};

export default fixture;
