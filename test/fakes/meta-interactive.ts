/**
 * The fake Graph API's check of an `interactive` send body, kind by kind, as Meta's Cloud API
 * reference documents them (developers.facebook.com/docs/whatsapp/cloud-api/messages/
 * interactive-*-messages, .../flows/guides/sendingaflow, .../payments-api/payments-in,
 * as quoted by the public SDKs whatsapp-api-js and WhatsApp-Nodejs-SDK, and 360dialog's copy of the
 * India payments guide). Written from those documents, not from Parley's code: a body Parley
 * builds wrong is refused here with Meta's error.
 */

const KINDS = [
  'button',
  'list',
  'cta_url',
  'location_request_message',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'order_details',
  'order_status',
];

const len = (s: unknown) => (typeof s === 'string' ? [...s].length : -1);
const isAmount = (a: any) => Number.isInteger(a?.value) && a?.offset === 100;

export function checkInteractive(c: any, flows: Set<string>): string | undefined {
  if (!KINDS.includes(c.type)) return `Param interactive[type] must be one of {${KINDS.join(', ')}}.`;
  const bodyOptional = c.type === 'product';
  if (!bodyOptional && !c.body?.text) return 'Param interactive[body][text] is required.';
  if (c.body && len(c.body.text) > 1024)
    return 'Param interactive[body][text] must be at most 1024 characters.';
  if (c.header && (c.header.type !== 'text' || len(c.header.text) < 1 || len(c.header.text) > 60))
    return 'Param interactive[header] must be a text of at most 60 characters.';
  if (c.footer && len(c.footer.text) > 60)
    return 'Param interactive[footer][text] must be at most 60 characters.';
  if (!c.action || typeof c.action !== 'object') return 'Param interactive[action] is required.';
  return checks[c.type](c, flows);
}

