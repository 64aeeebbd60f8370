import { ChannelSendError, type OutboundInteractive } from '../channel-adapter.ts';
import type { OrderDetailsPart, PaymentAmount } from '../interactive-parts.ts';

/**
 * The `interactive` object of Meta's send body for each interactive kind, as the Cloud API
 * reference documents it ("Interactive messages": reply buttons, list, cta_url, location request,
 * Flow, single- and multi-product, catalogue; Payments API India: order_details, order_status).
 * Pure functions.
 */

type Json = Record<string, unknown>;

const missing = (what: string) =>
  new ChannelSendError('validation_failed', `An interactive ${what} message needs its ${what} part.`);

export function interactiveContent(i: OutboundInteractive): Json {
  const interactive: Json = { type: i.kind };
  if (i.header) interactive.header = { type: 'text', text: i.header };
  if (i.body) interactive.body = { text: i.body };
  if (i.footer) interactive.footer = { text: i.footer };
  interactive.action = actions[i.kind](i);
  return interactive;
}

const actions: Record<OutboundInteractive['kind'], (i: OutboundInteractive) => Json> = {
  button: buttonsAction,
  list: listAction,
  cta_url: (i) => {
    if (!i.cta_url) throw missing('cta_url');
    return { name: 'cta_url', parameters: { display_text: i.cta_url.display_text, url: i.cta_url.url } };
  },
  location_request_message: () => ({ name: 'send_location' }),
  flow: (i) => {
    const f = i.flow;
    if (!f) throw missing('flow');
    const action = f.flow_action ?? 'navigate';
    return {
      name: 'flow',
      parameters: {
        flow_message_version: '3',
        flow_id: f.flow_id,
        ...(f.flow_token ? { flow_token: f.flow_token } : {}),
        flow_cta: f.flow_cta,
        flow_action: action,
        ...(f.mode ? { mode: f.mode } : {}),
        ...(action === 'navigate' && f.screen
          ? { flow_action_payload: { screen: f.screen, ...(f.data ? { data: f.data } : {}) } }
          : {}),
      },
    };
  },
  product: (i) => {
    if (!i.product) throw missing('product');
    return { catalog_id: i.product.catalog_id, product_retailer_id: i.product.product_retailer_id };
  },
  product_list: (i) => {
    if (!i.product_list) throw missing('product_list');
    return {
      catalog_id: i.product_list.catalog_id,
      sections: i.product_list.sections.map((s) => ({
        title: s.title,
        product_items: s.product_retailer_ids.map((id) => ({ product_retailer_id: id })),
      })),
    };
  },
  catalog_message: (i) => ({
    name: 'catalog_message',
    ...(i.catalog_message?.thumbnail_product_retailer_id
      ? { parameters: { thumbnail_product_retailer_id: i.catalog_message.thumbnail_product_retailer_id } }
      : {}),
  }),
  order_details: (i) => {
    if (!i.order_details) throw missing('order_details');
    return { name: 'review_and_pay', parameters: orderDetailsParameters(i.order_details) };
  },
  order_status: (i) => {
    const s = i.order_status;
    if (!s) throw missing('order_status');
    return {
      name: 'review_order',
      parameters: {
        reference_id: s.reference_id,
        order: { status: s.status, ...(s.description ? { description: s.description } : {}) },
      },
    };
  },
};

const money = (a: PaymentAmount): Json => ({
  value: a.value,
  offset: a.offset,
  ...(a.description ? { description: a.description } : {}),
});

/** Meta's `review_and_pay` parameters: the gateway's configuration, the total and the order. */
function orderDetailsParameters(o: OrderDetailsPart): Json {
  return {
    reference_id: o.reference_id,
    type: o.type,
    payment_settings: [
      {
        type: 'payment_gateway',
        payment_gateway: { type: o.payment_gateway, configuration_name: o.payment_configuration },
      },
    ],
    currency: o.currency,
    total_amount: money(o.total_amount),
    order: {
      status: 'pending',
      ...(o.catalog_id ? { catalog_id: o.catalog_id } : {}),
      ...(o.expiration
        ? { expiration: { timestamp: String(o.expiration.timestamp), description: o.expiration.description } }
        : {}),
      items: o.items.map((item) => ({
        retailer_id: item.retailer_id,
        name: item.name,
        amount: money(item.amount),
        ...(item.sale_amount ? { sale_amount: money(item.sale_amount) } : {}),
        quantity: item.quantity,
      })),
      subtotal: money(o.subtotal),
      tax: money(o.tax),
      ...(o.shipping ? { shipping: money(o.shipping) } : {}),
      ...(o.discount ? { discount: money(o.discount) } : {}),
    },
  };
}

function buttonsAction(i: OutboundInteractive): Json {
  const buttons = i.buttons ?? [];
  if (buttons.length < 1 || buttons.length > 3) {
    throw new ChannelSendError('validation_failed', 'Interactive button messages take 1 to 3 buttons.');
  }
  return { buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) };
}

function listAction(i: OutboundInteractive): Json {
  if (!i.list || i.list.sections.length === 0) {
    throw new ChannelSendError('validation_failed', 'Interactive list messages need at least one section.');
  }
  return {
    button: i.list.button,
    sections: i.list.sections.map((s) => ({
      ...(s.title ? { title: s.title } : {}),
      rows: s.rows.map((r) => ({
        id: r.id,
        title: r.title,
        ...(r.description ? { description: r.description } : {}),
      })),
    })),
  };
}
