import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { applyEarlyStatuses } from '../../src/modules/messaging/inbound.service.ts';
import { CTWA_REFERRAL } from '../fakes/meta-graph.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Pricing and attribution on WhatsApp.
 *
 * Status webhooks carry Meta's `pricing` object. The payload shape is Meta's "Status messages
 * webhook reference"
 * (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status),
 * with the per-message pricing fields as Gupshup's partner docs show Meta's July 2025 change
 * ("PMP Events", partner-docs.gupshup.io/docs/pmp-events: `pricing: {billable: true, category:
 * "marketing", pricing_model: "PMP", type: "regular"}` beside `conversation: {id, origin: {type}}`).
 * The referral is the example of Meta's text messages webhook reference ("only included if
 * message sent via a Click to WhatsApp ad"), as in test/whatsapp-conformance.test.ts.
 */
forEachStorage('WhatsApp pricing and attribution', (storage) => {
  let a: WhatsAppApp;
  let agentId: string;
  const call = (method: string, url: string, body?: unknown, key = a.ws.live) =>
    a.t.call(method, url, { key, ...(body === undefined ? {} : { body }) });
  const now = () => String(Math.floor(Date.now() / 1000));
  const approve = (name: string, category: 'marketing' | 'utility') => a.approveTemplate(name, category);
  /** Sends a template and waits until Meta's id for it is stored; returns the message. */
  const send = async (to: string, name: string) => {
    const res = await call('POST', '/v1/messages', {
      to,
      type: 'template',
      template: { name, language: 'en_US', variables: ['Asha'] },
    });
    assert.equal(res.status, 201, res.text);
    return eventually(async () => {
      const m = (await call('GET', `/v1/messages/${res.body.id}`)).body;
      return m.provider_message_id ? m : undefined;
    });
  };
  /** Meta's status webhook for one sent message, with its pricing. */
  const pricedStatus = (
    wamid: string,
    to: string,
    status: string,
    pricing: Record<string, unknown>,
    conversationId = 'CONVERSATION_ID',
  ) =>
    a.envelope({
      statuses: [
        {
          id: wamid,
          status,
          timestamp: now(),
          recipient_id: to.replace(/^\+/, ''),
          conversation: {
            id: conversationId,
            expiration_timestamp: String(Number(now()) + 86_400),
            origin: { type: String(pricing.category) },
          },
          pricing,
        },
      ],
    });
  const pmp = (category: string, billable: boolean, type = 'regular') => ({
    billable,
    pricing_model: 'PMP',
    category,
    type,
  });
  const pricingOf = async (id: string) => (await call('GET', `/v1/messages/${id}`)).body.pricing;
  const costs = async (query: string) => {
    const res = await call('GET', `/v1/reports/costs?${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };

  before(async () => {
    a = await startWhatsAppApp(storage);
    await approve('autumn_sale', 'marketing');
    await approve('order_update', 'utility');
    const agent = await call('POST', '/v1/agents', { name: 'Asha' });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(async () => a?.close());

  it('the rate card: admins set it; bad input is a 400 naming each field and changes nothing', async () => {
    assert.equal((await call('GET', '/v1/rate-card')).body.currency, null);
    const set = await call('PUT', '/v1/rate-card', {
      currency: 'inr',
      rates: [
        { market: 'in', category: 'marketing', price: '0.7846' },
        { market: 'US', category: 'marketing', price: 2.1 },
        { market: '*', category: 'utility', price: '0.115' },
      ],
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.currency, 'INR');
    assert.deepEqual(
      set.body.rates.map((r: any) => `${r.market}:${r.category}:${r.price}`),
      ['*:utility:0.115', 'IN:marketing:0.7846', 'US:marketing:2.1'],
    );
    const bad = await call('PUT', '/v1/rate-card', {
      currency: 'XYZ',
      rates: [
        { market: 'ZZ', category: 'marketing', price: '1' },
        { market: 'IN', category: 'promo', price: '1' },
        { market: 'IN', category: 'utility', price: '-1' },
        { market: 'IN', category: 'service', price: '0.1234567' },
      ],
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'validation_failed');
    const fields = bad.body.error.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, [
      'currency',
      'rates.0.market',
      'rates.1.category',
      'rates.2.price',
      'rates.3.price',
    ]);
    const twice = await call('PUT', '/v1/rate-card', {
      currency: 'INR',
      rates: [
        { market: 'IN', category: 'marketing', price: '1' },
        { market: 'IN', category: 'marketing', price: '2' },
      ],
    });
    assert.equal(twice.status, 400, twice.text);
    assert.deepEqual(
      twice.body.error.errors.map((e: { field: string }) => e.field),
      ['rates.1'],
    );
    assert.equal((await call('GET', '/v1/rate-card')).body.rates.length, 3, 'unchanged');
    // A key without settings:write may not set it.
    const scoped = await call('POST', '/v1/api-keys', { scopes: ['reports:read'] });
    assert.equal(scoped.status, 201, scoped.text);
    const denied = await call('PUT', '/v1/rate-card', { currency: 'USD', rates: [] }, scoped.body.key);
    assert.equal(denied.status, 403, denied.text);
    assert.equal((await call('GET', '/v1/rate-card')).body.currency, 'INR');
  });

  it('stores Meta pricing per message and prices it with the rate card by market, category, campaign, agent', async () => {
    const india = await send('+919876543210', 'autumn_sale');
    const us = await send('+16505551234', 'autumn_sale');
    const free = await send('+16505551235', 'order_update');
    await a.postMeta(pricedStatus(india.provider_message_id, india.to, 'sent', pmp('marketing', true)));
    await a.postMeta(pricedStatus(us.provider_message_id, us.to, 'sent', pmp('marketing', true)));
    await a.postMeta(
      pricedStatus(free.provider_message_id, free.to, 'sent', pmp('utility', false, 'free_customer_service')),
    );
    const stored = await eventually(async () => {
      const p = await pricingOf(india.id);
      return p ? p : undefined;
    });
    assert.deepEqual(stored, {
      billable: true,
      pricing_model: 'PMP',
      category: 'marketing',
      type: 'regular',
      market: 'IN',
    });
    await eventually(async () => (await pricingOf(free.id))?.type === 'free_customer_service');
    await eventually(async () => (await pricingOf(us.id))?.market === 'US');
    // A later status (delivered, then a late sent) keeps the pricing, and is not counted twice.
    await a.postMeta(pricedStatus(india.provider_message_id, india.to, 'delivered', pmp('marketing', true)));
    await eventually(async () => (await call('GET', `/v1/messages/${india.id}`)).body.status === 'delivered');
    // Under CBP (before July 2025) Meta charged once per conversation: two messages, one charge.
    const cbp1 = await send('+919876543211', 'autumn_sale');
    const cbp2 = await send('+919876543211', 'autumn_sale');
    for (const m of [cbp1, cbp2])
      await a.postMeta(
        pricedStatus(
          m.provider_message_id,
          m.to,
          'sent',
          { billable: true, pricing_model: 'CBP', category: 'marketing' },
          'ae0bd6ed1bd1c2b1e5e5a5a3e5a0b1c2',
        ),
      );
    await eventually(async () => (await pricingOf(cbp2.id))?.pricing_model === 'CBP');

    const byCategory = await costs('group_by=category');
    assert.equal(byCategory.currency, 'INR');
    const marketing = byCategory.groups.find((g: any) => g.key === 'marketing');
    // 0.7846 (IN) + 2.1 (US) + 0.7846 (one IN conversation under CBP).
    assert.deepEqual(
      {
        messages: marketing.messages,
        billable: marketing.billable,
        charged_units: marketing.charged_units,
        unpriced_units: marketing.unpriced_units,
        estimated_cost: marketing.estimated_cost,
      },
      { messages: 4, billable: 4, charged_units: 3, unpriced_units: 0, estimated_cost: '3.6692' },
    );
    const utility = byCategory.groups.find((g: any) => g.key === 'utility');
    assert.equal(utility.billable, 0);
    assert.equal(utility.estimated_cost, '0.00');
    assert.equal(byCategory.totals.estimated_cost, '3.6692');

    const byMarket = await costs('group_by=market');
    assert.equal(byMarket.groups.find((g: any) => g.key === 'IN').estimated_cost, '1.5692');
    assert.equal(byMarket.groups.find((g: any) => g.key === 'US').estimated_cost, '2.10');

    // A broadcast's messages are its campaign's.
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Diwali',
      template: { name: 'autumn_sale', language: 'en_US' },
      phones: ['+919876543212'],
      variables: { '1': 'Asha' },
    });
    assert.equal(bc.status, 202, bc.text);
    const recipient = await eventually(async () => {
      const r = (await call('GET', `/v1/broadcasts/${bc.body.id}/recipients`)).body.data[0];
      return r?.message_id ? r : undefined;
    });
    const bcMessage = await eventually(async () => {
      const m = (await call('GET', `/v1/messages/${recipient.message_id}`)).body;
      return m.provider_message_id ? m : undefined;
    });
    await a.postMeta(
      pricedStatus(bcMessage.provider_message_id, bcMessage.to, 'sent', pmp('marketing', true)),
    );
    await eventually(async () => (await pricingOf(bcMessage.id))?.category === 'marketing');
    const byCampaign = await costs('group_by=campaign');
    const diwali = byCampaign.groups.find((g: any) => g.key === bc.body.id);
    assert.equal(diwali.label, 'Diwali');
    assert.equal(diwali.estimated_cost, '0.7846');
    assert.equal(byCampaign.groups.find((g: any) => g.key === null).charged_units, 3);

    // No agent answers this number: every message is in the "none" group; an agent filter keeps none.
    const byAgent = await costs('group_by=agent');
    assert.deepEqual(
      byAgent.groups.map((g: any) => g.key),
      [null],
    );
    assert.equal((await costs(`group_by=agent&agent_id=${agentId}`)).totals.messages, 0);

    const csv = await call('GET', '/v1/reports/costs.csv?group_by=category');
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(
      lines[0],
      'category,label,messages,billable,charged_units,unpriced_units,estimated_cost,currency',
    );
    assert.ok(lines.includes('marketing,,5,5,4,0,4.4538,INR'), csv.text);

    const unknown = await call('GET', '/v1/reports/costs?group_by=template');
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.error.errors[0].field, 'group_by');
  });

  it('a priced status that comes before the send stored its Meta id keeps its pricing', async () => {
    const m = await send('+919876500301', 'order_update');
    const early = `wamid.early${storage}${Date.now()}`;
    // Meta's status for an id no message has yet: kept as early, applied when the send stores it.
    await a.postMeta(pricedStatus(early, m.to, 'delivered', pmp('utility', true)));
    await eventually(() =>
      a.t.ctx.db
        .selectFrom('early_provider_statuses')
        .select('id')
        .where('provider_message_id', '=', early)
        .executeTakeFirst(),
    );
    await a.t.ctx.transaction(async (tx) => {
      await tx.db
        .updateTable('messages')
        .set({ provider_message_id: early })
        .where('id', '=', m.id)
        .execute();
      await applyEarlyStatuses(tx, [
        { id: m.id, channel_id: m.channel_id, provider_message_id: early, to_address: m.to },
      ]);
    });
    const after = (await call('GET', `/v1/messages/${m.id}`)).body;
    assert.equal(after.status, 'delivered');
    assert.deepEqual(after.pricing, {
      billable: true,
      pricing_model: 'PMP',
      category: 'utility',
      type: 'regular',
      market: 'IN',
    });
  });

  it('a click-to-WhatsApp referral becomes the conversation source; the ads report counts its conversations, leads and costs', async () => {
    // Bind the agent, so the referred conversation is the agent's.
    const bound = await call('PATCH', `/v1/channels/${a.channelId}`, { agent_id: agentId });
    assert.equal(bound.status, 200, bound.text);
    const referral = CTWA_REFERRAL;
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551300' }],
        messages: [
          {
            from: '16505551300',
            id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
            timestamp: now(),
            type: 'text',
            text: { body: 'Is the offer still on?' },
            referral,
          },
        ],
      }),
    );
    const conversation = await eventually(async () => {
      const list = (await call('GET', `/v1/conversations?q=${encodeURIComponent('+16505551300')}`)).body.data;
      return list[0]?.source ? list[0] : undefined;
    });
    assert.equal(conversation.source.kind, 'referral');
    assert.equal(conversation.source.source_id, '120226305854810726');
    assert.equal(conversation.source.source_type, 'ad');
    assert.equal(conversation.source.headline, 'Chat with us');
    assert.equal(conversation.source.ctwa_clid, referral.ctwa_clid);
    assert.equal(conversation.source.media_url, referral.image_url);
    assert.equal(conversation.agent_id, agentId);
    const lead = await call('POST', '/v1/leads', {
      conversation_id: conversation.id,
      contact_id: conversation.contact.id,
      name: 'Sheena Nelson',
      intent: 'offer',
    });
    assert.equal(lead.status, 201, lead.text);
    const ads = await eventually(async () => {
      const r = (await call('GET', '/v1/reports/ads')).body;
      return r.ads?.[0]?.leads === 1 ? r : undefined;
    });
    assert.deepEqual(ads.ads, [
      {
        source_id: '120226305854810726',
        source_type: 'ad',
        source_url: 'https://fb.me/3cr4Wqqkv',
        headline: 'Chat with us',
        conversations: 1,
        leads: 1,
        bookings: 0,
      },
    ]);
    // A marketing message in that conversation is the ad's (and the agent's) cost.
    const m = await send('+16505551300', 'autumn_sale');
    assert.equal(m.conversation_id, conversation.id);
    await a.postMeta(pricedStatus(m.provider_message_id, m.to, 'sent', pmp('marketing', true)));
    await eventually(async () => (await pricingOf(m.id))?.billable === true);
    const byAd = await costs('group_by=ad');
    const ad = byAd.groups.find((g: any) => g.key === '120226305854810726');
    assert.equal(ad.label, 'Chat with us');
    assert.equal(ad.estimated_cost, '2.10');
    const byAgent = await costs(`group_by=agent&agent_id=${agentId}`);
    assert.deepEqual(
      byAgent.groups.map((g: any) => [g.key, g.label, g.estimated_cost]),
      [[agentId, 'Asha', '2.10']],
    );
    // Erasing the customer removes the click id with the source; the ad keeps its count.
    const erased = await call('POST', `/v1/contacts/${conversation.contact.id}/erase`, {
      reason: 'Customer request',
    });
    assert.ok(erased.status < 300, erased.text);
    await eventually(
      async () => (await call('GET', `/v1/conversations/${conversation.id}`)).body.source === null,
    );
    assert.equal((await call('GET', '/v1/reports/ads')).body.totals.conversations, 1);
  });
});
