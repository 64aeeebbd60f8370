import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, forEachStorage } from '../support/harness.ts';
import { COVERED_BY_PAYMENTS, validateAllEvents } from '../support/webhook-schemas.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * WhatsApp's interactive and commerce messages against the fake Graph API, which checks each
 * body as Meta's reference documents it (test/fakes/meta-interactive.ts). Payloads: the send
 * bodies follow Meta's "Interactive messages" pages (cta_url, location_request_message, flow,
 * product, product_list, catalog_message) and the Payments API India guide (order_details,
 * order_status); the inbound ones are Meta's webhook examples as public code carries them:
 * `nfm_reply` from netflie/whatsapp-cloud-api PR #197 (Meta's Flows "response message webhook"),
 * `order` from Meta's messages webhook reference ("order" example, also in piusalfred/whatsapp's
 * docs), `location` from the same reference; the payment status webhook from Meta's Payments API
 * India page as WATI's help article (11822291) and 360dialog's copy of it quote it.
 */
forEachStorage('WhatsApp interactive and commerce messages', (storage) => {
  let a: WhatsAppApp;
  let seq = 0;
  const customer = '+16315551234';
  const wamid = () => `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMx${++seq}${storage}`;
  const now = () => String(Math.floor(Date.now() / 1000));
  const send = (body: Record<string, unknown>) =>
    a.t.call('POST', '/v1/messages', {
      key: a.ws.live,
      body: { to: customer, type: 'interactive', ...body },
    });
  const sentBody = async (messageId: string, before: number) => {
    const row = await eventually(async () => {
      const m = await a.t.call('GET', `/v1/messages/${messageId}`, { key: a.ws.live });
      return m.body.status === 'sent' || m.body.status === 'failed' ? m.body : undefined;
    });
    assert.equal(row.status, 'sent', JSON.stringify(row.error));
    return a.meta.sends(a.number.phoneNumberId).slice(before).at(-1)!.body;
  };
  const messageCount = async () =>
    Number(
      (
        await a.t.ctx.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const byProviderId = (id: string) =>
    a.t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', id).executeTakeFirst();

  const order = (reference: string) => ({
    body: 'Your order from Glow Salon',
    footer: 'Pay by UPI or card',
    order_details: {
      reference_id: reference,
      type: 'physical-goods',
      currency: 'INR',
      payment_configuration: 'glow-salon-razorpay',
      payment_gateway: 'razorpay',
      total_amount: { value: 39600, offset: 100 },
      items: [
        {
          retailer_id: 'SKU-1042',
          name: 'Argan shampoo 250 ml',
          amount: { value: 20000, offset: 100 },
          sale_amount: { value: 18000, offset: 100 },
          quantity: 2,
        },
      ],
      subtotal: { value: 36000, offset: 100 },
      tax: { value: 3600, offset: 100, description: 'GST 10%' },
    },
  });

  before(async () => {
    a = await startWhatsAppApp(storage, { display: '15550783881' });
    a.meta.flows.add('1211462153575982');
    // The customer writes first: the 24-hour window is open for free-form content.
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: customer.slice(1) }],
        messages: [
          { from: customer.slice(1), id: wamid(), timestamp: now(), type: 'text', text: { body: 'Hi' } },
        ],
      }),
    );
    await eventually(() => a.t.ctx.db.selectFrom('conversations').select('id').executeTakeFirst());
  });
  after(async () => a?.close());

  it('sends cta_url, location request, flow, product, product_list and catalog_message as Meta documents them', async () => {
    const cases: Array<[Record<string, unknown>, (i: any) => void]> = [
      [
        {
          body: 'Our dates for May',
          header: 'Dates',
          cta_url: { display_text: 'See dates', url: 'https://example.com/dates' },
        },
        (i) =>
          assert.deepEqual(i.action, {
            name: 'cta_url',
            parameters: { display_text: 'See dates', url: 'https://example.com/dates' },
          }),
      ],
      [{ body: 'Where should we deliver?' }, (i) => assert.deepEqual(i.action, { name: 'send_location' })],
      [
        {
          body: 'Book your visit',
          flow: {
            flow_id: '1211462153575982',
            flow_token: 'tok-1',
            flow_cta: 'Book!',
            screen: 'APPOINTMENT',
            data: { service: 'haircut' },
          },
        },
        (i) =>
          assert.deepEqual(i.action, {
            name: 'flow',
            parameters: {
              flow_message_version: '3',
              flow_id: '1211462153575982',
              flow_token: 'tok-1',
              flow_cta: 'Book!',
              flow_action: 'navigate',
              flow_action_payload: { screen: 'APPOINTMENT', data: { service: 'haircut' } },
            },
          }),
      ],
      [
        { product: { catalog_id: '1537239800415566', product_retailer_id: 'SKU-1042' } },
        (i) => {
          assert.equal(i.body, undefined);
          assert.deepEqual(i.action, { catalog_id: '1537239800415566', product_retailer_id: 'SKU-1042' });
        },
      ],
      [
        {
          header: 'Hair care',
          body: 'Picked for you',
          product_list: {
            catalog_id: '1537239800415566',
            sections: [
              { title: 'Shampoos', product_retailer_ids: ['SKU-1042', 'SKU-1043'] },
              { title: 'Oils', product_retailer_ids: ['SKU-2001'] },
            ],
          },
        },
        (i) =>
          assert.deepEqual(i.action.sections[0], {
            title: 'Shampoos',
            product_items: [{ product_retailer_id: 'SKU-1042' }, { product_retailer_id: 'SKU-1043' }],
          }),
      ],
      [
        { body: 'Browse our range', catalog_message: { thumbnail_product_retailer_id: 'SKU-1042' } },
        (i) =>
          assert.deepEqual(i.action, {
            name: 'catalog_message',
            parameters: { thumbnail_product_retailer_id: 'SKU-1042' },
          }),
      ],
    ];
    for (const [interactive, check] of cases) {
      const kind =
        Object.keys(interactive).find((k) => !['body', 'header', 'footer'].includes(k)) ??
        'location_request_message';
      const before = a.meta.sends(a.number.phoneNumberId).length;
      const res = await send({ interactive: { type: kind, ...interactive } });
      assert.equal(res.status, 201, `${kind}: ${res.text}`);
      const body = await sentBody(res.body.id, before);
      assert.equal(body.type, 'interactive');
      assert.equal(body.interactive.type, kind);
      check(body.interactive);
    }
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const products = (n: number) => Array.from({ length: n }, (_, k) => `SKU-${k}`);
    const bad: Array<[Record<string, unknown>, string]> = [
      [
        {
          type: 'product_list',
          header: 'H',
          body: 'b',
          product_list: { catalog_id: '1', sections: [{ title: 'A', product_retailer_ids: products(31) }] },
        },
        'interactive.product_list.sections',
      ],
      [
        {
          type: 'product_list',
          header: 'H',
          body: 'b',
          product_list: {
            catalog_id: '1',
            sections: Array.from({ length: 11 }, () => ({ title: 'A', product_retailer_ids: ['x'] })),
          },
        },
        'interactive.product_list.sections',
      ],
      [
        {
          type: 'product_list',
          body: 'b',
          product_list: { catalog_id: '1', sections: [{ title: 'A', product_retailer_ids: ['x'] }] },
        },
        'interactive.header',
      ],
      [
        {
          type: 'cta_url',
          body: 'b',
          cta_url: { display_text: 'A label far too long!', url: 'https://example.com' },
        },
        'interactive.cta_url.display_text',
      ],
      [
        { type: 'cta_url', body: 'b', cta_url: { display_text: 'Go', url: 'ftp://example.com' } },
        'interactive.cta_url.url',
      ],
      [{ type: 'flow', body: 'b', flow: { flow_id: '1', flow_cta: 'Book' } }, 'interactive.flow.screen'],
      [
        {
          type: 'flow',
          body: 'b',
          flow: { flow_id: '1', flow_cta: 'Book', flow_action: 'data_exchange', screen: 'A' },
        },
        'interactive.flow.screen',
      ],
      [{ type: 'flow', body: 'b' }, 'interactive.flow'],
      [{ type: 'location_request_message', body: 'b', footer: 'f' }, 'interactive.footer'],
      [{ type: 'catalog_message' }, 'interactive.body'],
      [
        {
          type: 'product',
          product: { catalog_id: '1', product_retailer_id: 'x' },
          cta_url: { display_text: 'a', url: 'https://a.b' },
        },
        'interactive.cta_url',
      ],
      [
        {
          type: 'order_details',
          ...order('ORD-BAD-1'),
          order_details: { ...order('ORD-BAD-1').order_details, total_amount: { value: 1, offset: 100 } },
        },
        'interactive.order_details.total_amount.value',
      ],
      [
        {
          type: 'order_details',
          ...order('ORD-BAD-2'),
          order_details: { ...order('ORD-BAD-2').order_details, tax: { value: 3600, offset: 1 } },
        },
        'interactive.order_details.tax.offset',
      ],
      [{ type: 'order_details', ...order('x'.repeat(36)) }, 'interactive.order_details.reference_id'],
      [
        {
          type: 'order_status',
          body: 'b',
          order_status: { reference_id: 'NO-SUCH-ORDER', status: 'shipped' },
        },
        'interactive.order_status.reference_id',
      ],
    ];
    const before = await messageCount();
    for (const [interactive, field] of bad) {
      const res = await send({ interactive });
      assert.equal(res.status, 400, `${field}: ${res.text}`);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.ok(
        res.body.error.errors.some((e: { field: string }) => e.field === field),
        `${field} named: ${JSON.stringify(res.body.error.errors)}`,
      );
    }
    // An SMS channel (test mode's sandbox) cannot carry interactive messages at all.
    const sms = await a.t.call('POST', '/v1/messages', {
      key: a.ws.test,
      body: {
        to: customer,
        channel: 'sms',
        type: 'interactive',
        interactive: { type: 'flow', body: 'b', flow: { flow_id: '1', flow_cta: 'Go', screen: 'A' } },
      },
    });
    assert.equal(sms.status, 400, sms.text);
    assert.equal(sms.body.error.errors[0].field, 'type');
    assert.equal(await messageCount(), before);
  });

  it('a flow id the account does not have fails the message with whatsapp_flow_unavailable', async () => {
    const res = await send({
      interactive: { type: 'flow', body: 'b', flow: { flow_id: '999000111', flow_cta: 'Book', screen: 'A' } },
    });
    assert.equal(res.status, 201, res.text);
    const failed = await eventually(async () => {
      const m = await a.t.call('GET', `/v1/messages/${res.body.id}`, { key: a.ws.live });
      return m.body.status === 'failed' ? m.body : undefined;
    });
    assert.equal(failed.error.code, 'whatsapp_flow_unavailable');
    assert.match(failed.error.message, /999000111/);
  });

  it("stores the customer's flow answer, cart order and location with their structured content", async () => {
    const flowId = wamid();
    const orderId = wamid();
    const locationId = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: customer.slice(1) }],
        messages: [
          {
            context: { from: a.number.displayPhoneNumber, id: 'wamid.ID' },
            from: customer.slice(1),
            id: flowId,
            timestamp: now(),
            type: 'interactive',
            interactive: {
              type: 'nfm_reply',
              nfm_reply: {
                response_json:
                  '{"flow_token": "tok-1", "optional_param1": "<value1>", "screen_0_name_0": "EMAIL"}',
                body: 'Sent',
                name: 'flow',
              },
            },
          },
          {
            from: customer.slice(1),
            id: orderId,
            timestamp: now(),
            type: 'order',
            order: {
              catalog_id: '1537239800415566',
              text: 'Please deliver by Friday',
              product_items: [
                { product_retailer_id: 'SKU-1042', quantity: 2, item_price: 180, currency: 'INR' },
                { product_retailer_id: 'SKU-2001', quantity: 1, item_price: 250, currency: 'INR' },
              ],
            },
          },
          {
            from: customer.slice(1),
            id: locationId,
            timestamp: now(),
            type: 'location',
            location: {
              latitude: 28.6139,
              longitude: 77.209,
              name: 'Glow Salon',
              address: 'Connaught Place, New Delhi',
            },
          },
        ],
      }),
    );
    const flow = await eventually(() => byProviderId(flowId));
    assert.equal(flow.type, 'interactive');
    const flowPayload = JSON.parse(flow.interactive!);
    assert.equal(flowPayload.kind, 'nfm_reply');
    assert.deepEqual(flowPayload.response, {
      flow_token: 'tok-1',
      optional_param1: '<value1>',
      screen_0_name_0: 'EMAIL',
    });
    const cart = await eventually(() => byProviderId(orderId));
    assert.equal(cart.type, 'order');
    const cartPayload = JSON.parse(cart.interactive!);
    assert.equal(cartPayload.catalog_id, '1537239800415566');
    assert.deepEqual(cartPayload.product_items[1], {
      product_retailer_id: 'SKU-2001',
      quantity: 1,
      item_price: 250,
      currency: 'INR',
    });
    const place = await eventually(() => byProviderId(locationId));
    assert.equal(place.type, 'location');
    assert.equal(JSON.parse(place.interactive!).latitude, 28.6139);
  });

  /** Meta's payment status webhook: a `statuses` entry of type payment for the order's reference. */
  const payment = (reference: string, status: string, transaction: Record<string, unknown>) =>
    a.envelope({
      statuses: [
        {
          id: wamid(),
          status,
          timestamp: now(),
          recipient_id: customer.slice(1),
          type: 'payment',
          payment: {
            reference_id: reference,
            amount: { value: 39600, offset: 100 },
            currency: 'INR',
            transaction: {
              id: `txn_${reference}`,
              pg_transaction_id: 'pay_Z6t7VFTb9xHeOs',
              type: 'razorpay',
              created_timestamp: Number(now()),
              updated_timestamp: Number(now()),
              method: { type: 'upi' },
              ...transaction,
            },
          },
        },
      ],
    });

  it('order_details makes a payment order; payment webhooks capture or fail it and emit payment.* events', async () => {
    const before = a.meta.sends(a.number.phoneNumberId).length;
    const res = await send({ interactive: { type: 'order_details', ...order('ORD-2026-00042') } });
    assert.equal(res.status, 201, res.text);
    const body = await sentBody(res.body.id, before);
    assert.equal(body.interactive.action.name, 'review_and_pay');
    assert.equal(body.interactive.action.parameters.order.subtotal.value, 36000);
    const again = await send({ interactive: { type: 'order_details', ...order('ORD-2026-00042') } });
    assert.equal(again.status, 409, again.text);

    const list = await a.t.call('GET', '/v1/payment-orders?reference_id=ORD-2026-00042', { key: a.ws.live });
    assert.equal(list.body.data.length, 1);
    const orderId = list.body.data[0].id;
    assert.equal(list.body.data[0].payment_status, 'pending');
    assert.equal(list.body.data[0].message_id, res.body.id);

    await a.postMeta(payment('ORD-2026-00042', 'pending', { status: 'pending' }));
    await a.postMeta(payment('ORD-2026-00042', 'captured', { status: 'success' }));
    const captured = await eventually(async () => {
      const o = await a.t.call('GET', `/v1/payment-orders/${orderId}`, { key: a.ws.live });
      return o.body.payment_status === 'captured' ? o.body : undefined;
    });
    assert.equal(captured.transaction.gateway, 'razorpay');
    assert.equal(captured.transaction.method, 'upi');
    assert.ok(captured.paid_at);
    // A redelivery changes nothing and emits nothing more.
    await a.postMeta(payment('ORD-2026-00042', 'captured', { status: 'success' }));

    const second = await send({ interactive: { type: 'order_details', ...order('ORD-2026-00043') } });
    assert.equal(second.status, 201, second.text);
    await a.postMeta(
      payment('ORD-2026-00043', 'failed', {
        status: 'failed',
        error: { code: 'PAYMENT_DECLINED', reason: 'Bank declined' },
      }),
    );
    const failed = await eventually(async () => {
      const o = await a.t.call('GET', `/v1/payment-orders?reference_id=ORD-2026-00043`, { key: a.ws.live });
      return o.body.data[0]?.payment_status === 'failed' ? o.body.data[0] : undefined;
    });
    assert.deepEqual(failed.transaction.error, { code: 'PAYMENT_DECLINED', reason: 'Bank declined' });

    const events = await a.t.call('GET', '/v1/events?per_page=100', { key: a.ws.live });
    const kinds = events.body.data.map((e: { event: string }) => e.event);
    assert.equal(kinds.filter((k: string) => k === 'payment.captured').length, 1);
    assert.equal(kinds.filter((k: string) => k === 'payment.failed').length, 1);
    const { seen, failures } = await validateAllEvents((url) =>
      a.t.call('GET', url, { key: a.ws.live }).then((r) => r.body),
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(
      COVERED_BY_PAYMENTS.filter((t) => !seen.has(t)),
      [],
    );

    // The business tells the customer where the order stands.
    const status = await send({
      interactive: {
        type: 'order_status',
        body: 'Shipped today',
        order_status: {
          reference_id: 'ORD-2026-00042',
          status: 'shipped',
          description: 'On its way with BlueDart',
        },
      },
    });
    assert.equal(status.status, 201, status.text);
    const shipped = await eventually(async () => {
      const o = await a.t.call('GET', `/v1/payment-orders/${orderId}`, { key: a.ws.live });
      return o.body.order_status === 'shipped' ? o.body : undefined;
    });
    assert.equal(shipped.payment_status, 'captured');
  });

  it('a payment webhook for an unknown order, or one with no payment at all, is kept raw and answered 200', async () => {
    await a.postMeta(payment('NOBODY-KNOWS-THIS', 'captured', { status: 'success' }));
    await a.postMeta(
      a.envelope({ statuses: [{ id: wamid(), status: 'captured', type: 'payment', timestamp: 'soon' }] }),
    );
    const rows = await eventually(async () => {
      const r = await a.t.ctx.db
        .selectFrom('payment_updates')
        .selectAll()
        .where('order_id', 'is', null)
        .execute();
      return r.length >= 2 ? r : undefined;
    });
    const unknown = rows.find((r) => r.reference_id === 'NOBODY-KNOWS-THIS')!;
    assert.equal(JSON.parse(unknown.raw).payment.transaction.pg_transaction_id, 'pay_Z6t7VFTb9xHeOs');
    assert.ok(rows.some((r) => r.reference_id === null));
  });

  describe('the AI agent on WhatsApp', () => {
    const guest = '+16315550177';
    const sendsTo = (to: string) =>
      a.meta.sends(a.number.phoneNumberId).filter((r) => r.body.to === to.slice(1));
    const write = (text: string) =>
      a.postMeta(
        a.envelope({
          contacts: [{ profile: { name: 'Asha' }, wa_id: guest.slice(1) }],
          messages: [
            { from: guest.slice(1), id: wamid(), timestamp: now(), type: 'text', text: { body: text } },
          ],
        }),
      );

    before(async () => {
      const agent = await a.t.call('POST', '/v1/agents', {
        key: a.ws.live,
        body: {
          name: 'Glow Salon',
          model: { provider: 'builtin' },
          tools: ['knowledge', 'booking', 'handoff'],
          business: {
            timezone: 'UTC',
            hours: Object.fromEntries(
              ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [
                d,
                [{ open: '09:00', close: '18:00' }],
              ]),
            ),
            services: [{ name: 'Haircut', duration_minutes: 60 }],
          },
        },
      });
      assert.equal(agent.status, 201, agent.text);
      const bound = await a.t.call('PATCH', `/v1/channels/${a.channelId}`, {
        key: a.ws.live,
        body: { agent_id: agent.body.id, settings: { catalog_id: '1537239800415566' } },
      });
      assert.equal(bound.status, 200, bound.text);
    });

    it('offers free slots as a list; the tapped row books that slot', async () => {
      await write('I would like to book a haircut tomorrow');
      const offer = await eventually(
        async () => sendsTo(guest).find((r) => r.body.interactive?.type === 'list'),
        20_000,
      );
      const rows = offer.body.interactive.action.sections[0].rows as Array<{
        id: string;
        title: string;
        description: string;
      }>;
      assert.ok(rows.length >= 1 && rows.length <= 10, JSON.stringify(rows));
      const picked = rows[rows.length - 1]!;
      assert.match(picked.id, /^slot:/);
      // Meta's list_reply webhook (messages reference, "interactive" example): the row's id and title.
      await a.postMeta(
        a.envelope({
          contacts: [{ profile: { name: 'Asha' }, wa_id: guest.slice(1) }],
          messages: [
            {
              context: { from: a.number.displayPhoneNumber, id: 'wamid.offer' },
              from: guest.slice(1),
              id: wamid(),
              timestamp: now(),
              type: 'interactive',
              interactive: {
                type: 'list_reply',
                list_reply: { id: picked.id, title: picked.title, description: picked.description },
              },
            },
          ],
        }),
      );
      const booking = await eventually(
        () =>
          a.t.ctx.db
            .selectFrom('bookings')
            .selectAll()
            .where('workspace_id', '=', a.ws.id)
            .executeTakeFirst(),
        20_000,
      );
      assert.equal(
        new Date(booking.start_at).toISOString(),
        new Date(picked.id.slice('slot:'.length)).toISOString(),
      );
    });

    it('sends the catalogue as a catalog_message when the customer asks to see the products', async () => {
      const before = sendsTo(guest).length;
      await write('Can you show me your products?');
      const sent = await eventually(
        async () =>
          sendsTo(guest)
            .slice(before)
            .find((r) => r.body.interactive?.type === 'catalog_message'),
        20_000,
      );
      assert.equal(sent.body.interactive.action.name, 'catalog_message');
      assert.match(sent.body.interactive.body.text, /catalogue/);
    });

    it('refuses a catalog_id that is not a catalogue id', async () => {
      const res = await a.t.call('PATCH', `/v1/channels/${a.channelId}`, {
        key: a.ws.live,
        body: { settings: { catalog_id: 'my shop' } },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.errors[0].field, 'settings.catalog_id');
    });
  });
});