const checks: Record<string, (c: any, flows: Set<string>) => string | undefined> = {
  button: (c) => {
    const buttons = c.action.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)
      return 'Param interactive[action][buttons] must have 1 to 3 buttons.';
    for (const btn of buttons)
      if (btn.type !== 'reply' || !btn.reply?.id || !btn.reply?.title)
        return 'Each button needs reply[id] and reply[title].';
    return;
  },
  list: (c) => {
    if (!c.action.button || !Array.isArray(c.action.sections) || c.action.sections.length === 0)
      return 'Param interactive[action][sections] is required.';
    return;
  },
  // {type: cta_url, action: {name: "cta_url", parameters: {display_text, url}}}
  cta_url: (c) => {
    const p = c.action.parameters;
    if (c.action.name !== 'cta_url') return 'Param interactive[action][name] must be cta_url.';
    if (len(p?.display_text) < 1 || len(p.display_text) > 20)
      return 'Param interactive[action][parameters][display_text] must be 1 to 20 characters.';
    if (!/^https?:\/\//.test(p?.url ?? ''))
      return 'Param interactive[action][parameters][url] must be a URL.';
    return;
  },
  // {type: location_request_message, body, action: {name: "send_location"}}: body only.
  location_request_message: (c) => {
    if (c.action.name !== 'send_location') return 'Param interactive[action][name] must be send_location.';
    if (c.header || c.footer) return 'Location request messages take a body only.';
    return;
  },
  // {type: flow, action: {name: "flow", parameters: {flow_message_version: "3", flow_id | flow_name,
  //  flow_token?, flow_cta, flow_action?, flow_action_payload?: {screen, data?}, mode?}}}
  flow: (c, flows) => {
    const p = c.action.parameters;
    if (c.action.name !== 'flow' || !p)
      return 'Param interactive[action][name] must be flow, with parameters.';
    if (p.flow_message_version !== '3') return 'Param flow_message_version must be "3".';
    if (!p.flow_id && !p.flow_name) return 'Param flow_id or flow_name is required.';
    if (len(p.flow_cta) < 1 || len(p.flow_cta) > 20) return 'Param flow_cta must be 1 to 20 characters.';
    const action = p.flow_action ?? 'navigate';
    if (action === 'navigate' && !p.flow_action_payload?.screen)
      return 'Param flow_action_payload[screen] is required when flow_action is navigate.';
    if (action === 'data_exchange' && p.flow_action_payload)
      return 'Param flow_action_payload must be omitted when flow_action is data_exchange.';
    if (p.flow_action_payload?.data !== undefined && Object.keys(p.flow_action_payload.data).length === 0)
      return 'Param flow_action_payload[data] must be a non-empty object.';
    // A flow id that is not one of the account's Flows.
    if (p.flow_id && !flows.has(String(p.flow_id)))
      return `(#131009) Parameter value is not valid: Flow with ID ${p.flow_id} does not exist`;
    return;
  },
  // {type: product, body?, footer?, action: {catalog_id, product_retailer_id}}: no header.
  product: (c) => {
    if (c.header) return 'Single product messages take no header.';
    if (!c.action.catalog_id || !c.action.product_retailer_id)
      return 'Param action[catalog_id] and action[product_retailer_id] are required.';
    return;
  },
  // {type: product_list, header (text, required), body, action: {catalog_id, sections: [{title, product_items}]}}
  product_list: (c) => {
    if (!c.header?.text) return 'Param interactive[header] is required for multi-product messages.';
    const sections = c.action.sections;
    if (!c.action.catalog_id) return 'Param action[catalog_id] is required.';
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10)
      return 'Param action[sections] must have 1 to 10 sections.';
    let products = 0;
    for (const s of sections) {
      if (!s.title || len(s.title) > 24) return 'Each section needs a title of at most 24 characters.';
      if (!Array.isArray(s.product_items) || s.product_items.length === 0)
        return 'Each section needs product_items.';
      for (const item of s.product_items)
        if (!item.product_retailer_id) return 'Each product item needs product_retailer_id.';
      products += s.product_items.length;
    }
    if (products > 30) return 'A multi-product message has at most 30 products.';
    return;
  },
  // {type: catalog_message, body, action: {name: "catalog_message", parameters?: {thumbnail_product_retailer_id}}}
  catalog_message: (c) => {
    if (c.action.name !== 'catalog_message')
      return 'Param interactive[action][name] must be catalog_message.';
    if (c.header) return 'Catalog messages take no header.';
    return;
  },
  // Payments API (India): {type: order_details, action: {name: "review_and_pay", parameters: {reference_id,
  //  type, payment_settings: [{type: "payment_gateway", payment_gateway: {type, configuration_name}}],
  //  currency: "INR", total_amount, order: {status: "pending", items, subtotal, tax, shipping?, discount?}}}}
  order_details: (c) => {
    const p = c.action.parameters;
    if (c.action.name !== 'review_and_pay' || !p)
      return 'Param action[name] must be review_and_pay, with parameters.';
    if (len(p.reference_id) < 1 || len(p.reference_id) > 35)
      return 'Param reference_id must be 1 to 35 characters.';
    if (!['digital-goods', 'physical-goods'].includes(p.type))
      return 'Param type must be digital-goods or physical-goods.';
    const gw = p.payment_settings?.[0];
    if (gw?.type !== 'payment_gateway' || !gw.payment_gateway?.type || !gw.payment_gateway.configuration_name)
      return 'Param payment_settings needs a payment_gateway with type and configuration_name.';
    if (p.currency !== 'INR') return 'Param currency must be INR.';
    const o = p.order;
    if (o?.status !== 'pending') return 'Param order[status] must be pending.';
    if (!Array.isArray(o.items) || o.items.length === 0) return 'Param order[items] is required.';
    let subtotal = 0;
    for (const i of o.items) {
      if (
        !i.retailer_id ||
        len(i.name) < 1 ||
        len(i.name) > 60 ||
        !isAmount(i.amount) ||
        !Number.isInteger(i.quantity)
      )
        return 'Each order item needs retailer_id, name (at most 60), amount {value, offset: 100} and quantity.';
      subtotal += (i.sale_amount ?? i.amount).value * i.quantity;
    }
    for (const k of ['subtotal', 'tax'])
      if (!isAmount(o[k])) return `Param order[${k}] must be {value, offset: 100}.`;
    if (!isAmount(p.total_amount)) return 'Param total_amount must be {value, offset: 100}.';
    if (o.subtotal.value !== subtotal) return 'order[subtotal] must equal the sum of the items.';
    const total = o.subtotal.value + o.tax.value + (o.shipping?.value ?? 0) - (o.discount?.value ?? 0);
    if (p.total_amount.value !== total)
      return 'total_amount must equal subtotal + tax + shipping - discount.';
    return;
  },
  // {type: order_status, body, action: {name: "review_order", parameters: {reference_id, order: {status, description?}}}}
  order_status: (c) => {
    const p = c.action.parameters;
    if (c.action.name !== 'review_order' || !p?.reference_id)
      return 'Param action[name] must be review_order, with reference_id.';
    if (
      !['pending', 'processing', 'partially-shipped', 'shipped', 'completed', 'canceled'].includes(
        p.order?.status,
      )
    )
      return 'Param order[status] is not a valid order status.';
    return;
  },
};
